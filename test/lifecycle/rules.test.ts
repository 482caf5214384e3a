import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ByoasnCidrAssociation, IpamByoasn } from '../../lib';
import type { Ec2Emulator } from '../emulator/ec2-emulator';
import { CloudFormationDriver, fakeIpamId } from './cloudformation';
import { JumpingClock, leftovers, startHarness } from './harness';
import { SynthesizedStack, Template, synthesize, synthesizeExample } from './synth';

/**
 * One scenario for each rule of DESIGN §6 "Ownership and CloudFormation's real behaviour" (issue 8), played by
 * the CloudFormation stand-in against the emulator, with the handler bundle that ships. Each scenario failed
 * on the handler before the rule was built.
 */

const IPAM = fakeIpamId('Ipam');
const PLACEHOLDER_SIGNATURE = 'REPLACE-with-the-signature-printed-by-cdk-ipam-byoasn-sign__';
const DELAYS = { provisionAsn: 180_000, deprovisionAsn: 60_000, associate: 60_000, disassociate: 30_000 };

let example: SynthesizedStack;
let emulator: Ec2Emulator;
let clock: JumpingClock;
let driver: CloudFormationDriver;

beforeAll(() => {
  example = synthesizeExample();
});

beforeEach(async () => {
  ({ emulator, clock, driver } = await startHarness(example, { emulatorOptions: { delays: DELAYS } }));
});

afterEach(async () => {
  await emulator?.stop();
});

function idOf(template: Template, type: string, match: (props: Record<string, unknown>) => boolean = () => true): string {
  const found = Object.entries(template.Resources).filter(([, r]) => r.Type === type && match(r.Properties ?? {}));
  expect(found).toHaveLength(1);
  return found[0][0];
}

const asnId = () => idOf(example.template, 'Custom::IpamByoasn');
const v4Id = () => idOf(example.template, 'Custom::ByoasnCidrAssociation', (p) => p.Cidr === '203.0.113.0/24');
const v6Id = () => idOf(example.template, 'Custom::ByoasnCidrAssociation', (p) => p.Cidr === '2001:db8:1000::/48');

/** The template with some properties of some resources changed. */
function changed(template: Template, changes: Record<string, Record<string, unknown>>): Template {
  const copy = JSON.parse(JSON.stringify(template)) as Template;
  for (const [logicalId, properties] of Object.entries(changes)) {
    Object.assign(copy.Resources[logicalId].Properties as Record<string, unknown>, properties);
  }
  return copy;
}

/** The ASN resource moved to another ASN (with its own message), a replacement. */
function asnChangedTo(asn: number, template = example.template, expiry = '20991231'): Template {
  return changed(template, { [asnId()]: { Asn: String(asn), AuthorizationMessage: `1|aws|123456789012|${asn}|${expiry}|SHA256|RSAPSS` } });
}

function asnStates(): Record<string, string> {
  return Object.fromEntries(emulator.snapshot().asns.map((a) => [`${a.asn}@${a.ipamId}`, a.state]));
}

describe('1. a forward update does not adopt', () => {
  test('changing the ASN to one already provisioned in the IPAM is refused, and the rollback leaves both ASNs as they were', async () => {
    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    // Someone else's ASN in the same IPAM.
    emulator.addAsn({ asn: 64497, ipamId: IPAM, state: 'provisioned' });
    emulator.clearCalls();

    const result = await driver.deploy(asnChangedTo(64497));

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result.reason).toContain('ASN 64497 is already provisioned in');
    expect(result.reason).toContain('adoptExisting');
    expect(asnStates()).toEqual({ [`64496@${IPAM}`]: 'provisioned', [`64497@${IPAM}`]: 'provisioned' });
    expect(emulator.calls('ProvisionIpamByoasn')).toHaveLength(0);
    expect(emulator.calls('DeprovisionIpamByoasn')).toHaveLength(0);
    expect(driver.physicalId(asnId())).toBe(`${IPAM}|64496`);
  });

  test('with adoptExisting the same update takes the ASN over, and the old one goes in the cleanup', async () => {
    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    emulator.addAsn({ asn: 64497, ipamId: IPAM, state: 'provisioned' });
    emulator.clearCalls();
    // The associations follow the ASN, as the constructs would write them.
    let template = changed(asnChangedTo(64497), { [asnId()]: { AdoptExisting: 'true' } });
    template = changed(template, { [v4Id()]: { Asn: '64497' }, [v6Id()]: { Asn: '64497' } });

    expect((await driver.deploy(template)).status).toBe('UPDATE_COMPLETE');

    expect(asnStates()).toEqual({ [`64496@${IPAM}`]: 'deprovisioned', [`64497@${IPAM}`]: 'provisioned' });
    expect(emulator.calls('ProvisionIpamByoasn')).toHaveLength(0);
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
  });

  test('the rollback of a successful replacement takes the old ASN back, and the new one goes in the cleanup', async () => {
    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    emulator.clearCalls();
    // The ASN moves (succeeds), then an association moves to a CIDR that is no BYOIP CIDR (fails).
    const template = changed(asnChangedTo(64497), { [v6Id()]: { Cidr: '2001:db8:2000::/48' } });

    const result = await driver.deploy(template);

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result.reason).toContain('2001:db8:2000::/48');
    expect(driver.physicalId(asnId())).toBe(`${IPAM}|64496`);
    expect(asnStates()).toEqual({ [`64496@${IPAM}`]: 'provisioned', [`64497@${IPAM}`]: 'deprovisioned' });
    expect(emulator.calls('ProvisionIpamByoasn').map((c) => c.params.Asn)).toEqual(['64497']);
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
  });
});

describe('2. a failed replacement leaves nothing behind', () => {
  test('a replacement that times out is deprovisioned by the rollback once its provisioning ends', async () => {
    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    // Provisioning the new ASN outlasts the 50-minute timeout, and ends 10 minutes later.
    emulator.setAsnOutcome(64497, { provision: { delayMs: 60 * 60_000 } });

    const result = await driver.deploy(asnChangedTo(64497));

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result.reason).toContain('Operation timed out');
    expect(driver.physicalId(asnId())).toBe(`${IPAM}|64496`);
    expect(asnStates()).toEqual({ [`64496@${IPAM}`]: 'provisioned', [`64497@${IPAM}`]: 'deprovisioned' });
    // The rollback deprovisioned the new ASN, never the old one.
    expect(emulator.calls('DeprovisionIpamByoasn').filter((c) => c.succeeded).map((c) => c.params.Asn)).toEqual(['64497']);
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
  });

  test('an association replacement that times out is disassociated by the rollback', async () => {
    emulator.addByoipCidr({ cidr: '198.51.100.0/24' });
    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    emulator.setAssociationOutcome(64496, '198.51.100.0/24', { associate: { delayMs: 55 * 60_000 } });

    const result = await driver.deploy(changed(example.template, { [v4Id()]: { Cidr: '198.51.100.0/24' } }));

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(Object.fromEntries(emulator.snapshot().associations.map((a) => [a.cidr, a.state]))).toEqual({
      '198.51.100.0/24': 'disassociated',
      '2001:db8:1000::/48': 'associated',
      '203.0.113.0/24': 'associated',
    });
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
  });

  test('with adoptExisting the new ASN is left to its owner', async () => {
    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    emulator.setAsnOutcome(64497, { provision: { delayMs: 60 * 60_000 } });

    const result = await driver.deploy(changed(asnChangedTo(64497), { [asnId()]: { AdoptExisting: 'true' } }));

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(emulator.calls('DeprovisionIpamByoasn')).toHaveLength(0);
    expect(leftovers(emulator)).toContain(`ASN 64497 pending-provision in ${IPAM}`);
  });
});

describe('3. the authorization is checked only before a Provision', () => {
  test('a rollback takes back an ASN whose message has expired since it was provisioned', async () => {
    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    // The message in the template expires (an update of the message alone changes nothing in AWS)...
    const expired = changed(example.template, { [asnId()]: { AuthorizationMessage: '1|aws|123456789012|64496|20200101|SHA256|RSAPSS' } });
    expect((await driver.deploy(expired)).status).toBe('UPDATE_COMPLETE');
    // ...then the ASN moves (succeeds with a fresh message) and an association fails: the rollback takes 64496
    // back with the expired message, which must not matter, since nothing is provisioned.
    const result = await driver.deploy(changed(asnChangedTo(64497, expired), { [v6Id()]: { Cidr: '2001:db8:2000::/48' } }));

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(asnStates()).toEqual({ [`64496@${IPAM}`]: 'provisioned', [`64497@${IPAM}`]: 'deprovisioned' });
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
  });

  test('an update that only renews the message changes nothing, and an expired one does not block a later destroy', async () => {
    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    const expired = changed(example.template, { [asnId()]: { AuthorizationMessage: '1|aws|123456789012|64496|20200101|SHA256|RSAPSS' } });

    expect((await driver.deploy(expired)).status).toBe('UPDATE_COMPLETE');
    expect(emulator.calls('ProvisionIpamByoasn')).toHaveLength(1);
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
  });
});

describe('4. a passing error while waiting', () => {
  test('a read that fails after all the SDK\'s retries does not fail the resource', async () => {
    // Call 1 is onEvent's read, call 2 the first poll's; calls 3 to 12 (one whole SDK call) answer HTTP 500.
    emulator.failNext('DescribeIpamByoasn', 'internalError', 10, 2);

    expect(await driver.deploy(example.template)).toEqual({ status: 'CREATE_COMPLETE' });

    expect(emulator.calls('DescribeIpamByoasn').filter((c) => c.status === 500)).toHaveLength(10);
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
  });
});

describe('5. a refusal fails promptly with AWS\'s message', () => {
  test('a Provision throttled once, then refused, fails in seconds, not at the timeout', async () => {
    emulator.failNext('ProvisionIpamByoasn', { kind: 'error', code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 });
    emulator.failNext('ProvisionIpamByoasn', { kind: 'error', code: 'InvalidParameterValue', message: 'The ASN authorization message is not valid.' });
    const started = clock.now();

    const result = await driver.deploy(example.template);

    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.reason).toContain('InvalidParameterValue: The ASN authorization message is not valid.');
    expect(clock.now() - started).toBeLessThan(5 * 60_000);
    expect(leftovers(emulator)).toEqual([]);
  });

  test('a Provision whose answer was lost and whose retry is refused waits for its own request, and completes', async () => {
    emulator.configure({ consistencyDelayMs: 20_000 });
    emulator.failNext('ProvisionIpamByoasn', 'applyThenDrop');

    expect(await driver.deploy(example.template)).toEqual({ status: 'CREATE_COMPLETE' });
    expect(emulator.calls('ProvisionIpamByoasn').filter((c) => c.succeeded)).toHaveLength(1);
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
  });
});

describe('6. the live record wins over a lingering one', () => {
  test('deploy, destroy, deploy, destroy: the second destroy removes the live ASN and associations', async () => {
    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    driver.resources.clear();

    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    // AWS lists the deprovisioned record of the first round beside the live one.
    expect(emulator.snapshot().lingering.length).toBeGreaterThan(0);
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');

    expect(leftovers(emulator)).toEqual([]);
    expect(emulator.calls('DeprovisionIpamByoasn').filter((c) => c.succeeded)).toHaveLength(2);
  });

  test('adopting an ASN listed after a lingering failed-provision record of it', async () => {
    emulator.addAsn({ asn: 64496, ipamId: IPAM, state: 'provisioned' });
    emulator.addLingeringAsn({ asn: 64496, ipamId: IPAM, state: 'failed-provision', statusMessage: 'An older attempt failed.' });

    expect((await driver.deploy(changed(example.template, { [asnId()]: { AdoptExisting: 'true' } }))).status).toBe('CREATE_COMPLETE');

    expect(emulator.calls('ProvisionIpamByoasn')).toHaveLength(0);
    expect(driver.attributes(asnId())).toMatchObject({ State: 'provisioned' });
  });
});

describe('7. a Delete during a rollback does not miss a resource created seconds before', () => {
  test('the provisioning that timed out but is not listed yet is deprovisioned by the rollback', async () => {
    const { emulator: lagging, driver: impatient } = await startHarness(example, {
      totalTimeoutMs: 180_000,
      emulatorOptions: { delays: DELAYS },
    });
    try {
      // The new ASN stays invisible to reads for 4.5 minutes: the create times out at 3 minutes, and the
      // rollback's Delete reads nothing for its first 1.5 minutes (of the 2 it re-reads).
      lagging.hideNext('ProvisionIpamByoasn', 270_000);

      const result = await impatient.deploy(example.template);

      expect(result.status).toBe('ROLLBACK_COMPLETE');
      expect(lagging.calls('DeprovisionIpamByoasn').filter((c) => c.succeeded)).toHaveLength(1);
      expect(leftovers(lagging)).toEqual([]);
    } finally {
      await lagging.stop();
    }
  });
});

describe('8. two declarations of one target', () => {
  test('do not synthesize, so they never reach CloudFormation', () => {
    const build = (app: App) => {
      const stack = new Stack(app, 'Twice', { env: { account: '123456789012', region: 'us-east-1' } });
      const ipam = new ec2.CfnIPAM(stack, 'Ipam', { operatingRegions: [{ regionName: 'us-east-1' }] });
      const props = {
        ipamId: ipam.attrIpamId,
        asn: 64496,
        authorizationContext: { message: '1|aws|123456789012|64496|20991231|SHA256|RSAPSS', signature: PLACEHOLDER_SIGNATURE },
      };
      new IpamByoasn(stack, 'One', props);
      new IpamByoasn(stack, 'Two', props);
      return stack;
    };

    expect(() => synthesize(build)).toThrow(/Twice\/One[\s\S]*Twice\/Two|Twice\/Two[\s\S]*Twice\/One/);
  });

  test('of one association do not synthesize either', () => {
    const build = (app: App) => {
      const stack = new Stack(app, 'Twice');
      const asn = IpamByoasn.fromIpamByoasnAttributes(stack, 'Asn', { ipamId: 'ipam-0123456789abcdef0', asn: 64496 });
      new ByoasnCidrAssociation(stack, 'A', { byoasn: asn, cidr: '203.0.113.0/24' });
      new ByoasnCidrAssociation(stack, 'B', { byoasn: asn, cidr: '203.0.113.0/24' });
      return stack;
    };

    expect(() => synthesize(build)).toThrow(/Twice\/A[\s\S]*Twice\/B|Twice\/B[\s\S]*Twice\/A/);
  });
});

describe('9. responses stay within CloudFormation\'s 4096 bytes', () => {
  const long = `The ROA does not authorize this origin. ${'x'.repeat(5000)}`;

  test('an association with a 5000-byte status message completes', async () => {
    emulator.setAssociationOutcome(64496, '203.0.113.0/24', { associate: { statusMessage: long } });

    expect(await driver.deploy(example.template)).toEqual({ status: 'CREATE_COMPLETE' });
    expect(Buffer.byteLength(driver.attributes(v4Id())!.StatusMessage)).toBeLessThanOrEqual(1000);
  });

  test('an association that fails with a 5000-byte status message fails with it, not with "Response object is too long"', async () => {
    emulator.setAssociationOutcome(64496, '203.0.113.0/24', { associate: { fail: true, statusMessage: long } });

    const result = await driver.deploy(example.template);

    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.reason).toContain('The ROA does not authorize this origin.');
    expect(result.reason).not.toContain('too long');
    expect(leftovers(emulator)).toEqual([]);
  });
});
