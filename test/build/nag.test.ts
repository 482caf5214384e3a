import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ByoipExampleStack } from '../../example/byoip-example-stack';
import { ExampleStack } from '../../example/example-stack';
import { ByoipCidr, ByoipCidrAdvertisement, IpamByoasn } from '../../lib';
import { ACKNOWLEDGED_RULES_METADATA_KEY, CDK_NAG_METADATA_KEY } from '../../lib/private/nag';
import { IPAM_ID, SIGNATURE, asnMessage, newStack } from '../helpers';

// cdk-nag 3 is a policy validation plugin (`Validations.of(app).addPlugins(new AwsSolutionsChecks(app))`), not an
// aspect, and reports through the synthesis's validation report, not through annotations. aws-cdk-lib 2.257 does
// not yet hand plugins the construct tree that cdk-nag 3 needs, so the tests call the pack's `validateScope`, its
// documented entry point for tests, on each stack.

/** A finding: the rule (with its finding, e.g. `AwsSolutions-IAM5[Resource::*]`) at the path of a CfnResource. */
type Finding = string;

function findings(scope: IConstruct, options: { ignoreAcknowledgments?: boolean } = {}): Finding[] {
  const pack = new AwsSolutionsChecks();
  if (options.ignoreAcknowledgments) {
    // What cdk-nag would report without any acknowledgment: to tell a used acknowledgment from a stale one.
    (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  }
  return pack.validateScope(scope).violations
    .flatMap((v) => v.violatingResources.map((r) => `${r.constructPath} ${v.ruleName} (${v.severity})`))
    .sort();
}

/** Every acknowledgment of the tree below `scope`: `path RULE[FINDING]` -> reason, as cdk-nag 3 reads them. */
function acknowledgments(scope: IConstruct): Map<string, string> {
  const result = new Map<string, string>();
  for (const c of scope.node.findAll()) {
    for (const entry of c.node.metadata.filter((m) => m.type === ACKNOWLEDGED_RULES_METADATA_KEY)) {
      for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
        result.set(`${c.node.path} ${key.replace(/^annotation::/i, '')}`, reason);
      }
    }
  }
  return result;
}

/** Every `cdk_nag` suppression in the CloudFormation metadata of the tree below `scope`, as cdk-nag 2 reads them. */
function cfnSuppressions(scope: IConstruct): Map<string, string> {
  const result = new Map<string, string>();
  for (const c of scope.node.findAll().filter(CfnResource.isCfnResource)) {
    const rules: { id: string; reason: string; applies_to?: string[] }[] = c.getMetadata(CDK_NAG_METADATA_KEY)?.rules_to_suppress ?? [];
    for (const rule of rules) {
      for (const id of rule.applies_to?.map((finding) => `${rule.id}[${finding}]`) ?? [rule.id]) {
        result.set(`${c.node.path} ${id}`, rule.reason);
      }
    }
  }
  return result;
}

/** A stack with one construct of each kind, on an IPAM id (not a CfnIPAM), with no other resource. */
function minimalStack(): Stack {
  const stack = newStack('Minimal');
  const asn = new IpamByoasn(stack, 'Asn', {
    ipamId: IPAM_ID,
    asn: 64500,
    authorizationContext: { message: asnMessage(64500), signature: SIGNATURE },
  });
  const range = new ByoipCidr(stack, 'Range', {
    cidr: '8.8.8.0/24',
    authorizationContext: { message: asnMessage('8.8.8.0/24'), signature: SIGNATURE },
  });
  asn.associateByoipCidr('Association', range);
  new ByoipCidrAdvertisement(stack, 'Advertisement', { byoipCidr: range, byoasn: asn });
  return stack;
}

const STACKS: [string, () => Stack][] = [
  ['the ByoasnExample stack', () => new ExampleStack(new App(), 'ByoasnExample')],
  ['the ByoipExample stack', () => new ByoipExampleStack(new App(), 'ByoipExample')],
  ['a stack with one construct of each kind', minimalStack],
];

describe.each(STACKS)('cdk-nag AwsSolutions on %s', (_name, makeStack) => {
  const stack = makeStack();
  const acknowledged = acknowledgments(stack);

  test('reports no unacknowledged finding, error or warning', () => {
    expect(findings(stack)).toEqual([]);
    // Nor did anything leave an AwsSolutions annotation (as cdk-nag 2, an aspect, does for each finding).
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });

  test('acknowledges exactly the findings cdk-nag reports, each on its own resource: none is stale', () => {
    const raw = findings(stack, { ignoreAcknowledgments: true }).map((f) => f.replace(/ \((error|warning)\)$/, ''));
    expect(raw.length).toBeGreaterThan(0);
    expect([...acknowledged.keys()].sort()).toEqual(raw);
  });

  test('acknowledges only in the library\'s provider, and the same rules for cdk-nag 2 in the template metadata', () => {
    for (const key of acknowledged.keys()) {
      expect(key).toMatch(new RegExp(`^${stack.stackName}/cdk-ipam-byoasn\\.ByoasnProvider/`));
    }
    expect(cfnSuppressions(stack)).toEqual(acknowledged);
  });

  test('gives each acknowledgment a reason that explains it', () => {
    const reasons = [...acknowledged.values()];
    for (const reason of reasons) {
      expect(reason.length).toBeGreaterThanOrEqual(120);
      expect(reason.split(/\s+/).length).toBeGreaterThanOrEqual(20);
      expect(reason).not.toMatch(/\b(TODO|FIXME|TBD|suppress(ed)?|ignore[ds]?|false positive)\b/i);
    }
    // A reason per kind of finding, not one text pasted on every rule.
    const byRule = new Map<string, Set<string>>();
    for (const [key, reason] of acknowledged) {
      const rule = key.split(' ')[1].replace(/\[.*$/, '');
      byRule.set(rule, (byRule.get(rule) ?? new Set()).add(reason));
    }
    const shared = [...byRule].filter(([rule, texts]) => [...byRule].some(([other, otherTexts]) => other !== rule && [...texts].some((t) => otherTexts.has(t))));
    expect(shared).toEqual([]);
  });
});

test('the library does not import cdk-nag: it is a development dependency only', () => {
  const root = join(__dirname, '..', '..', 'lib');
  const sources = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  expect(sources.length).toBeGreaterThan(5);
  const importers = sources.filter((f) => /(from|require\()\s*['"]cdk-nag['"]/.test(readFileSync(join(root, f), 'utf8')));
  expect(importers).toEqual([]);
});
