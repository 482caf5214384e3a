import { DeprovisionIpamByoasnCommand, DisassociateIpamByoasnCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CloudFormationDriver, fakeIpamId } from './cloudformation';
import { JumpingClock, leftovers, startHarness } from './harness';
import { SynthesizedStack, Template, synthesizeExample } from './synth';
import type { Ec2Emulator } from '../emulator/ec2-emulator';

let example: SynthesizedStack;
let emulator: Ec2Emulator;
let clock: JumpingClock;
let driver: CloudFormationDriver;

beforeAll(() => {
  example = synthesizeExample();
});

beforeEach(async () => {
  ({ emulator, clock, driver } = await startHarness(example, {
    emulatorOptions: { delays: { provisionAsn: 180_000, deprovisionAsn: 60_000, associate: 60_000, disassociate: 30_000 } },
  }));
});

afterEach(async () => {
  await emulator?.stop();
});

function logicalIdOf(template: Template, type: string, match: (props: Record<string, unknown>) => boolean = () => true): string {
  const found = Object.entries(template.Resources).filter(([, r]) => r.Type === type && match(r.Properties ?? {}));
  expect(found).toHaveLength(1);
  return found[0][0];
}

describe('the example app against the emulator', () => {
  test('deploys, waiting for each resource, then destroys, leaving nothing behind', async () => {
    expect(await driver.deploy(example.template)).toEqual({ status: 'CREATE_COMPLETE' });
    const snapshot = emulator.snapshot();
    expect(snapshot.asns).toEqual([expect.objectContaining({ asn: '64496', state: 'provisioned' })]);
    expect(snapshot.associations.map((a) => `${a.cidr} ${a.state}`).sort()).toEqual([
      '2001:db8:1000::/48 associated',
      '203.0.113.0/24 associated',
    ]);
    const asnId = logicalIdOf(example.template, 'Custom::IpamByoasn');
    expect(driver.attributes(asnId)).toEqual({ Asn: '64496', IpamId: expect.stringMatching(/^ipam-/), State: 'provisioned', StatusMessage: expect.any(String) });
    // The association waited for the ASN: it started only after the ASN was complete.
    const events = driver.events.map((e) => `${e.logicalId} ${e.status}`);
    const asnComplete = events.indexOf(`${asnId} CREATE_COMPLETE`);
    expect(asnComplete).toBeGreaterThan(0);
    expect(events.findIndex((e) => e.endsWith('CREATE_IN_PROGRESS') && !e.startsWith(asnId))).toBeGreaterThan(asnComplete);
    // 3 minutes of provisioning were waited out by polling.
    expect(driver.events.filter((e) => e.logicalId === asnId && e.poll !== undefined).length).toBeGreaterThanOrEqual(18);

    expect(await driver.destroy()).toEqual({ status: 'DELETE_COMPLETE' });
    expect(leftovers(emulator)).toEqual([]);
    // Associations were removed before the ASN was deprovisioned.
    const deprovision = emulator.calls('DeprovisionIpamByoasn').filter((c) => c.succeeded);
    const disassociations = emulator.calls('DisassociateIpamByoasn').filter((c) => c.succeeded);
    expect(deprovision).toHaveLength(1);
    expect(disassociations).toHaveLength(2);
    expect(Math.max(...disassociations.map((c) => c.seq))).toBeLessThan(deprovision[0].seq);
    expect(clock.now()).toBeGreaterThan(0);
  });

  test('replaces an association whose CIDR changes: the new one first, then the old one goes', async () => {
    emulator.addByoipCidr({ cidr: '198.51.100.0/24' });
    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    const id = logicalIdOf(example.template, 'Custom::ByoasnCidrAssociation', (p) => p.Cidr === '203.0.113.0/24');
    const before = driver.physicalId(id);

    expect(await driver.deploy(withProperty(example.template, id, 'Cidr', '198.51.100.0/24'))).toEqual({ status: 'UPDATE_COMPLETE' });
    expect(driver.physicalId(id)).toBe('64496|198.51.100.0/24');
    expect(driver.physicalId(id)).not.toBe(before);
    expect(associationStates()).toEqual({
      '198.51.100.0/24': 'associated',
      '2001:db8:1000::/48': 'associated',
      '203.0.113.0/24': 'disassociated',
    });
    const associate = emulator.calls('AssociateIpamByoasn').filter((c) => c.params.Cidr === '198.51.100.0/24')[0];
    const disassociate = emulator.calls('DisassociateIpamByoasn').filter((c) => c.params.Cidr === '203.0.113.0/24')[0];
    expect(associate.seq).toBeLessThan(disassociate.seq);

    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
  });

  test('refuses to move the ASN to another IPAM, explains the two steps, and rolls back intact', async () => {
    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    const asnId = logicalIdOf(example.template, 'Custom::IpamByoasn');
    const result = await driver.deploy(withProperty(example.template, asnId, 'IpamId', 'ipam-0fedcba9876543210'));
    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result.reason).toMatch(/another IPAM|two/i);
    expect(emulator.snapshot().asns).toEqual([expect.objectContaining({ asn: '64496', ipamId: fakeIpamId('Ipam'), state: 'provisioned' })]);
    expect(emulator.calls('DeprovisionIpamByoasn')).toHaveLength(0);
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
  });

  test('does not take over an ASN that is already provisioned, and leaves it alone on rollback', async () => {
    emulator.addAsn({ asn: 64496, ipamId: fakeIpamId('Ipam'), state: 'provisioned' });
    const result = await driver.deploy(example.template);
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.reason).toContain('adoptExisting');
    // The failed create left no work behind, and its ignored Delete did not deprovision someone else's ASN.
    expect(emulator.snapshot().asns).toEqual([expect.objectContaining({ asn: '64496', state: 'provisioned' })]);
    expect(emulator.calls('ProvisionIpamByoasn')).toHaveLength(0);
    expect(emulator.calls('DeprovisionIpamByoasn')).toHaveLength(0);
  });

  test('adopts an ASN that is already provisioned when adoptExisting is set, and owns it from then on', async () => {
    emulator.addAsn({ asn: 64496, ipamId: fakeIpamId('Ipam'), state: 'provisioned' });
    const asnId = logicalIdOf(example.template, 'Custom::IpamByoasn');
    expect((await driver.deploy(withProperty(example.template, asnId, 'AdoptExisting', 'true'))).status).toBe('CREATE_COMPLETE');
    expect(emulator.calls('ProvisionIpamByoasn')).toHaveLength(0);
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
    expect(emulator.calls('DeprovisionIpamByoasn').filter((c) => c.succeeded)).toHaveLength(1);
  });

  test("fails with AWS's status message when provisioning fails, and leaves nothing behind", async () => {
    emulator.setAsnOutcome(64496, { provision: { fail: true, statusMessage: 'The certificate in the RIR record does not match the signature.' } });
    const result = await driver.deploy(example.template);
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.reason).toContain('The certificate in the RIR record does not match the signature.');
    expect(leftovers(emulator)).toEqual([]);
    expect(driver.resources.size).toBe(0);
    // No association was attempted for an ASN that never came.
    expect(emulator.calls('AssociateIpamByoasn')).toHaveLength(0);
  });

  test('a redeploy after a failed provisioning is not failed by the stale record that eventual consistency still shows', async () => {
    emulator.setAsnOutcome(64496, { provision: { fail: true, statusMessage: 'The certificate in the RIR record does not match the signature.' } });
    expect((await driver.deploy(example.template)).status).toBe('ROLLBACK_COMPLETE');
    // The user fixes the RIR record and deploys again within the 7 days AWS keeps listing the failed record.
    emulator.setAsnOutcome(64496, { provision: undefined });
    emulator.configure({ consistencyDelayMs: 25_000 });
    const result = await driver.deploy(example.template);
    expect(result).toEqual({ status: 'CREATE_COMPLETE' });
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
  });

  test('a redeploy that fails again for the same reason still fails with AWS\'s message, once the stale window has passed', async () => {
    const message = 'The certificate in the RIR record does not match the signature.';
    emulator.setAsnOutcome(64496, { provision: { fail: true, statusMessage: message } });
    expect((await driver.deploy(example.template)).status).toBe('ROLLBACK_COMPLETE');
    emulator.configure({ consistencyDelayMs: 25_000 });
    const started = clock.now();
    const result = await driver.deploy(example.template);
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.reason).toContain(message);
    // Failed within minutes, not at the 50-minute timeout.
    expect(clock.now() - started).toBeLessThan(10 * 60_000);
    expect(leftovers(emulator)).toEqual([]);
  });

  test('an association over a lingering failed one is not failed by the stale record', async () => {
    emulator.addAssociation({ asn: 64496, cidr: '203.0.113.0/24', state: 'failed-association', statusMessage: 'The ROA does not authorize ASN 64496.' });
    emulator.configure({ consistencyDelayMs: 25_000 });
    expect(await driver.deploy(example.template)).toEqual({ status: 'CREATE_COMPLETE' });
    expect(associationStates()['203.0.113.0/24']).toBe('associated');
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
  });

  test('a deploy while the ASN is still being deprovisioned waits for that, then provisions once', async () => {
    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    // Someone removes the ASN outside the stack (associations first), and the stack is deployed anew at once.
    const ec2 = new EC2Client({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
    try {
      for (const cidr of ['203.0.113.0/24', '2001:db8:1000::/48']) {
        await ec2.send(new DisassociateIpamByoasnCommand({ Asn: '64496', Cidr: cidr }));
      }
      clock.advance(60_000);
      await ec2.send(new DeprovisionIpamByoasnCommand({ IpamId: fakeIpamId('Ipam'), Asn: '64496' }));
    } finally {
      ec2.destroy();
    }
    emulator.configure({ consistencyDelayMs: 25_000 });
    driver.resources.clear();
    emulator.clearCalls();
    expect(await driver.deploy(example.template)).toEqual({ status: 'CREATE_COMPLETE' });
    expect(emulator.calls('ProvisionIpamByoasn').filter((c) => c.succeeded)).toHaveLength(1);
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
  });

  test('rolls a failed update back: the replaced association returns, the new one goes', async () => {
    emulator.addByoipCidr({ cidr: '198.51.100.0/24' });
    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    const v4 = logicalIdOf(example.template, 'Custom::ByoasnCidrAssociation', (p) => p.Cidr === '203.0.113.0/24');
    const v6 = logicalIdOf(example.template, 'Custom::ByoasnCidrAssociation', (p) => p.Cidr === '2001:db8:1000::/48');
    const v4Before = driver.physicalId(v4);
    // The IPv4 association moves (replacement, succeeds); the IPv6 one moves to a CIDR that is no BYOIP CIDR.
    let template = withProperty(example.template, v4, 'Cidr', '198.51.100.0/24');
    template = withProperty(template, v6, 'Cidr', '2001:db8:2000::/48');
    const result = await driver.deploy(template);
    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result.reason).toContain('2001:db8:2000::/48');
    expect(driver.physicalId(v4)).toBe(v4Before);
    expect(associationStates()).toEqual({
      '198.51.100.0/24': 'disassociated',
      '2001:db8:1000::/48': 'associated',
      '203.0.113.0/24': 'associated',
    });
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
  });

  test('rides out eventual consistency: resources not yet listed after the call', async () => {
    emulator.configure({ consistencyDelayMs: 25_000 });
    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
  });

  test('rides out throttling of every call', async () => {
    emulator.configure({ throttle: [{ capacity: 2, refillPerSecond: 10 }] });
    expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(leftovers(emulator)).toEqual([]);
    expect(emulator.calls().some((c) => c.errorCode === 'RequestLimitExceeded')).toBe(true);
  });

  test('a provisioning that outlasts the timeout fails the deployment, and a later destroy still removes the ASN', async () => {
    emulator.configure({ delays: { provisionAsn: 2 * 3600_000 } });
    const result = await driver.deploy(example.template);
    expect(result.reason).toContain('Operation timed out');
    // Whatever the rollback managed, destroying the stack once AWS has finished leaves nothing behind.
    clock.advance(2 * 3600_000);
    if (driver.resources.size > 0) {
      expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    }
    expect(leftovers(emulator)).toEqual([]);
  });
});

function withProperty(template: Template, logicalId: string, property: string, value: unknown): Template {
  const copy = JSON.parse(JSON.stringify(template)) as Template;
  (copy.Resources[logicalId].Properties as Record<string, unknown>)[property] = value;
  return copy;
}

function associationStates(): Record<string, string> {
  return Object.fromEntries(emulator.snapshot().associations.map((a) => [a.cidr, a.state]));
}
