import { AdvertiseByoipCidrCommand, EC2Client, WithdrawByoipCidrCommand } from '@aws-sdk/client-ec2';
import { CloudFormationDriver, fakeIpamId } from './cloudformation';
import { HarnessEmulator, JumpingClock, leftovers, startHarness } from './harness';
import { BYOIP_EXAMPLE_CIDRS, SynthesizedStack, Template, synthesizeByoipExample } from './synth';

/**
 * The BYOIP example app (ByoipExample: two ranges, an IPAM, an ASN, its associations with both ranges and an
 * advertisement of the IPv4 range with the ASN) against the emulator, with the handler bundle that ships,
 * through the CloudFormation stand-in. The emulator starts empty: the stack brings its ranges itself.
 */

const [V4, V6] = BYOIP_EXAMPLE_CIDRS;
const ASN = '64497';
const MINUTE = 60_000;
/** AWS-like timings (BYOIP provisioning really takes days; waitForProvisioning false covers that). */
const DELAYS = {
  provisionCidr: 10 * MINUTE, deprovisionCidr: 60 * MINUTE, advertise: MINUTE, withdraw: MINUTE,
  provisionAsn: 3 * MINUTE, deprovisionAsn: MINUTE, associate: MINUTE, disassociate: 30_000,
};

/** AWS's limit on AdvertiseByoipCidr and WithdrawByoipCidr: once every 10 seconds per account. */
const RATE_LIMIT = { capacity: 1, refillPerSecond: 0.1, actions: ['AdvertiseByoipCidr', 'WithdrawByoipCidr'] };

let example: SynthesizedStack;
let emulator: HarnessEmulator;
let clock: JumpingClock;
let driver: CloudFormationDriver;
const clients: EC2Client[] = [];

beforeAll(() => {
  example = synthesizeByoipExample();
});

beforeEach(async () => {
  ({ emulator, clock, driver } = await startHarness(example, { byoipCidrs: [], emulatorOptions: { delays: DELAYS } }));
});

afterEach(async () => {
  clients.splice(0).forEach((c) => c.destroy());
  await emulator?.stop();
});

/** A client of someone working outside the stack (the console, the CLI). */
function outside(): EC2Client {
  const client = new EC2Client({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  clients.push(client);
  return client;
}

function idOf(type: string, match: (props: Record<string, unknown>) => boolean = () => true, template: Template = example.template): string {
  const found = Object.entries(template.Resources).filter(([, r]) => r.Type === type && match(r.Properties ?? {}));
  expect(found).toHaveLength(1);
  return found[0][0];
}

const ids = () => ({
  v4Range: idOf('Custom::ByoipCidr', (p) => p.Cidr === V4),
  v6Range: idOf('Custom::ByoipCidr', (p) => p.Cidr === V6),
  asn: idOf('Custom::IpamByoasn'),
  v4Association: idOf('Custom::ByoasnCidrAssociation', (p) => p.Cidr === V4),
  v6Association: idOf('Custom::ByoasnCidrAssociation', (p) => p.Cidr === V6),
  advertisement: idOf('Custom::ByoipCidrAdvertisement'),
});

/** AWS finishes the deprovisionings it accepted (a delete completes on acceptance; AWS takes its time). */
function awsFinishes(): void {
  clock.advance(DELAYS.deprovisionCidr);
}

function rangeStates(): Record<string, string> {
  return Object.fromEntries(emulator.snapshot().byoipCidrs.map((c) => [c.cidr, c.advertisedAsn ? `${c.state} with ${c.advertisedAsn}` : c.state]));
}

/** The successful mutating calls, in order, as `Action <cidr or asn>`. */
function mutations(): string[] {
  return emulator.calls().filter((c) => c.succeeded && /^(Provision|Deprovision|Advertise|Withdraw|Associate|Disassociate)/.test(c.action))
    .map((c) => `${c.action} ${c.params.Cidr ?? c.params.Asn}`);
}

/** The stack events without the polls, as `logicalId STATUS`. */
function events(): string[] {
  return driver.events.filter((e) => e.poll === undefined).map((e) => `${e.logicalId} ${e.status}`);
}

/** The template with a DeletionPolicy on one resource. */
function withDeletionPolicy(logicalId: string, policy: string): Template {
  const copy = JSON.parse(JSON.stringify(example.template)) as Template;
  (copy.Resources[logicalId] as { DeletionPolicy?: string }).DeletionPolicy = policy;
  return copy;
}

test('the emulator starts without the ByoasnExample seeds', () => {
  expect(emulator.snapshot()).toMatchObject({ asns: [], associations: [], byoipCidrs: [], lingering: [] });
});

test('the full flow: brings the ranges, provisions the ASN, associates, advertises with the ASN; destroy undoes it in reverse, leaving nothing', async () => {
  const id = ids();
  expect(await driver.deploy(example.template)).toEqual({ status: 'CREATE_COMPLETE' });

  expect(rangeStates()).toEqual({ [V4]: `advertised with ${ASN}`, [V6]: 'provisioned' });
  expect(emulator.snapshot().asns).toEqual([expect.objectContaining({ asn: ASN, ipamId: fakeIpamId('Ipam'), state: 'provisioned' })]);
  expect(emulator.snapshot().associations.map((a) => `${a.asn} ${a.cidr} ${a.state}`)).toEqual([`${ASN} ${V4} associated`, `${ASN} ${V6} associated`]);
  expect(driver.physicalId(id.v4Range)).toBe(V4);
  expect(driver.attributes(id.v4Range)).toEqual({ Cidr: V4, State: 'provisioned', StatusMessage: expect.stringMatching(/^ipv4pool-ec2-/), PoolId: expect.stringMatching(/^ipv4pool-ec2-[0-9a-f]{17}$/) });
  expect(driver.attributes(id.v6Range)).toMatchObject({ Cidr: V6, State: 'provisioned', PoolId: expect.stringMatching(/^ipv6pool-ec2-[0-9a-f]{17}$/) });
  expect(driver.physicalId(id.advertisement)).toBe(`${V4}|${ASN}`);
  expect(driver.attributes(id.advertisement)).toMatchObject({ Cidr: V4, Asn: ASN, State: 'advertised' });
  // The 10 minutes of provisioning were waited out by polling.
  expect(driver.events.filter((e) => e.logicalId === id.v4Range && e.poll !== undefined).length).toBeGreaterThanOrEqual(60);

  expect(await driver.destroy()).toEqual({ status: 'DELETE_COMPLETE' });
  expect(driver.resources.size).toBe(0);
  // Each range's delete completed once AWS accepted the deprovisioning; AWS then takes its time.
  expect(rangeStates()).toEqual({ [V4]: 'pending-deprovision', [V6]: 'pending-deprovision' });
  expect(leftovers(emulator)).toEqual([`BYOIP CIDR ${V4} pending-deprovision`, `BYOIP CIDR ${V6} pending-deprovision`]);
  awsFinishes();
  expect(leftovers(emulator)).toEqual([]);
  expect(rangeStates()).toEqual({ [V4]: 'deprovisioned', [V6]: 'deprovisioned' });
  expect(driver.events.filter((e) => e.status.endsWith('_FAILED'))).toEqual([]);
});

test('the order of calls: provision, then associate, then advertise; withdraw, then disassociate, then deprovision the ASN and the ranges', async () => {
  const id = ids();
  expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
  const created = mutations();
  expect(created.slice().sort()).toEqual([
    `AdvertiseByoipCidr ${V4}`,
    `AssociateIpamByoasn ${V4}`,
    `AssociateIpamByoasn ${V6}`,
    `ProvisionByoipCidr ${V4}`,
    `ProvisionByoipCidr ${V6}`,
    `ProvisionIpamByoasn ${ASN}`,
  ]);
  const at = (calls: string[], call: string) => {
    expect(calls).toContain(call);
    return calls.indexOf(call);
  };
  for (const cidr of [V4, V6]) {
    expect(at(created, `ProvisionByoipCidr ${cidr}`)).toBeLessThan(at(created, `AssociateIpamByoasn ${cidr}`));
    expect(at(created, `ProvisionIpamByoasn ${ASN}`)).toBeLessThan(at(created, `AssociateIpamByoasn ${cidr}`));
  }
  expect(at(created, `AssociateIpamByoasn ${V4}`)).toBeLessThan(at(created, `AdvertiseByoipCidr ${V4}`));
  // CloudFormation started each resource only after what it depends on was complete.
  const createEvents = events();
  expect(at(createEvents, `${id.v4Association} CREATE_COMPLETE`)).toBeLessThan(at(createEvents, `${id.advertisement} CREATE_IN_PROGRESS`));
  expect(at(createEvents, `${id.v4Range} CREATE_COMPLETE`)).toBeLessThan(at(createEvents, `${id.v4Association} CREATE_IN_PROGRESS`));

  emulator.clearCalls();
  expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
  const deleted = mutations();
  expect(deleted.slice().sort()).toEqual([
    `DeprovisionByoipCidr ${V4}`,
    `DeprovisionByoipCidr ${V6}`,
    `DeprovisionIpamByoasn ${ASN}`,
    `DisassociateIpamByoasn ${V4}`,
    `DisassociateIpamByoasn ${V6}`,
    `WithdrawByoipCidr ${V4}`,
  ]);
  expect(at(deleted, `WithdrawByoipCidr ${V4}`)).toBeLessThan(at(deleted, `DisassociateIpamByoasn ${V4}`));
  for (const cidr of [V4, V6]) {
    expect(at(deleted, `DisassociateIpamByoasn ${cidr}`)).toBeLessThan(at(deleted, `DeprovisionIpamByoasn ${ASN}`));
    expect(at(deleted, `DisassociateIpamByoasn ${cidr}`)).toBeLessThan(at(deleted, `DeprovisionByoipCidr ${cidr}`));
  }
  // Nothing was refused on the way: every mutating call was made once, at the right moment.
  expect(emulator.calls().filter((c) => c.errorCode !== undefined)).toEqual([]);
  awsFinishes();
  expect(leftovers(emulator)).toEqual([]);
});

test('under the rate limit (one Advertise/Withdraw per 10 s), the advertisement and its withdrawal wait their turn, complete and never fail', async () => {
  await emulator.stop();
  // Between the clock's jumps, simulated time runs 10x real time, so that the SDK's real backoff refills the
  // bucket sooner (10 s of AWS time in 1 s of real time).
  ({ emulator, clock, driver } = await startHarness(example, {
    byoipCidrs: [], clockSpeed: 10, emulatorOptions: { delays: DELAYS, throttle: [RATE_LIMIT] },
  }));
  const id = ids();
  // Another range of the account, advertised and withdrawn outside the stack right before the stack's turn.
  const other = '192.0.2.0/24';
  emulator.addByoipCidr({ cidr: other });
  const ec2 = outside();

  const withoutAdvertisement = JSON.parse(JSON.stringify(example.template)) as Template;
  delete withoutAdvertisement.Resources[id.advertisement];
  expect((await driver.deploy(withoutAdvertisement)).status).toBe('CREATE_COMPLETE');
  emulator.clearCalls();
  await ec2.send(new AdvertiseByoipCidrCommand({ Cidr: other }));
  expect(await driver.deploy(example.template)).toEqual({ status: 'UPDATE_COMPLETE' });
  clock.advance(DELAYS.advertise);
  await ec2.send(new WithdrawByoipCidrCommand({ Cidr: other }));
  expect(await driver.destroy()).toEqual({ status: 'DELETE_COMPLETE' });

  const throttled = (action: string) => emulator.calls(action).filter((c) => c.params.Cidr === V4 && c.errorCode === 'RequestLimitExceeded').length;
  const applied = (action: string) => emulator.calls(action).filter((c) => c.params.Cidr === V4 && c.succeeded).length;
  // The stack's calls met the rate limit, and were made again until AWS took them, once each.
  expect(throttled('AdvertiseByoipCidr')).toBeGreaterThan(0);
  expect(throttled('WithdrawByoipCidr')).toBeGreaterThan(0);
  expect(applied('AdvertiseByoipCidr')).toBe(1);
  expect(applied('WithdrawByoipCidr')).toBe(1);
  expect(driver.events.filter((e) => e.status.endsWith('_FAILED'))).toEqual([]);
  awsFinishes();
  expect(leftovers(emulator)).toEqual([]);
  expect(rangeStates()[other]).toBe('provisioned');
}, 60_000);

test('a deprovisioning refused while the range is advertised outside the stack: destroy fails naming what blocks, nothing is lost, and a second destroy after the withdrawal completes', async () => {
  const id = ids();
  expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
  // Someone advertises the IPv6 range with Amazon's ASN, outside the stack.
  await outside().send(new AdvertiseByoipCidrCommand({ Cidr: V6 }));
  clock.advance(DELAYS.advertise);
  emulator.clearCalls();

  const result = await driver.destroy();
  expect(result.status).toBe('DELETE_FAILED');
  expect(result.reason).toBe(`${id.v6Range}: cannot deprovision BYOIP CIDR ${V6}: it is advertised. AWS does not deprovision an advertised range: withdraw it first (delete the ByoipCidrAdvertisement, or WithdrawByoipCidr), then delete again.`);
  // The handler said so before asking AWS; the rest of the stack went, the blocked range stayed, in the stack too.
  expect(emulator.calls('DeprovisionByoipCidr').map((c) => c.params.Cidr)).toEqual([V4]);
  expect([...driver.resources.entries()].filter(([, r]) => r.type.startsWith('Custom::')).map(([k]) => k)).toEqual([id.v6Range]);
  awsFinishes();
  expect(leftovers(emulator)).toEqual([`BYOIP CIDR ${V6} advertised`, `advertisement of ${V6} with Amazon's ASN advertised`]);

  await outside().send(new WithdrawByoipCidrCommand({ Cidr: V6 }));
  clock.advance(DELAYS.withdraw);
  expect(await driver.destroy()).toEqual({ status: 'DELETE_COMPLETE' });
  awsFinishes();
  expect(leftovers(emulator)).toEqual([]);
});

test('a retained advertisement blocks the disassociation: destroy fails naming the advertisement, nothing is lost, and a second destroy after the withdrawal completes', async () => {
  const id = ids();
  expect((await driver.deploy(withDeletionPolicy(id.advertisement, 'Retain'))).status).toBe('CREATE_COMPLETE');
  emulator.clearCalls();

  const result = await driver.destroy();
  expect(result.status).toBe('DELETE_FAILED');
  expect(result.reason).toContain(`${id.v4Association}: AWS refused to disassociate ASN ${ASN} from CIDR ${V4}, which is advertised`);
  expect(result.reason).toContain('withdraw the CIDR (WithdrawByoipCidr)');
  // Withdrawn nothing, deprovisioned only what nothing blocked: the ASN and the IPv4 range wait for the association.
  expect(emulator.calls('WithdrawByoipCidr')).toEqual([]);
  expect(emulator.calls('DeprovisionIpamByoasn')).toEqual([]);
  expect(emulator.calls('DeprovisionByoipCidr').map((c) => c.params.Cidr)).toEqual([V6]);
  expect([...driver.resources.entries()].filter(([, r]) => r.type.startsWith('Custom::')).map(([k]) => k).sort())
    .toEqual([id.asn, id.v4Association, id.v4Range].sort());
  expect(rangeStates()[V4]).toBe(`advertised with ${ASN}`);

  await outside().send(new WithdrawByoipCidrCommand({ Cidr: V4 }));
  clock.advance(DELAYS.withdraw);
  expect(await driver.destroy()).toEqual({ status: 'DELETE_COMPLETE' });
  awsFinishes();
  expect(leftovers(emulator)).toEqual([]);
});

test('with waitForProvisioning false, the ranges complete while AWS still says pending-provision; the rest follows in a later deployment', async () => {
  const id = ids();
  const days = 3 * 24 * 60 * MINUTE;
  emulator.configure({ delays: { provisionCidr: days } });
  const waitless = JSON.parse(JSON.stringify(example.template)) as Template;
  for (const range of [id.v4Range, id.v6Range]) {
    (waitless.Resources[range].Properties as Record<string, unknown>).WaitForProvisioning = 'false';
  }
  // First deployment: the ranges only (what needs them provisioned belongs in a later deployment).
  const rangesOnly = JSON.parse(JSON.stringify(waitless)) as Template;
  for (const other of [id.asn, id.v4Association, id.v6Association, id.advertisement]) {
    delete rangesOnly.Resources[other];
  }
  const started = clock.now();
  expect(await driver.deploy(rangesOnly)).toEqual({ status: 'CREATE_COMPLETE' });
  expect(clock.now() - started).toBeLessThan(5 * MINUTE);
  expect(rangeStates()).toEqual({ [V4]: 'pending-provision', [V6]: 'pending-provision' });
  expect(driver.attributes(id.v4Range)).toEqual({ Cidr: V4, State: 'pending-provision', StatusMessage: '', PoolId: '' });

  // Days later, AWS has provisioned them: the second deployment adds the ASN, the associations and the advertisement.
  clock.advance(days);
  expect(await driver.deploy(waitless)).toEqual({ status: 'UPDATE_COMPLETE' });
  expect(rangeStates()).toEqual({ [V4]: `advertised with ${ASN}`, [V6]: 'provisioned' });
  expect(emulator.calls('ProvisionByoipCidr')).toHaveLength(2);

  expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
  awsFinishes();
  expect(leftovers(emulator)).toEqual([]);
});

test("a failed provisioning fails with AWS's message and leaves nothing behind", async () => {
  const id = ids();
  const message = 'The ROA for 198.51.100.0/24 does not authorize Amazon ASNs 16509 and 14618.';
  emulator.setByoipCidrOutcome(V4, { provision: { fail: true, statusMessage: message } });
  const result = await driver.deploy(example.template);
  expect(result.status).toBe('ROLLBACK_COMPLETE');
  expect(result.reason).toBe(`${id.v4Range}: AWS could not provision BYOIP CIDR ${V4}: ${message}`);
  expect(driver.resources.size).toBe(0);
  // Nothing was associated with, or advertised for, a range that never came.
  expect(emulator.calls('AssociateIpamByoasn').map((c) => c.params.Cidr)).not.toContain(V4);
  expect(emulator.calls('AdvertiseByoipCidr')).toEqual([]);
  expect(rangeStates()[V4]).toBe('failed-provision');
  awsFinishes();
  expect(leftovers(emulator)).toEqual([]);
});

test('a deprovisioning that AWS itself refuses while advertised (the read missed an advertisement made moments before): destroy fails naming what blocks, nothing is lost', async () => {
  const id = ids();
  expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
  // Someone advertises the IPv6 range outside the stack; reads show it only minutes later.
  emulator.hideNext('AdvertiseByoipCidr', 30 * MINUTE);
  await outside().send(new AdvertiseByoipCidrCommand({ Cidr: V6 }));
  emulator.clearCalls();

  const result = await driver.destroy();
  expect(result.status).toBe('DELETE_FAILED');
  expect(result.reason).toBe(`${id.v6Range}: AWS refused to deprovision BYOIP CIDR ${V6} because it is advertised (DescribeByoipCidrs does not show it yet). `
    + 'AWS does not deprovision an advertised range: withdraw it first (delete the ByoipCidrAdvertisement, or WithdrawByoipCidr), then delete again. '
    + `AWS said: IncorrectState: The CIDR ${V6} is pending-advertising. Withdraw it (WithdrawByoipCidr) first.`);
  expect(emulator.calls('DeprovisionByoipCidr').filter((c) => c.params.Cidr === V6).map((c) => c.errorCode)).toEqual(['IncorrectState']);
  expect([...driver.resources.entries()].filter(([, r]) => r.type.startsWith('Custom::')).map(([k]) => k)).toEqual([id.v6Range]);

  clock.advance(30 * MINUTE);
  await outside().send(new WithdrawByoipCidrCommand({ Cidr: V6 }));
  clock.advance(DELAYS.withdraw);
  expect(await driver.destroy()).toEqual({ status: 'DELETE_COMPLETE' });
  awsFinishes();
  expect(leftovers(emulator)).toEqual([]);
});
