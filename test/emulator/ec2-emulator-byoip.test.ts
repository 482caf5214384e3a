/**
 * The emulator's BYOIP model, observed through the real @aws-sdk/client-ec2: the address pool id in the
 * StatusMessage of a provisioned range, the origin ASN's association listed as `advertised`, refusals while
 * addresses are allocated, and deprovisioned ranges that linger beside a new provisioning of the same range.
 */
import {
  AdvertiseByoipCidrCommand,
  AssociateIpamByoasnCommand,
  type ByoipCidr,
  DeprovisionByoipCidrCommand,
  DescribeByoipCidrsCommand,
  DisassociateIpamByoasnCommand,
  EC2Client,
  ProvisionByoipCidrCommand,
  ProvisionIpamByoasnCommand,
  WithdrawByoipCidrCommand,
} from '@aws-sdk/client-ec2';
import { Ec2Emulator, ManualClock } from './ec2-emulator';
import { ClientPool, authContext, expectEc2Error } from './sdk-helpers';

const IPAM = 'ipam-0123456789abcdef0';
const CIDR = '203.0.113.0/24';
const CIDR6 = '2001:db8:1000::/48';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const POOL_V4 = /^ipv4pool-ec2-[0-9a-f]{17}$/;
const POOL_V6 = /^ipv6pool-ec2-[0-9a-f]{17}$/;

let clock: ManualClock;
let emulator: Ec2Emulator;
let ec2: EC2Client;
const pool = new ClientPool();

beforeEach(async () => {
  clock = new ManualClock();
  emulator = new Ec2Emulator({ now: clock.now });
  await emulator.start();
  ec2 = pool.client(emulator);
});
afterEach(async () => {
  pool.destroyAll();
  await emulator.stop();
});

const provisionCidr = (cidr = CIDR, extra: { PubliclyAdvertisable?: boolean } = {}) => ec2.send(new ProvisionByoipCidrCommand({
  Cidr: cidr, CidrAuthorizationContext: { Message: `1|aws|123456789012|${cidr}|20301231|SHA256|RSAPSS`, Signature: 'c2lnbmF0dXJl~abc-_' }, ...extra,
}));
const deprovisionCidr = (cidr = CIDR) => ec2.send(new DeprovisionByoipCidrCommand({ Cidr: cidr }));
const advertise = (asn?: string, cidr = CIDR) => ec2.send(new AdvertiseByoipCidrCommand({ Cidr: cidr, Asn: asn }));
const withdraw = (cidr = CIDR) => ec2.send(new WithdrawByoipCidrCommand({ Cidr: cidr }));
const provisionAsn = (asn: string) =>
  ec2.send(new ProvisionIpamByoasnCommand({ IpamId: IPAM, Asn: asn, AsnAuthorizationContext: authContext(asn) }));
const associate = (asn: string, cidr = CIDR) => ec2.send(new AssociateIpamByoasnCommand({ Asn: asn, Cidr: cidr }));
const disassociate = (asn: string, cidr = CIDR) => ec2.send(new DisassociateIpamByoasnCommand({ Asn: asn, Cidr: cidr }));
const listCidrs = async (maxResults = 100, nextToken?: string): Promise<ByoipCidr[]> =>
  (await ec2.send(new DescribeByoipCidrsCommand({ MaxResults: maxResults, NextToken: nextToken }))).ByoipCidrs ?? [];
const cidrOf = async (cidr = CIDR): Promise<ByoipCidr | undefined> => (await listCidrs()).filter((c) => c.Cidr === cidr).pop();
const associationStates = async (cidr = CIDR): Promise<string[]> =>
  ((await cidrOf(cidr))?.AsnAssociations ?? []).map((a) => `${a.Asn} ${a.State}`);

describe('the address pool id in the StatusMessage', () => {
  test('a successful provisioning ends with the id of an IPv4 or IPv6 pool, none while pending', async () => {
    emulator.configure({ delays: { provisionCidr: MINUTE } });
    const pending = await provisionCidr();
    await provisionCidr(CIDR6, { PubliclyAdvertisable: false });
    expect(pending.ByoipCidr?.StatusMessage).toBeUndefined();
    expect((await cidrOf())?.StatusMessage).toBeUndefined();
    clock.advance(MINUTE);

    const v4 = await cidrOf();
    const v6 = await cidrOf(CIDR6);
    expect(v4).toMatchObject({ State: 'provisioned', StatusMessage: expect.stringMatching(POOL_V4) });
    expect(v6).toMatchObject({ State: 'provisioned-not-publicly-advertisable', StatusMessage: expect.stringMatching(POOL_V6) });
    expect(emulator.snapshot().byoipCidrs.map((c) => c.statusMessage)).toEqual([v6?.StatusMessage, v4?.StatusMessage]);
  });

  test('is kept while the range is advertised and after it is withdrawn, cleared when it is deprovisioned', async () => {
    emulator.configure({ delays: { advertise: MINUTE, withdraw: MINUTE } });
    await provisionCidr();
    const poolId = (await cidrOf())?.StatusMessage;
    expect(poolId).toMatch(POOL_V4);

    await advertise();
    expect((await cidrOf())?.StatusMessage).toBeUndefined(); // pending-advertising
    clock.advance(MINUTE);
    expect(await cidrOf()).toMatchObject({ State: 'advertised', StatusMessage: poolId });
    await withdraw();
    clock.advance(MINUTE);
    expect(await cidrOf()).toMatchObject({ State: 'provisioned', StatusMessage: poolId });
    await deprovisionCidr();
    expect((await cidrOf())?.StatusMessage).toBeUndefined();
  });

  test('a failure, or a configured message, replaces it; each provisioning gets a new pool', async () => {
    emulator.setByoipCidrOutcome(CIDR, { provision: { fail: true } });
    await provisionCidr();
    expect(await cidrOf()).toMatchObject({ State: 'failed-provision', StatusMessage: 'The CIDR authorization could not be verified against the RIR record.' });

    emulator.setByoipCidrOutcome(CIDR, { provision: { statusMessage: 'ipv4pool-ec2-0123456789abcdef0' } });
    await provisionCidr();
    expect((await cidrOf())?.StatusMessage).toBe('ipv4pool-ec2-0123456789abcdef0');

    emulator.setByoipCidrOutcome(CIDR, { provision: undefined });
    await deprovisionCidr();
    await provisionCidr();
    const first = (await cidrOf())?.StatusMessage;
    await deprovisionCidr();
    await provisionCidr();
    expect((await cidrOf())?.StatusMessage).toMatch(POOL_V4);
    expect((await cidrOf())?.StatusMessage).not.toBe(first);
  });
});

describe('the origin ASN of an advertised range', () => {
  beforeEach(async () => {
    await provisionCidr();
    await provisionAsn('64496');
    await provisionAsn('64497');
    await associate('64496');
    await associate('64497');
  });

  test("lists its association as advertised while advertised (and being withdrawn), then associated again; others stay associated", async () => {
    emulator.configure({ delays: { advertise: MINUTE, withdraw: MINUTE } });
    const adv = await advertise('64496');
    expect(adv.ByoipCidr?.AsnAssociations?.map((a) => a.State)).toEqual(['associated', 'associated']);
    expect(await associationStates()).toEqual(['64496 associated', '64497 associated']);

    clock.advance(MINUTE);
    expect(await associationStates()).toEqual(['64496 advertised', '64497 associated']);
    // The stored association is still associated: only the listing shows the origin.
    expect(emulator.snapshot().associations.map((a) => a.state)).toEqual(['associated', 'associated']);

    const wd = await withdraw();
    expect(wd.ByoipCidr).toMatchObject({ State: 'pending-withdrawal', AsnAssociations: [{ Asn: '64496', State: 'advertised' }, { Asn: '64497', State: 'associated' }] });
    expect(await associationStates()).toEqual(['64496 advertised', '64497 associated']);
    clock.advance(MINUTE);
    expect(await associationStates()).toEqual(['64496 associated', '64497 associated']);
  });

  test("moves with the origin, and no association reads advertised with Amazon's ASN", async () => {
    await advertise('64496');
    expect(await associationStates()).toEqual(['64496 advertised', '64497 associated']);
    await advertise('64497');
    expect(await associationStates()).toEqual(['64496 associated', '64497 advertised']);
    await advertise('AWS');
    expect(await associationStates()).toEqual(['64496 associated', '64497 associated']);
    expect((await cidrOf())?.State).toBe('advertised');
  });

  test('a seeded advertisement (addByoipCidr advertisedAsn) shows its origin too', async () => {
    emulator.addByoipCidr({ cidr: '198.51.100.0/24', advertisedAsn: 64500 });
    emulator.addAssociation({ asn: 64500, cidr: '198.51.100.0/24' });

    expect(await associationStates('198.51.100.0/24')).toEqual(['64500 advertised']);
  });
});

describe('allocated addresses', () => {
  test('DeprovisionByoipCidr is refused with IncorrectState while addresses are allocated, and allowed once released', async () => {
    await provisionCidr();
    emulator.setAllocatedAddresses(CIDR, 2);

    await expectEc2Error(deprovisionCidr(), 'IncorrectState', 400, /203\.0\.113\.0\/24 cannot be deprovisioned while 2 of its addresses are allocated \(Elastic IP addresses or IPAM pool allocations\)\. Release them first\./);
    expect((await cidrOf())?.State).toBe('provisioned');

    emulator.setAllocatedAddresses(CIDR, 0);
    expect((await deprovisionCidr()).ByoipCidr?.State).toBe('pending-deprovision');
  });

  test('an advertisement or an association is named first', async () => {
    await provisionCidr();
    await provisionAsn('64496');
    await associate('64496');
    emulator.setAllocatedAddresses(CIDR, 1);

    await advertise();
    await expectEc2Error(deprovisionCidr(), 'IncorrectState', 400, /Withdraw it/);
    await withdraw();
    await expectEc2Error(deprovisionCidr(), 'IncorrectState', 400, /ASNs are associated/);
    await disassociate('64496');
    await expectEc2Error(deprovisionCidr(), 'IncorrectState', 400, /1 of its addresses are allocated/);
  });

  test('reset() releases them; a bad count is refused', async () => {
    await provisionCidr();
    emulator.setAllocatedAddresses(CIDR, 3);
    emulator.reset();
    emulator.addByoipCidr({ cidr: CIDR });
    await deprovisionCidr();
    expect(() => emulator.setAllocatedAddresses(CIDR, -1)).toThrow(/whole number/);
    expect(() => emulator.setAllocatedAddresses(CIDR, 1.5)).toThrow(/whole number/);
  });
});

describe('deprovisioned ranges that linger', () => {
  test('a range provisioned again lists its deprovisioned record first, without associations; it blocks nothing', async () => {
    await provisionCidr();
    await provisionAsn('64496');
    await associate('64496');
    await disassociate('64496');
    await deprovisionCidr();
    clock.advance(MINUTE);
    await provisionCidr();
    await associate('64496');

    const listed = await listCidrs();
    expect(listed.map((c) => `${c.Cidr} ${c.State}`)).toEqual([`${CIDR} deprovisioned`, `${CIDR} provisioned`]);
    expect(listed[0].AsnAssociations).toEqual([]);
    expect(listed[1].AsnAssociations?.map((a) => `${a.Asn} ${a.State}`)).toEqual(['64496 disassociated', '64496 associated']);
    expect(listed[1].StatusMessage).toMatch(POOL_V4);
    expect(emulator.snapshot().byoipCidrs).toEqual([expect.objectContaining({ cidr: CIDR, state: 'provisioned' })]);
    expect(emulator.lingeringRecords().byoipCidrs).toEqual([expect.objectContaining({ cidr: CIDR, state: 'deprovisioned' })]);
    expect(emulator.snapshot().lingering).toContainEqual(expect.objectContaining({ kind: 'byoipCidr', cidr: CIDR, state: 'deprovisioned' }));
    // The live record is the one acted on.
    await disassociate('64496');
    await deprovisionCidr();
    expect((await listCidrs()).map((c) => c.State)).toEqual(['deprovisioned', 'deprovisioned']);
  });

  test('a failed provisioning lingers before the retry that follows it', async () => {
    emulator.setByoipCidrOutcome(CIDR, { provision: { fail: true, statusMessage: 'no ROA' } });
    await provisionCidr();
    emulator.setByoipCidrOutcome(CIDR, { provision: undefined });
    await provisionCidr();

    expect((await listCidrs()).map((c) => `${c.State} ${c.StatusMessage?.replace(/[0-9a-f]{17}$/, 'x')}`))
      .toEqual(['failed-provision no ROA', 'provisioned ipv4pool-ec2-x']);
  });

  test('they expire after byoipCidrLingerMs, and count against no quota', async () => {
    emulator.configure({ byoipCidrLingerMs: 7 * DAY, byoipCidrQuota: 1 });
    await provisionCidr();
    await deprovisionCidr();
    await provisionCidr();
    expect(await listCidrs()).toHaveLength(2);
    clock.advance(7 * DAY - 1);
    expect(await listCidrs()).toHaveLength(2);
    clock.advance(1);
    expect((await listCidrs()).map((c) => c.State)).toEqual(['provisioned']);
    expect(emulator.lingeringRecords().byoipCidrs).toEqual([]);
  });

  test('addLingeringByoipCidr seeds one before the live record; reset() forgets it', async () => {
    emulator.addByoipCidr({ cidr: CIDR });
    emulator.addLingeringByoipCidr({ cidr: CIDR, state: 'deprovisioned', statusMessage: 'ipv4pool-ec2-00000000000000001' });

    expect((await listCidrs()).map((c) => `${c.State} ${c.StatusMessage ?? ''}`)).toEqual(['deprovisioned ipv4pool-ec2-00000000000000001', 'provisioned ']);
    emulator.reset();
    expect(await listCidrs()).toEqual([]);
  });

  test('pages never split or skip the records of one range', async () => {
    emulator.addLingeringByoipCidr({ cidr: CIDR, state: 'failed-provision' });
    emulator.addByoipCidr({ cidr: CIDR });
    emulator.addLingeringByoipCidr({ cidr: CIDR, state: 'deprovisioned' });
    emulator.addByoipCidr({ cidr: '198.51.100.0/24' });
    const seen: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 10; i++) {
      const out = await ec2.send(new DescribeByoipCidrsCommand({ MaxResults: 1, NextToken: token }));
      seen.push(...(out.ByoipCidrs ?? []).map((c) => `${c.Cidr} ${c.State}`));
      token = out.NextToken;
      if (!token) break;
    }
    expect(seen).toEqual([`198.51.100.0/24 provisioned`, `${CIDR} deprovisioned`, `${CIDR} failed-provision`, `${CIDR} provisioned`]);
  });
});
