// API economy: the EC2 calls of one create and destroy of the example app (1 ASN, 2 associations) against the
// project's EC2 emulator, through the CloudFormation driver of the lifecycle tests and the handler bundle that
// ships (staged by synth). Run alone (`node scripts/bench/economy.mjs`) or from scripts/bench.mjs.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

/** Simulated AWS timings of `npm run demo` (the provider polls every 10 s). */
export const REALISTIC_DELAYS = { provisionAsn: 3 * 60_000, deprovisionAsn: 2 * 60_000, associate: 90_000, disassociate: 60_000 };

/** The six mutations of one create and destroy: Provision, 2 Associate, 2 Disassociate, Deprovision. */
const MUTATIONS = new Set(['ProvisionIpamByoasn', 'DeprovisionIpamByoasn', 'AssociateIpamByoasn', 'DisassociateIpamByoasn']);

function loadTestModules() {
  // The driver and the emulator are TypeScript in the test tree; the handler they run is the shipped bundle.
  require('ts-node').register({ transpileOnly: true, project: join(root, 'tsconfig.json') });
  return {
    ...require(join(root, 'test', 'emulator', 'ec2-emulator.ts')),
    ...require(join(root, 'test', 'lifecycle', 'cloudformation.ts')),
    ...require(join(root, 'test', 'lifecycle', 'jumping-clock.ts')),
    ...require(join(root, 'test', 'lifecycle', 'synth.ts')),
  };
}

/**
 * Deploys and destroys the example app once and counts what the handler did. The minimum is what the lifecycle
 * needs whatever the implementation: the six mutations, the read before each (onEvent must know the state
 * first, DESIGN §6), and one read per isComplete invocation (the framework decides how many, by the query
 * interval; each must read the state to answer).
 */
export async function measureEconomy(delays, modules = loadTestModules()) {
  const { Ec2Emulator, CloudFormationDriver, JumpingClock, EXAMPLE_CIDRS, synthesizeExample, loadHandler } = modules;
  const example = synthesizeExample();
  const clock = new JumpingClock();
  const emulator = new Ec2Emulator({ now: clock.now, delays, idleTimeoutMs: 60_000, clockInDateHeader: true });
  await emulator.start();
  const invocations = { onEvent: 0, isComplete: 0 };
  try {
    for (const cidr of EXAMPLE_CIDRS) {
      emulator.addByoipCidr({ cidr });
    }
    const counted = (file) => {
      const handler = loadHandler(file);
      return {
        onEvent: (event) => { invocations.onEvent++; return handler.onEvent(event); },
        isComplete: (event) => { invocations.isComplete++; return handler.isComplete(event); },
      };
    };
    const driver = new CloudFormationDriver({ emulator, clock, handlerFile: example.handlerFile, stackName: example.stackName, loadHandler: counted });
    const deployed = await driver.deploy(example.template);
    const destroyed = await driver.destroy();
    if (deployed.status !== 'CREATE_COMPLETE' || destroyed.status !== 'DELETE_COMPLETE') {
      throw new Error(`economy run failed: ${deployed.status} ${deployed.reason ?? ''} / ${destroyed.status} ${destroyed.reason ?? ''}`);
    }
    const calls = emulator.calls();
    const ec2 = calls.filter((c) => c.service === 'ec2');
    const byAction = {};
    for (const c of calls) {
      const key = c.service === 'ec2' ? c.action : `cloudformation:${c.action}`;
      byAction[key] = (byAction[key] ?? 0) + 1;
    }
    const mutations = ec2.filter((c) => MUTATIONS.has(c.action)).length;
    return {
      ec2Calls: ec2.length,
      mutations,
      reads: ec2.length - mutations,
      cloudFormationCalls: calls.length - ec2.length,
      minimum: 6 + invocations.onEvent + invocations.isComplete,
      invocations,
      byAction,
    };
  } finally {
    await emulator.stop();
  }
}

/**
 * The AwsCustomResource baseline against the same emulator: CloudFormation makes each resource's one call, in
 * dependency order (the ASN, then both associations in parallel; on destroy the reverse), and nothing waits or
 * reads. A refused call fails the resource; on a failed create, what was created is deleted (the rollback).
 */
export async function measureBaselineEconomy(delays, modules = loadTestModules()) {
  const { Ec2Emulator, JumpingClock, EXAMPLE_CIDRS } = modules;
  const { EC2Client, ProvisionIpamByoasnCommand, DeprovisionIpamByoasnCommand, AssociateIpamByoasnCommand, DisassociateIpamByoasnCommand } = require('@aws-sdk/client-ec2');
  const clock = new JumpingClock();
  const emulator = new Ec2Emulator({ now: clock.now, delays, idleTimeoutMs: 60_000 });
  await emulator.start();
  try {
    for (const cidr of EXAMPLE_CIDRS) {
      emulator.addByoipCidr({ cidr });
    }
    const client = new EC2Client({ endpoint: emulator.endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'emulator-secret' } });
    const ipamId = 'ipam-0123456789abcdef0';
    const asn = '64496';
    const failures = [];
    const call = async (command) => {
      try {
        await client.send(command);
        return true;
      } catch (error) {
        failures.push(`${command.constructor.name.replace(/Command$/, '')}: ${error.name}`);
        return false;
      }
    };
    const provisioned = await call(new ProvisionIpamByoasnCommand({ IpamId: ipamId, Asn: asn, AsnAuthorizationContext: { Message: `1|aws|123456789012|${asn}|20991231|SHA256|RSAPSS`, Signature: 'A'.repeat(342) + '__' } }));
    const associated = provisioned ? await Promise.all(EXAMPLE_CIDRS.map((cidr) => call(new AssociateIpamByoasnCommand({ Asn: asn, Cidr: cidr })))) : [];
    const created = provisioned && associated.every(Boolean);
    // Destroy (or roll back): every association that was created, then the ASN.
    await Promise.all(EXAMPLE_CIDRS.filter((_, i) => associated[i]).map((cidr) => call(new DisassociateIpamByoasnCommand({ Asn: asn, Cidr: cidr }))));
    const deleted = provisioned ? await call(new DeprovisionIpamByoasnCommand({ IpamId: ipamId, Asn: asn })) : true;
    client.destroy();
    const ec2 = emulator.calls().filter((c) => c.service === 'ec2');
    return {
      ec2Calls: ec2.length,
      mutations: ec2.filter((c) => MUTATIONS.has(c.action)).length,
      reads: ec2.filter((c) => !MUTATIONS.has(c.action)).length,
      outcome: created && deleted ? 'created and destroyed' : `${created ? 'created' : 'create failed'}, ${deleted ? 'destroyed' : 'delete failed'}`,
      failures,
    };
  } finally {
    await emulator.stop();
  }
}

export { loadTestModules };

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const modules = loadTestModules();
  process.removeAllListeners('warning');
  for (const [name, delays] of [['instant', {}], ['realistic', REALISTIC_DELAYS]]) {
    console.log(name, JSON.stringify(await measureEconomy(delays, modules)));
    console.log(name, 'AwsCustomResource', JSON.stringify(await measureBaselineEconomy(delays, modules)));
  }
}
