/**
 * Lingering records beside live ones, and reads that miss a fresh record for a while (`hideNext`), observed
 * through the real @aws-sdk/client-ec2.
 */
import {
  AssociateIpamByoasnCommand,
  DeprovisionIpamByoasnCommand,
  DescribeByoipCidrsCommand,
  DescribeIpamByoasnCommand,
  DisassociateIpamByoasnCommand,
  EC2Client,
  ProvisionIpamByoasnCommand,
  type AsnAssociation,
  type Byoasn,
} from '@aws-sdk/client-ec2';
import { Ec2Emulator, ManualClock } from './ec2-emulator';
import { ClientPool, authContext, expectEc2Error } from './sdk-helpers';

const IPAM_A = 'ipam-0123456789abcdef0';
const IPAM_B = 'ipam-0fedcba9876543210';
const CIDR = '203.0.113.0/24';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

let clock: ManualClock;
let emulator: Ec2Emulator;
let ec2: EC2Client;
const pool = new ClientPool();

beforeEach(async () => {
  clock = new ManualClock();
  emulator = new Ec2Emulator({ now: clock.now });
  await emulator.start();
  ec2 = pool.client(emulator);
  emulator.addByoipCidr({ cidr: CIDR });
});
afterEach(async () => {
  pool.destroyAll();
  await emulator.stop();
});

const provision = (asn: string, ipamId = IPAM_A) =>
  ec2.send(new ProvisionIpamByoasnCommand({ IpamId: ipamId, Asn: asn, AsnAuthorizationContext: authContext(asn) }));
const deprovision = (asn: string, ipamId = IPAM_A) => ec2.send(new DeprovisionIpamByoasnCommand({ IpamId: ipamId, Asn: asn }));
const associate = (asn: string, cidr = CIDR) => ec2.send(new AssociateIpamByoasnCommand({ Asn: asn, Cidr: cidr }));
const disassociate = (asn: string, cidr = CIDR) => ec2.send(new DisassociateIpamByoasnCommand({ Asn: asn, Cidr: cidr }));
const listAsns = async (): Promise<Byoasn[]> => (await ec2.send(new DescribeIpamByoasnCommand({}))).Byoasns ?? [];
const asnStates = async (): Promise<string[]> => (await listAsns()).map((a) => `${a.Asn} ${a.IpamId} ${a.State}`);
const associationsOf = async (cidr = CIDR): Promise<AsnAssociation[]> => {
  const out = await ec2.send(new DescribeByoipCidrsCommand({ MaxResults: 100 }));
  return out.ByoipCidrs?.find((c) => c.Cidr === cidr)?.AsnAssociations ?? [];
};
const associationStates = async (): Promise<string[]> => (await associationsOf()).map((a) => `${a.Asn} ${a.State}`);

describe('lingering ASN records', () => {
  test('an ASN deprovisioned in IPAM A and provisioned in IPAM B is listed twice, the old record first, for 7 days', async () => {
    await provision('64496');
    await deprovision('64496');
    clock.advance(MINUTE);
    await provision('64496', IPAM_B);
    expect(await asnStates()).toEqual([`64496 ${IPAM_A} deprovisioned`, `64496 ${IPAM_B} provisioned`]);
    expect(emulator.snapshot().asns).toEqual([{ asn: '64496', ipamId: IPAM_B, state: 'provisioned' }]);
    expect(emulator.lingeringRecords().asns).toEqual([{ asn: '64496', ipamId: IPAM_A, state: 'deprovisioned' }]);
    // The lingering record blocks nothing: the live one can be deprovisioned, and the old IPAM has no such ASN.
    await expectEc2Error(deprovision('64496', IPAM_A), 'InvalidParameterValue', 400, /not provisioned in IPAM/);
    clock.advance(7 * DAY - MINUTE - 1);
    expect(await listAsns()).toHaveLength(2);
    clock.advance(1);
    expect(await asnStates()).toEqual([`64496 ${IPAM_B} provisioned`]);
    expect(emulator.lingeringRecords().asns).toEqual([]);
  });

  test('a failed provisioning lingers before the retry that follows it, during and after its pending state', async () => {
    emulator.configure({ delays: { provisionAsn: 3 * MINUTE } });
    emulator.setAsnOutcome('64496', { provision: { fail: true, statusMessage: 'bad signature' } });
    await provision('64496');
    clock.advance(3 * MINUTE);
    emulator.setAsnOutcome('64496', { provision: undefined });
    await provision('64496');
    const [first, second] = await listAsns();
    expect(first).toEqual({ Asn: '64496', IpamId: IPAM_A, State: 'failed-provision', StatusMessage: 'bad signature' });
    expect(second).toEqual({ Asn: '64496', IpamId: IPAM_A, State: 'pending-provision' });
    clock.advance(3 * MINUTE);
    expect(await asnStates()).toEqual([`64496 ${IPAM_A} failed-provision`, `64496 ${IPAM_A} provisioned`]);
  });

  test('with eventual consistency, the old record alone is listed until the new one becomes visible', async () => {
    emulator.configure({ consistencyDelayMs: 10_000 });
    emulator.addAsn({ asn: 64496, ipamId: IPAM_A, state: 'deprovisioned' });
    await provision('64496', IPAM_B);
    expect(await asnStates()).toEqual([`64496 ${IPAM_A} deprovisioned`]);
    clock.advance(10_000);
    expect(await asnStates()).toEqual([`64496 ${IPAM_A} deprovisioned`, `64496 ${IPAM_B} provisioned`]);
  });

  test('addLingeringAsn seeds a record before the live one, which blocks neither the quota nor anything else', async () => {
    emulator.configure({ asnQuotaPerIpam: 1 });
    await provision('64496');
    emulator.addLingeringAsn({ asn: 64496, ipamId: IPAM_B, state: 'deprovisioned' });
    emulator.addLingeringAsn({ asn: '64497', ipamId: IPAM_B, state: 'failed-provision', statusMessage: 'old failure' });
    expect(await listAsns()).toEqual([
      { Asn: '64496', IpamId: IPAM_B, State: 'deprovisioned' },
      { Asn: '64496', IpamId: IPAM_A, State: 'provisioned' },
      { Asn: '64497', IpamId: IPAM_B, State: 'failed-provision', StatusMessage: 'old failure' },
    ]);
    await provision('64497', IPAM_B); // quota 1 in IPAM B: the lingering records do not count
    await deprovision('64496');
    expect(emulator.snapshot().asns.map((a) => `${a.asn} ${a.state}`)).toEqual(['64496 deprovisioned', '64497 provisioned']);
    expect(emulator.lingeringRecords().asns.map((a) => `${a.asn} ${a.ipamId} ${a.state}`)).toEqual([
      `64496 ${IPAM_B} deprovisioned`, `64497 ${IPAM_B} failed-provision`,
    ]);
  });

  test('a lingering record expires after asnLingerMs', async () => {
    emulator.configure({ asnLingerMs: 5 * MINUTE });
    emulator.addLingeringAsn({ asn: 64496, ipamId: IPAM_B, state: 'deprovisioned' });
    clock.advance(5 * MINUTE - 1);
    expect(await listAsns()).toHaveLength(1);
    clock.advance(1);
    expect(await listAsns()).toEqual([]);
  });

  test('pages never split or skip records of one ASN', async () => {
    emulator.configure({ maxPageSize: 2 });
    for (const asn of ['64496', '64497', '64498']) {
      await provision(asn);
      emulator.addLingeringAsn({ asn, ipamId: IPAM_B, state: 'deprovisioned' });
    }
    const seen: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; page++) {
      const out = await ec2.send(new DescribeIpamByoasnCommand({ NextToken: token }));
      seen.push(...(out.Byoasns ?? []).map((a) => `${a.Asn} ${a.State}`));
      token = out.NextToken;
      if (!token) break;
    }
    expect(seen).toEqual([
      '64496 deprovisioned', '64496 provisioned', '64497 deprovisioned', '64497 provisioned', '64498 deprovisioned', '64498 provisioned',
    ]);
  });

  test('reset() forgets lingering records', async () => {
    emulator.addLingeringAsn({ asn: 64496, ipamId: IPAM_B, state: 'deprovisioned' });
    emulator.reset();
    expect(await listAsns()).toEqual([]);
  });
});

describe('lingering associations', () => {
  beforeEach(() => emulator.addAsn({ asn: 64496, ipamId: IPAM_A }));

  test('re-associating after a disassociation lists the disassociated record first, in asnAssociationSet', async () => {
    await associate('64496');
    await disassociate('64496');
    await associate('64496');
    expect(await associationStates()).toEqual(['64496 disassociated', '64496 associated']);
    expect(emulator.snapshot().associations).toEqual([{ asn: '64496', cidr: CIDR, state: 'associated' }]);
    expect(emulator.lingeringRecords().associations).toEqual([{ asn: '64496', cidr: CIDR, state: 'disassociated' }]);
    expect(emulator.snapshot().lingering).toEqual([{ kind: 'association', asn: '64496', cidr: CIDR, state: 'disassociated' }]);
    // The lingering record blocks nothing: the ASN cannot be deprovisioned while the live one is associated, and can after.
    await expectEc2Error(deprovision('64496'), 'IncorrectState', 400, /associations/);
    await disassociate('64496');
    await deprovision('64496');
  });

  test('addLingeringAssociation seeds a record before the live one; it expires after associationLingerMs', async () => {
    emulator.configure({ associationLingerMs: 10 * MINUTE });
    emulator.addAsn({ asn: 64495, ipamId: IPAM_A });
    await associate('64496');
    await associate('64495');
    emulator.addLingeringAssociation({ asn: 64496, cidr: CIDR, state: 'failed-association', statusMessage: 'no ROA' });
    expect(await associationsOf()).toEqual([
      { Asn: '64495', Cidr: CIDR, State: 'associated' },
      { Asn: '64496', Cidr: CIDR, State: 'failed-association', StatusMessage: 'no ROA' },
      { Asn: '64496', Cidr: CIDR, State: 'associated' },
    ]);
    // It does not block deprovisioning once the live association is gone.
    await disassociate('64496');
    await deprovision('64496');
    clock.advance(10 * MINUTE);
    expect(await associationStates()).toEqual(['64495 associated']);
  });

  test('a lingering association with no live one is listed alone, and a new association goes after it', async () => {
    emulator.addLingeringAssociation({ asn: 64496, cidr: CIDR, state: 'disassociated' });
    expect(await associationStates()).toEqual(['64496 disassociated']);
    await associate('64496');
    expect(await associationStates()).toEqual(['64496 disassociated', '64496 associated']);
  });
});

describe('hideNext', () => {
  test('hides the next provisioning from reads for the given time, overriding the consistency delay', async () => {
    emulator.configure({ consistencyDelayMs: 1000 });
    emulator.hideNext('ProvisionIpamByoasn', 30_000);
    await provision('64496');
    await provision('64497');
    clock.advance(1000);
    expect(await asnStates()).toEqual([`64497 ${IPAM_A} provisioned`]);
    expect(emulator.snapshot().asns).toHaveLength(2); // the service itself knows
    await expectEc2Error(provision('64496'), 'IncorrectState'); // and acts on it
    clock.advance(29_000 - 1);
    expect(await listAsns()).toHaveLength(1);
    clock.advance(1);
    expect(await asnStates()).toEqual([`64496 ${IPAM_A} provisioned`, `64497 ${IPAM_A} provisioned`]);
  });

  test('count hides that many successful mutations; refused calls do not use it up', async () => {
    emulator.hideNext('AssociateIpamByoasn', 60_000, 2);
    emulator.addByoipCidr({ cidr: '198.51.100.0/24' });
    await expectEc2Error(associate('64496'), 'IncorrectState'); // not provisioned: refused, nothing hidden
    emulator.addAsn({ asn: 64496, ipamId: IPAM_A });
    await associate('64496');
    await associate('64496', '198.51.100.0/24');
    emulator.addAsn({ asn: 64497, ipamId: IPAM_A });
    await associate('64497');
    expect(await associationStates()).toEqual(['64497 associated']);
    expect(await associationsOf('198.51.100.0/24')).toEqual([]);
    clock.advance(60_000);
    expect(await associationStates()).toEqual(['64496 associated', '64497 associated']);
  });

  test('a hidden deprovisioning leaves the old state visible, as a Delete that misses it would see', async () => {
    await provision('64496');
    emulator.hideNext('DeprovisionIpamByoasn', 20_000);
    await deprovision('64496');
    expect(await asnStates()).toEqual([`64496 ${IPAM_A} provisioned`]);
    clock.advance(20_000);
    expect(await asnStates()).toEqual([`64496 ${IPAM_A} deprovisioned`]);
  });

  test('a hidden provisioning over a deprovisioned record: only the old record is listed until then', async () => {
    await provision('64496');
    await deprovision('64496');
    emulator.hideNext('ProvisionIpamByoasn', 20_000);
    await provision('64496', IPAM_B);
    expect(await asnStates()).toEqual([`64496 ${IPAM_A} deprovisioned`]);
    clock.advance(20_000);
    expect(await asnStates()).toEqual([`64496 ${IPAM_A} deprovisioned`, `64496 ${IPAM_B} provisioned`]);
  });

  test('rejects bad arguments', () => {
    expect(() => emulator.hideNext('ProvisionIpamByoasn', -1)).toThrow(/ms/);
    expect(() => emulator.hideNext('ProvisionIpamByoasn', 1, 0)).toThrow(/count/);
  });
});
