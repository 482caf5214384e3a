// The same stack two ways: 1 ASN and N associations with this library (the built lib/), and with one
// AwsCustomResource per ASN and per association (`installLatestAwsSdk: false`), the way it is written by hand.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './cold-start.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const { App, Stack } = require('aws-cdk-lib');
const cr = require('aws-cdk-lib/custom-resources');

const ENV = { account: '123456789012', region: 'us-east-1' };
const IPAM_ID = 'ipam-0123456789abcdef0';
const ASN = 64500;
const MESSAGE = `1|aws|${ENV.account}|${ASN}|20991231|SHA256|RSAPSS`;
const SIGNATURE = `${'A'.repeat(342)}__`;
/** N distinct public /24s. */
const cidr = (i) => `8.${i >> 8}.${i & 255}.0/24`;

/** With this library: an IpamByoasn and N ByoasnCidrAssociations. */
function libraryStack(app, n) {
  const { IpamByoasn } = require(join(root, 'lib'));
  const stack = new Stack(app, 'Library', { env: ENV });
  const asn = new IpamByoasn(stack, 'Asn', { ipamId: IPAM_ID, asn: ASN, authorizationContext: { message: MESSAGE, signature: SIGNATURE } });
  for (let i = 0; i < n; i++) {
    asn.associateCidr(`Cidr${i}`, cidr(i));
  }
  return stack;
}

/** By hand: one AwsCustomResource for the ASN and one per association, which depends on it. */
function baselineStack(app, n) {
  const stack = new Stack(app, 'Baseline', { env: ENV });
  const ipamArn = stack.formatArn({ service: 'ec2', region: '', resource: 'ipam', resourceName: IPAM_ID });
  const asn = new cr.AwsCustomResource(stack, 'Asn', {
    installLatestAwsSdk: false,
    onCreate: {
      service: 'EC2',
      action: 'ProvisionIpamByoasn',
      parameters: { IpamId: IPAM_ID, Asn: String(ASN), AsnAuthorizationContext: { Message: MESSAGE, Signature: SIGNATURE } },
      physicalResourceId: cr.PhysicalResourceId.of(`${IPAM_ID}|${ASN}`),
    },
    onDelete: { service: 'EC2', action: 'DeprovisionIpamByoasn', parameters: { IpamId: IPAM_ID, Asn: String(ASN) } },
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [ipamArn] }),
  });
  for (let i = 0; i < n; i++) {
    const association = new cr.AwsCustomResource(stack, `Cidr${i}`, {
      installLatestAwsSdk: false,
      onCreate: {
        service: 'EC2',
        action: 'AssociateIpamByoasn',
        parameters: { Asn: String(ASN), Cidr: cidr(i) },
        physicalResourceId: cr.PhysicalResourceId.of(`${ASN}|${cidr(i)}`),
      },
      onDelete: { service: 'EC2', action: 'DisassociateIpamByoasn', parameters: { Asn: String(ASN), Cidr: cidr(i) } },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
    });
    association.node.addDependency(asn);
  }
  return stack;
}

export const FLAVOURS = { library: libraryStack, baseline: baselineStack };

/** Synthesizes one flavour with N associations into a fresh cdk.out; returns its template and the time taken. */
export function synth(flavour, n) {
  const outdir = mkdtempSync(join(tmpdir(), 'byoasn-bench-'));
  try {
    const started = process.hrtime.bigint();
    const app = new App({ outdir });
    const stack = FLAVOURS[flavour](app, n);
    app.synth();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const text = readFileSync(join(outdir, stack.templateFile), 'utf8');
    return { ms, templateBytes: Buffer.byteLength(text), template: JSON.parse(text) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Resources of a template by type. */
export function countByType(template) {
  const counts = {};
  for (const resource of Object.values(template.Resources)) {
    counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
  }
  return counts;
}

/**
 * Template size, resources and synth time for each N, both flavours. The synth runs interleave (every round
 * synthesizes every N of both flavours, the order alternating), after a warm-up round that is not counted.
 */
export function measureStacks(ns, rounds) {
  const flavours = Object.keys(FLAVOURS);
  for (const flavour of flavours) {
    synth(flavour, ns[0]);
  }
  const results = Object.fromEntries(flavours.map((f) => [f, Object.fromEntries(ns.map((n) => [n, { synthMs: [] }]))]));
  for (let round = 0; round < rounds; round++) {
    for (const n of ns) {
      for (const flavour of round % 2 === 0 ? flavours : [...flavours].reverse()) {
        const { ms, templateBytes, template } = synth(flavour, n);
        const entry = results[flavour][n];
        entry.synthMs.push(ms);
        entry.templateBytes = templateBytes;
        entry.resources = Object.keys(template.Resources).length;
        entry.byType = countByType(template);
      }
    }
  }
  for (const flavour of flavours) {
    for (const n of ns) {
      results[flavour][n].synthMedianMs = median(results[flavour][n].synthMs);
    }
  }
  return results;
}

/**
 * The largest N whose stack stays within `limit` resources, from the per-association growth between the
 * smallest and the largest N measured, then checked by synthesizing N and N + 1.
 */
export function largestN(flavour, perN, limit = 500) {
  const ns = Object.keys(perN).map(Number).sort((a, b) => a - b);
  const [low, high] = [ns[0], ns[ns.length - 1]];
  const perAssociation = (perN[high].resources - perN[low].resources) / (high - low);
  const fixed = perN[low].resources - perAssociation * low;
  const n = Math.floor((limit - fixed) / perAssociation);
  const at = Object.keys(synth(flavour, n).template.Resources).length;
  let refused;
  try {
    synth(flavour, n + 1);
  } catch (error) {
    // aws-cdk-lib refuses to synthesize a stack of more than 500 resources, as CloudFormation would.
    refused = /greater than allowed maximum of 500/.test(String(error?.message)) ? error.message.split('\n')[0] : undefined;
    if (refused === undefined) {
      throw error;
    }
  }
  if (at > limit || refused === undefined) {
    throw new Error(`${flavour}: expected ${n} associations to be the most under ${limit} resources, but N=${n} has ${at} and N=${n + 1} was not refused`);
  }
  return { n, resourcesAtN: at, fixed, perAssociation, nPlusOne: refused };
}
