/**
 * The emulator's own tests: every response is parsed by the real @aws-sdk/client-ec2 and compared field by
 * field, because the SDK silently drops XML elements whose names it does not know.
 */
import {
  AdvertiseByoipCidrCommand,
  AssociateIpamByoasnCommand,
  DeprovisionByoipCidrCommand,
  DeprovisionIpamByoasnCommand,
  DescribeByoipCidrsCommand,
  type DescribeByoipCidrsCommandInput,
  DescribeIpamByoasnCommand,
  DescribeVpcsCommand,
  DisassociateIpamByoasnCommand,
  EC2Client,
  EC2ServiceException,
  ProvisionByoipCidrCommand,
  ProvisionIpamByoasnCommand,
  type ProvisionIpamByoasnCommandInput,
  WithdrawByoipCidrCommand,
  paginateDescribeByoipCidrs,
  type ByoipCidr,
  type Byoasn,
} from '@aws-sdk/client-ec2';
import { Ec2Emulator, ManualClock } from './ec2-emulator';
import { ClientPool, FAKE_CREDENTIALS, authContext, expectEc2Error, postRaw } from './sdk-helpers';

const IPAM = 'ipam-0123456789abcdef0';
const OTHER_IPAM = 'ipam-0fedcba9876543210';
const CIDR = '203.0.113.0/24';
const CIDR6 = '2001:db8:1000::/48';
const MINUTE = 60_000;

let clock: ManualClock;
let emulator: Ec2Emulator;
let ec2: EC2Client;
const pool = new ClientPool();

/** Starts a fresh emulator on a manual clock; `options` are passed through. */
async function startEmulator(options: ConstructorParameters<typeof Ec2Emulator>[0] = {}): Promise<void> {
  await emulator?.stop();
  clock = new ManualClock();
  emulator = new Ec2Emulator({ now: clock.now, ...options });
  await emulator.start();
  ec2 = pool.client(emulator);
}

beforeEach(() => startEmulator());
afterEach(async () => {
  pool.destroyAll();
  await emulator.stop();
});

const provision = (asn: string, ipamId = IPAM) =>
  ec2.send(new ProvisionIpamByoasnCommand({ IpamId: ipamId, Asn: asn, AsnAuthorizationContext: authContext(asn) }));
const deprovision = (asn: string, ipamId = IPAM) => ec2.send(new DeprovisionIpamByoasnCommand({ IpamId: ipamId, Asn: asn }));
const associate = (asn: string, cidr = CIDR) => ec2.send(new AssociateIpamByoasnCommand({ Asn: asn, Cidr: cidr }));
const disassociate = (asn: string, cidr = CIDR) => ec2.send(new DisassociateIpamByoasnCommand({ Asn: asn, Cidr: cidr }));
const listAsns = async (): Promise<Byoasn[]> => (await ec2.send(new DescribeIpamByoasnCommand({}))).Byoasns ?? [];
const listCidrs = async (): Promise<ByoipCidr[]> => (await ec2.send(new DescribeByoipCidrsCommand({ MaxResults: 100 }))).ByoipCidrs ?? [];

describe('wire format, checked with the real SDK', () => {
  test('ProvisionIpamByoasn: request keys and every response field', async () => {
    const out = await provision('64496');
    expect(out.Byoasn).toEqual({ Asn: '64496', IpamId: IPAM, State: 'pending-provision' });
    expect(out.$metadata.httpStatusCode).toBe(200);
    const [call] = emulator.calls('ProvisionIpamByoasn');
    expect(call.params).toEqual({
      'Action': 'ProvisionIpamByoasn',
      'Version': '2016-11-15',
      'IpamId': IPAM,
      'Asn': '64496',
      'AsnAuthorizationContext.Message': '1|aws|123456789012|64496|20301231|SHA256|RSAPSS',
      'AsnAuthorizationContext.Signature': 'c2lnbmF0dXJl~abc-_',
    });
    expect(out.$metadata.requestId).toBe(call.requestId);
  });

  test('DescribeIpamByoasn: every field including StatusMessage, no NextToken on the last page', async () => {
    emulator.setAsnOutcome('64497', { provision: { fail: true, statusMessage: 'RIR record <aut-num> lacks the "certificate" & key' } });
    await provision('64496');
    await provision('64497');
    const out = await ec2.send(new DescribeIpamByoasnCommand({ MaxResults: 10 }));
    expect(out.Byoasns).toEqual([
      { Asn: '64496', IpamId: IPAM, State: 'provisioned' },
      { Asn: '64497', IpamId: IPAM, State: 'failed-provision', StatusMessage: 'RIR record <aut-num> lacks the "certificate" & key' },
    ]);
    expect(out.NextToken).toBeUndefined();
  });

  test('DescribeIpamByoasn with nothing provisioned gives an empty list', async () => {
    const out = await ec2.send(new DescribeIpamByoasnCommand({}));
    expect(out.Byoasns).toEqual([]);
  });

  test('DeprovisionIpamByoasn', async () => {
    await provision('64496');
    const out = await deprovision('64496');
    expect(out.Byoasn).toEqual({ Asn: '64496', IpamId: IPAM, State: 'pending-deprovision' });
    expect(emulator.calls('DeprovisionIpamByoasn')[0].params).toEqual({
      Action: 'DeprovisionIpamByoasn', Version: '2016-11-15', IpamId: IPAM, Asn: '64496',
    });
  });

  test('AssociateIpamByoasn and DisassociateIpamByoasn', async () => {
    emulator.addByoipCidr({ cidr: CIDR });
    await provision('64496');
    const assoc = await associate('64496');
    expect(assoc.AsnAssociation).toEqual({ Asn: '64496', Cidr: CIDR, State: 'pending-association' });
    expect(emulator.calls('AssociateIpamByoasn')[0].params).toEqual({
      Action: 'AssociateIpamByoasn', Version: '2016-11-15', Asn: '64496', Cidr: CIDR,
    });
    const dis = await disassociate('64496');
    expect(dis.AsnAssociation).toEqual({ Asn: '64496', Cidr: CIDR, State: 'pending-disassociation' });
  });

  test('DescribeByoipCidrs: every ByoipCidr field and the nested AsnAssociations', async () => {
    emulator.addByoipCidr({ cidr: CIDR, description: 'doc <prefix> & "friends"', networkBorderGroup: 'us-east-1' });
    emulator.addByoipCidr({ cidr: CIDR6, state: 'failed-provision', statusMessage: "can't verify ROA" });
    emulator.setAssociationOutcome('64497', CIDR, { associate: { fail: true, statusMessage: 'ROA missing' } });
    await provision('64496');
    await provision('64497');
    await associate('64496');
    await associate('64497');
    const out = await ec2.send(new DescribeByoipCidrsCommand({ MaxResults: 5 }));
    expect(out.ByoipCidrs).toEqual([
      {
        Cidr: CIDR6, State: 'failed-provision', StatusMessage: "can't verify ROA",
        NetworkBorderGroup: 'us-east-1', AsnAssociations: [],
      },
      {
        Cidr: CIDR,
        Description: 'doc <prefix> & "friends"',
        State: 'provisioned',
        NetworkBorderGroup: 'us-east-1',
        AsnAssociations: [
          { Asn: '64496', Cidr: CIDR, State: 'associated' },
          { Asn: '64497', Cidr: CIDR, State: 'failed-association', StatusMessage: 'ROA missing' },
        ],
      },
    ]);
    expect(out.NextToken).toBeUndefined();
    expect(emulator.calls('DescribeByoipCidrs')[0].params).toEqual({ Action: 'DescribeByoipCidrs', Version: '2016-11-15', MaxResults: '5' });
  });

  test('ProvisionByoipCidr, AdvertiseByoipCidr, WithdrawByoipCidr, DeprovisionByoipCidr', async () => {
    const prov = await ec2.send(new ProvisionByoipCidrCommand({
      Cidr: CIDR, Description: 'mine', CidrAuthorizationContext: { Message: 'm', Signature: 's' },
    }));
    expect(prov.ByoipCidr).toEqual({
      Cidr: CIDR, Description: 'mine', State: 'pending-provision', NetworkBorderGroup: 'us-east-1', AsnAssociations: [],
    });
    expect(emulator.calls('ProvisionByoipCidr')[0].params).toMatchObject({
      'Cidr': CIDR, 'Description': 'mine', 'CidrAuthorizationContext.Message': 'm', 'CidrAuthorizationContext.Signature': 's',
    });
    await provision('64496');
    await associate('64496');
    const adv = await ec2.send(new AdvertiseByoipCidrCommand({ Cidr: CIDR, Asn: '64496' }));
    expect(adv.ByoipCidr).toEqual({
      Cidr: CIDR, Description: 'mine', State: 'pending-advertising', NetworkBorderGroup: 'us-east-1',
      AsnAssociations: [{ Asn: '64496', Cidr: CIDR, State: 'associated' }],
    });
    expect(emulator.snapshot().byoipCidrs[0]).toMatchObject({ state: 'advertised', advertisedAsn: '64496' });
    const wd = await ec2.send(new WithdrawByoipCidrCommand({ Cidr: CIDR }));
    expect(wd.ByoipCidr?.State).toBe('pending-withdrawal');
    expect(emulator.snapshot().byoipCidrs[0]).toMatchObject({ state: 'provisioned', advertisedAsn: undefined });
    await disassociate('64496');
    const dep = await ec2.send(new DeprovisionByoipCidrCommand({ Cidr: CIDR }));
    expect(dep.ByoipCidr?.State).toBe('pending-deprovision');
    expect((await listCidrs()).map((c) => c.State)).toEqual(['deprovisioned']);
  });

  test('errors: the SDK throws an EC2ServiceException named after the code, with status and request id', async () => {
    const err = await expectEc2Error(deprovision('64496'), 'InvalidParameterValue', 400, /not provisioned in IPAM/);
    expect(err).toBeInstanceOf(EC2ServiceException);
    expect(err.$fault).toBe('client');
    expect(err.$metadata?.requestId).toBe(emulator.calls()[0].requestId);
    expect(emulator.calls()[0]).toMatchObject({ status: 400, errorCode: 'InvalidParameterValue', succeeded: false });
  });

  test('error messages are XML-escaped', async () => {
    emulator.failNext('DescribeIpamByoasn', { kind: 'error', code: 'UnauthorizedOperation', message: 'no <access> & "denied"', status: 403 });
    await expectEc2Error(ec2.send(new DescribeIpamByoasnCommand({})), 'UnauthorizedOperation', 403, /^no <access> & "denied"$/);
  });

  test('an action the emulator does not know is InvalidAction (HTTP 400)', async () => {
    await expectEc2Error(ec2.send(new DescribeVpcsCommand({})), 'InvalidAction', 400, /DescribeVpcs/);
    const raw = await postRaw(emulator, 'Version=2016-11-15&Action=NoSuchThing');
    expect(raw.status).toBe(400);
    expect(raw.text).toContain('<Response><Errors><Error><Code>InvalidAction</Code>');
    const missing = await postRaw(emulator, 'Version=2016-11-15');
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('<Code>MissingAction</Code>');
  });

  test('success documents carry the EC2 namespace and requestId', async () => {
    const raw = await postRaw(emulator, 'Action=DescribeIpamByoasn&Version=2016-11-15');
    expect(raw.status).toBe(200);
    expect(raw.text).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<DescribeIpamByoasnResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/"><requestId>[0-9a-f-]{36}<\/requestId><byoasnSet><\/byoasnSet><\/DescribeIpamByoasnResponse>$/,
    );
  });

  test('DryRun answers DryRunOperation and changes nothing', async () => {
    await expectEc2Error(
      ec2.send(new ProvisionIpamByoasnCommand({ IpamId: IPAM, Asn: '64496', AsnAuthorizationContext: authContext('64496'), DryRun: true })),
      'DryRunOperation', 412);
    expect(emulator.snapshot().asns).toEqual([]);
  });

  test('the SDK finds the emulator through AWS_ENDPOINT_URL_EC2', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_EC2;
    process.env.AWS_ENDPOINT_URL_EC2 = emulator.endpoint;
    try {
      const viaEnv = pool.adopt(new EC2Client({ region: 'us-east-1', credentials: FAKE_CREDENTIALS, maxAttempts: 1 }));
      await viaEnv.send(new ProvisionIpamByoasnCommand({ IpamId: IPAM, Asn: '64496', AsnAuthorizationContext: authContext('64496') }));
      const out = await viaEnv.send(new DescribeIpamByoasnCommand({}));
      expect(out.Byoasns).toEqual([{ Asn: '64496', IpamId: IPAM, State: 'provisioned' }]);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_EC2;
      else process.env.AWS_ENDPOINT_URL_EC2 = saved;
    }
    expect(emulator.calls().map((c) => c.action)).toEqual(['ProvisionIpamByoasn', 'DescribeIpamByoasn']);
  });

  test('clientEnv() names the endpoint, region and fake credentials', () => {
    expect(emulator.clientEnv()).toEqual({
      AWS_ENDPOINT_URL_EC2: emulator.endpoint, AWS_ENDPOINT_URL_CLOUDFORMATION: emulator.endpoint, AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'emulator-secret',
    });
    expect(emulator.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe('ASN lifecycle over time', () => {
  beforeEach(() => emulator.configure({ delays: { provisionAsn: 3 * MINUTE, deprovisionAsn: 2 * MINUTE } }));

  test('pending-provision until the delay has passed, then provisioned; deprovision likewise', async () => {
    await provision('64496');
    expect(await listAsns()).toEqual([{ Asn: '64496', IpamId: IPAM, State: 'pending-provision' }]);
    clock.advance(3 * MINUTE - 1);
    expect((await listAsns())[0].State).toBe('pending-provision');
    clock.advance(1);
    expect((await listAsns())[0].State).toBe('provisioned');

    await deprovision('64496');
    clock.advance(MINUTE);
    expect((await listAsns())[0].State).toBe('pending-deprovision');
    clock.advance(MINUTE);
    expect(await listAsns()).toEqual([{ Asn: '64496', IpamId: IPAM, State: 'deprovisioned' }]);
    expect(emulator.snapshot().asns).toEqual([{ asn: '64496', ipamId: IPAM, state: 'deprovisioned' }]);
  });

  test('a configured outcome ends provisioning in failed-provision with the given StatusMessage', async () => {
    emulator.setAsnOutcome(64496, { provision: { fail: true, statusMessage: 'Signature does not verify' } });
    const out = await provision('64496');
    expect(out.Byoasn?.State).toBe('pending-provision');
    clock.advance(3 * MINUTE);
    expect(await listAsns()).toEqual([
      { Asn: '64496', IpamId: IPAM, State: 'failed-provision', StatusMessage: 'Signature does not verify' },
    ]);
  });

  test('failed-provision without a message gets a default StatusMessage; per-ASN delay overrides', async () => {
    emulator.setAsnOutcome('64496', { provision: { fail: true, delayMs: 10 } });
    await provision('64496');
    clock.advance(10);
    const [asn] = await listAsns();
    expect(asn.State).toBe('failed-provision');
    expect(asn.StatusMessage).toEqual(expect.any(String));
  });

  test('a configured outcome ends deprovisioning in failed-deprovision, which can be retried', async () => {
    emulator.setAsnOutcome('64496', { deprovision: { fail: true, statusMessage: 'ASN still in use' } });
    await provision('64496');
    clock.advance(3 * MINUTE);
    await deprovision('64496');
    clock.advance(2 * MINUTE);
    expect(await listAsns()).toEqual([{ Asn: '64496', IpamId: IPAM, State: 'failed-deprovision', StatusMessage: 'ASN still in use' }]);
    emulator.setAsnOutcome('64496', { deprovision: undefined });
    await deprovision('64496');
    clock.advance(2 * MINUTE);
    expect((await listAsns())[0].State).toBe('deprovisioned');
  });

  test('deprovisioned and failed-provision records linger for 7 days, then vanish', async () => {
    emulator.setAsnOutcome('64497', { provision: { fail: true } });
    await provision('64496');
    await provision('64497');
    clock.advance(3 * MINUTE);
    await deprovision('64496');
    clock.advance(2 * MINUTE);
    expect((await listAsns()).map((a) => `${a.Asn}:${a.State}`)).toEqual(['64496:deprovisioned', '64497:failed-provision']);
    // 64497 failed at +3 min, 64496 was deprovisioned at +5 min; the clock is at +5 min.
    clock.advance(7 * 24 * 60 * MINUTE - 2 * MINUTE);
    expect((await listAsns()).map((a) => a.Asn)).toEqual(['64496']);
    clock.advance(2 * MINUTE);
    expect(await listAsns()).toEqual([]);
    expect(emulator.snapshot().asns).toEqual([]);
  });

  test('re-provisioning a deprovisioned or failed ASN is allowed, in any IPAM; the old record lingers before the new one', async () => {
    emulator.setAsnOutcome('64496', { provision: { fail: true, statusMessage: 'first try failed' } });
    await provision('64496');
    clock.advance(3 * MINUTE);
    emulator.setAsnOutcome('64496', { provision: undefined });
    await provision('64496');
    const failed = { Asn: '64496', IpamId: IPAM, State: 'failed-provision', StatusMessage: 'first try failed' };
    expect(await listAsns()).toEqual([failed, { Asn: '64496', IpamId: IPAM, State: 'pending-provision' }]);
    clock.advance(3 * MINUTE);
    await deprovision('64496');
    clock.advance(2 * MINUTE);
    const again = await provision('64496', OTHER_IPAM);
    expect(again.Byoasn).toEqual({ Asn: '64496', IpamId: OTHER_IPAM, State: 'pending-provision' });
    clock.advance(3 * MINUTE);
    expect(await listAsns()).toEqual([
      failed,
      { Asn: '64496', IpamId: IPAM, State: 'deprovisioned' },
      { Asn: '64496', IpamId: OTHER_IPAM, State: 'provisioned' },
    ]);
    // snapshot() keeps one (the live) record per ASN; its `lingering` (and lingeringRecords()) lists the others.
    expect(emulator.snapshot().asns).toEqual([{ asn: '64496', ipamId: OTHER_IPAM, state: 'provisioned' }]);
    expect(emulator.lingeringRecords().asns).toEqual([
      { asn: '64496', ipamId: IPAM, state: 'failed-provision', statusMessage: 'first try failed' },
      { asn: '64496', ipamId: IPAM, state: 'deprovisioned' },
    ]);
    expect(emulator.snapshot().lingering).toEqual([
      { kind: 'asn', asn: '64496', ipamId: IPAM, state: 'failed-provision', statusMessage: 'first try failed' },
      { kind: 'asn', asn: '64496', ipamId: IPAM, state: 'deprovisioned' },
    ]);
  });

  test('seeded records (addAsn) are listed at once', async () => {
    emulator.addAsn({ asn: 64500, ipamId: OTHER_IPAM });
    emulator.addAsn({ asn: '64501', ipamId: IPAM, state: 'failed-provision', statusMessage: 'old failure' });
    expect(await listAsns()).toEqual([
      { Asn: '64500', IpamId: OTHER_IPAM, State: 'provisioned' },
      { Asn: '64501', IpamId: IPAM, State: 'failed-provision', StatusMessage: 'old failure' },
    ]);
  });
});

describe('association lifecycle over time', () => {
  beforeEach(async () => {
    emulator.addByoipCidr({ cidr: CIDR });
    await provision('64496');
    emulator.configure({ delays: { associate: 2 * MINUTE, disassociate: MINUTE } });
  });

  test('pending-association then associated, seen only through DescribeByoipCidrs', async () => {
    await associate('64496');
    expect((await listCidrs())[0].AsnAssociations).toEqual([{ Asn: '64496', Cidr: CIDR, State: 'pending-association' }]);
    clock.advance(2 * MINUTE);
    expect((await listCidrs())[0].AsnAssociations).toEqual([{ Asn: '64496', Cidr: CIDR, State: 'associated' }]);
    // DescribeIpamByoasn lists the ASN only.
    expect(await listAsns()).toEqual([{ Asn: '64496', IpamId: IPAM, State: 'provisioned' }]);
  });

  test('pending-disassociation then disassociated, which lingers by default', async () => {
    await associate('64496');
    clock.advance(2 * MINUTE);
    await disassociate('64496');
    expect((await listCidrs())[0].AsnAssociations?.[0].State).toBe('pending-disassociation');
    clock.advance(MINUTE);
    expect((await listCidrs())[0].AsnAssociations).toEqual([{ Asn: '64496', Cidr: CIDR, State: 'disassociated' }]);
    clock.advance(365 * 24 * 60 * MINUTE);
    expect((await listCidrs())[0].AsnAssociations).toEqual([{ Asn: '64496', Cidr: CIDR, State: 'disassociated' }]);
  });

  test('disassociated associations vanish after associationLingerMs when configured', async () => {
    emulator.configure({ associationLingerMs: 5 * MINUTE });
    await associate('64496');
    clock.advance(2 * MINUTE);
    await disassociate('64496');
    clock.advance(MINUTE + 5 * MINUTE - 1);
    expect((await listCidrs())[0].AsnAssociations).toHaveLength(1);
    clock.advance(1);
    expect((await listCidrs())[0].AsnAssociations).toEqual([]);
    expect(emulator.snapshot().associations).toEqual([]);
  });

  test('failed-association and failed-disassociation outcomes', async () => {
    emulator.setAssociationOutcome('64496', CIDR, { associate: { fail: true, statusMessage: 'no ROA for AS64496' } });
    await associate('64496');
    clock.advance(2 * MINUTE);
    expect((await listCidrs())[0].AsnAssociations).toEqual([
      { Asn: '64496', Cidr: CIDR, State: 'failed-association', StatusMessage: 'no ROA for AS64496' },
    ]);
    emulator.setAssociationOutcome('64496', CIDR, { associate: undefined, disassociate: { fail: true, statusMessage: 'stuck' } });
    await associate('64496'); // a failed association can be retried; the failed record lingers before the new one
    clock.advance(2 * MINUTE);
    await disassociate('64496');
    clock.advance(MINUTE);
    expect((await listCidrs())[0].AsnAssociations).toEqual([
      { Asn: '64496', Cidr: CIDR, State: 'failed-association', StatusMessage: 'no ROA for AS64496' },
      { Asn: '64496', Cidr: CIDR, State: 'failed-disassociation', StatusMessage: 'stuck' },
    ]);
  });

  test('snapshot() shows everything as of now, sorted', async () => {
    emulator.addByoipCidr({ cidr: CIDR6, publiclyAdvertisable: false, state: 'provisioned-not-publicly-advertisable' });
    await associate('64496', CIDR6);
    await associate('64496');
    expect(emulator.snapshot()).toEqual({
      asns: [{ asn: '64496', ipamId: IPAM, state: 'provisioned' }],
      associations: [
        { asn: '64496', cidr: CIDR6, state: 'pending-association' },
        { asn: '64496', cidr: CIDR, state: 'pending-association' },
      ],
      byoipCidrs: [
        { cidr: CIDR6, state: 'provisioned-not-publicly-advertisable', networkBorderGroup: 'us-east-1', publiclyAdvertisable: false },
        { cidr: CIDR, state: 'provisioned', networkBorderGroup: 'us-east-1', publiclyAdvertisable: true },
      ],
      lingering: [],
    });
  });
});

describe('refusals', () => {
  beforeEach(() => emulator.addByoipCidr({ cidr: CIDR }));

  test('provisioning an ASN that is provisioned or pending, here or in another IPAM: IncorrectState', async () => {
    emulator.configure({ delays: { provisionAsn: MINUTE } });
    await provision('64496');
    await expectEc2Error(provision('64496'), 'IncorrectState', 400, /already pending-provision in IPAM/);
    clock.advance(MINUTE);
    await expectEc2Error(provision('64496'), 'IncorrectState', 400, /already provisioned in IPAM/);
    await expectEc2Error(provision('64496', OTHER_IPAM), 'IncorrectState', 400, new RegExp(`another IPAM \\(${IPAM}\\)`));
  });

  test('more than 5 ASNs in one IPAM: ResourceLimitExceeded; absent records do not count', async () => {
    emulator.setAsnOutcome('64505', { provision: { fail: true } });
    await provision('64505');
    for (const asn of ['64496', '64497', '64498', '64499', '64500']) await provision(asn);
    await expectEc2Error(provision('64501'), 'ResourceLimitExceeded', 400, /maximum number of ASNs \(5\)/);
    await provision('64501', OTHER_IPAM); // the quota is per IPAM
    await deprovision('64500');
    await provision('64502');
    emulator.configure({ asnQuotaPerIpam: 6 });
    await provision('64503');
  });

  test('deprovisioning an unknown ASN or one in another IPAM: InvalidParameterValue', async () => {
    await expectEc2Error(deprovision('64496'), 'InvalidParameterValue', 400, /not provisioned in IPAM/);
    await provision('64496');
    await expectEc2Error(deprovision('64496', OTHER_IPAM), 'InvalidParameterValue', 400, /not provisioned in IPAM/);
  });

  test('deprovisioning an ASN that is not provisioned: IncorrectState', async () => {
    emulator.configure({ delays: { provisionAsn: MINUTE } });
    await provision('64496');
    await expectEc2Error(deprovision('64496'), 'IncorrectState', 400, /pending-provision/);
    clock.advance(MINUTE);
    await deprovision('64496');
    await expectEc2Error(deprovision('64496'), 'IncorrectState', 400, /deprovisioned/);
  });

  test('deprovisioning while associations remain: IncorrectState naming them; allowed once disassociated', async () => {
    emulator.addByoipCidr({ cidr: CIDR6 });
    await provision('64496');
    await associate('64496');
    await associate('64496', CIDR6);
    await disassociate('64496', CIDR6);
    await expectEc2Error(deprovision('64496'), 'IncorrectState', 400,
      /still has associations with CIDRs: 203\.0\.113\.0\/24 \(associated\)\. Disassociate them first/);
    await disassociate('64496');
    await deprovision('64496');
  });

  test('associating a CIDR that is not a BYOIP CIDR: InvalidParameterValue', async () => {
    await provision('64496');
    await expectEc2Error(associate('64496', '198.51.100.0/24'), 'InvalidParameterValue', 400, /not a BYOIP CIDR/);
    emulator.addByoipCidr({ cidr: '198.51.100.0/24', state: 'deprovisioned' });
    await expectEc2Error(associate('64496', '198.51.100.0/24'), 'InvalidParameterValue', 400, /not a BYOIP CIDR/);
    emulator.addByoipCidr({ cidr: '192.0.2.0/24', state: 'pending-provision' });
    await expectEc2Error(associate('64496', '192.0.2.0/24'), 'IncorrectState', 400, /pending-provision/);
  });

  test('associating an ASN that is not provisioned: IncorrectState', async () => {
    await expectEc2Error(associate('64496'), 'IncorrectState', 400, /not provisioned \(state: unknown\)/);
    emulator.configure({ delays: { provisionAsn: MINUTE } });
    await provision('64496');
    await expectEc2Error(associate('64496'), 'IncorrectState', 400, /not provisioned \(state: pending-provision\)/);
  });

  test('associating twice: IncorrectState', async () => {
    await provision('64496');
    await associate('64496');
    await expectEc2Error(associate('64496'), 'IncorrectState', 400, /already associated/);
  });

  test('disassociating while the CIDR is advertised with this ASN: IncorrectState; fine with another origin', async () => {
    await provision('64496');
    await provision('64497');
    await associate('64496');
    await associate('64497');
    await ec2.send(new AdvertiseByoipCidrCommand({ Cidr: CIDR, Asn: '64496' }));
    await expectEc2Error(disassociate('64496'), 'IncorrectState', 400, /advertised with ASN 64496.*Withdraw it/);
    await disassociate('64497');
    await ec2.send(new AdvertiseByoipCidrCommand({ Cidr: CIDR, Asn: 'AWS' })); // back to Amazon's ASN
    await disassociate('64496');
  });

  test('a seeded advertisement (addByoipCidr advertisedAsn) blocks disassociation too', async () => {
    emulator.addByoipCidr({ cidr: CIDR, advertisedAsn: 64496 });
    emulator.addAsn({ asn: 64496, ipamId: IPAM });
    emulator.addAssociation({ asn: 64496, cidr: CIDR });
    expect((await listCidrs())[0].State).toBe('advertised');
    await expectEc2Error(disassociate('64496'), 'IncorrectState', 400, /advertised with ASN 64496/);
  });

  test('disassociating an association that does not exist: InvalidParameterValue', async () => {
    await expectEc2Error(disassociate('64496'), 'InvalidParameterValue', 400, /not associated/);
  });

  test('missing required parameters: MissingParameter', async () => {
    const noContext = { IpamId: IPAM, Asn: '64496' } as ProvisionIpamByoasnCommandInput;
    await expectEc2Error(ec2.send(new ProvisionIpamByoasnCommand(noContext)), 'MissingParameter', 400, /AsnAuthorizationContext\.Message/);
    const noIpam = { Asn: '64496', AsnAuthorizationContext: authContext('64496') } as ProvisionIpamByoasnCommandInput;
    await expectEc2Error(ec2.send(new ProvisionIpamByoasnCommand(noIpam)), 'MissingParameter', 400, /IpamId/);
    await expectEc2Error(ec2.send(new AssociateIpamByoasnCommand({ Asn: '64496' } as { Asn: string; Cidr: string })), 'MissingParameter', 400, /Cidr/);
    await expectEc2Error(ec2.send(new DescribeByoipCidrsCommand({} as DescribeByoipCidrsCommandInput)), 'MissingParameter', 400, /MaxResults/);
  });

  test('malformed values: InvalidParameterValue', async () => {
    await expectEc2Error(provision('AS64496'), 'InvalidParameterValue', 400, /asplain/);
    await expectEc2Error(provision('4294967296'), 'InvalidParameterValue');
    await expectEc2Error(associate('64496', 'not-a-cidr'), 'InvalidParameterValue', 400, /Cidr/);
    await expectEc2Error(ec2.send(new ProvisionByoipCidrCommand({ Cidr: '198.51.100.0/25' })), 'InvalidParameterValue', 400, /\/24/);
  });

  test('unknown IPAM when knownIpamIds is set: InvalidIpamId.NotFound', async () => {
    await startEmulator({ knownIpamIds: [IPAM] });
    await provision('64496');
    await expectEc2Error(provision('64497', OTHER_IPAM), 'InvalidIpamId.NotFound');
  });

  test('BYOIP CIDR refusals: quota, unknown CIDR, deprovision while advertised or associated', async () => {
    await expectEc2Error(ec2.send(new WithdrawByoipCidrCommand({ Cidr: '198.51.100.0/24' })), 'InvalidParameterValue');
    await expectEc2Error(ec2.send(new WithdrawByoipCidrCommand({ Cidr: CIDR })), 'IncorrectState', 400, /not advertised/);
    await expectEc2Error(ec2.send(new ProvisionByoipCidrCommand({ Cidr: CIDR })), 'IncorrectState', 400, /already provisioned/);
    await expectEc2Error(ec2.send(new AdvertiseByoipCidrCommand({ Cidr: CIDR, Asn: '64496' })), 'IncorrectState', 400, /not associated/);
    await provision('64496');
    await associate('64496');
    await expectEc2Error(ec2.send(new DeprovisionByoipCidrCommand({ Cidr: CIDR })), 'IncorrectState', 400, /ASNs are associated/);
    await ec2.send(new AdvertiseByoipCidrCommand({ Cidr: CIDR }));
    await expectEc2Error(ec2.send(new DeprovisionByoipCidrCommand({ Cidr: CIDR })), 'IncorrectState', 400, /Withdraw it/);
    for (const c of ['198.51.100.0/24', '192.0.2.0/24', '2001:db8:1::/48', '2001:db8:2::/48']) {
      await ec2.send(new ProvisionByoipCidrCommand({ Cidr: c }));
    }
    await expectEc2Error(ec2.send(new ProvisionByoipCidrCommand({ Cidr: '2001:db8:3::/48' })), 'ResourceLimitExceeded');
  });
});

describe('pagination', () => {
  const asns = Array.from({ length: 7 }, (_, i) => String(64496 + i));

  async function allAsnPages(maxResults?: number): Promise<string[][]> {
    const pages: string[][] = [];
    let token: string | undefined;
    for (let i = 0; i < 20; i++) {
      const out = await ec2.send(new DescribeIpamByoasnCommand({ MaxResults: maxResults, NextToken: token }));
      pages.push((out.Byoasns ?? []).map((a) => a.Asn ?? ''));
      token = out.NextToken;
      if (!token) return pages;
    }
    throw new Error('too many pages');
  }

  beforeEach(async () => {
    // 7 ASNs need two IPAMs (quota 5 per IPAM).
    for (const asn of asns) await provision(asn, Number(asn) % 2 === 0 ? IPAM : OTHER_IPAM);
  });

  test('DescribeIpamByoasn: the server page cap forces several pages even with MaxResults=100', async () => {
    emulator.configure({ maxPageSize: 3 });
    expect(await allAsnPages(100)).toEqual([asns.slice(0, 3), asns.slice(3, 6), asns.slice(6)]);
    expect(await allAsnPages()).toEqual([asns.slice(0, 3), asns.slice(3, 6), asns.slice(6)]);
  });

  test('DescribeIpamByoasn: MaxResults smaller than the cap decides the page size', async () => {
    expect(await allAsnPages(2)).toEqual([asns.slice(0, 2), asns.slice(2, 4), asns.slice(4, 6), asns.slice(6)]);
    expect(await allAsnPages(100)).toEqual([asns]);
    expect(await allAsnPages(1)).toHaveLength(7);
  });

  test('DescribeIpamByoasn: MaxResults outside 1–100 is InvalidParameterValue', async () => {
    await expectEc2Error(ec2.send(new DescribeIpamByoasnCommand({ MaxResults: 0 })), 'InvalidParameterValue', 400, /MaxResults/);
    await expectEc2Error(ec2.send(new DescribeIpamByoasnCommand({ MaxResults: 101 })), 'InvalidParameterValue', 400, /MaxResults/);
  });

  test('a page boundary survives records added between pages', async () => {
    emulator.configure({ maxPageSize: 3 });
    const first = await ec2.send(new DescribeIpamByoasnCommand({}));
    await provision('64495');
    await provision('65000', OTHER_IPAM);
    const second = await ec2.send(new DescribeIpamByoasnCommand({ NextToken: first.NextToken }));
    expect(second.Byoasns?.map((a) => a.Asn)).toEqual(asns.slice(3, 6));
  });

  test('DescribeByoipCidrs: several pages with MaxResults=100, and the SDK paginator', async () => {
    const cidrs = Array.from({ length: 7 }, (_, i) => `198.51.${100 + i}.0/24`);
    cidrs.forEach((cidr) => emulator.addByoipCidr({ cidr }));
    await associate('64496', cidrs[4]);
    emulator.configure({ maxPageSize: 2 });
    const pages: ByoipCidr[][] = [];
    let token: string | undefined;
    for (let i = 0; i < 10; i++) {
      const out = await ec2.send(new DescribeByoipCidrsCommand({ MaxResults: 100, NextToken: token }));
      pages.push(out.ByoipCidrs ?? []);
      token = out.NextToken;
      if (!token) break;
    }
    expect(pages.map((p) => p.map((c) => c.Cidr))).toEqual([cidrs.slice(0, 2), cidrs.slice(2, 4), cidrs.slice(4, 6), cidrs.slice(6)]);
    expect(pages[2][0].AsnAssociations).toEqual([{ Asn: '64496', Cidr: cidrs[4], State: 'associated' }]);

    const viaPaginator: string[] = [];
    for await (const page of paginateDescribeByoipCidrs({ client: ec2, pageSize: 3 }, { MaxResults: 3 })) {
      viaPaginator.push(...(page.ByoipCidrs ?? []).map((c) => c.Cidr ?? ''));
    }
    expect(viaPaginator).toEqual(cidrs);
  });

  test('DescribeByoipCidrs: MaxResults is required and bounded to 1–100', async () => {
    await expectEc2Error(ec2.send(new DescribeByoipCidrsCommand({} as DescribeByoipCidrsCommandInput)), 'MissingParameter');
    await expectEc2Error(ec2.send(new DescribeByoipCidrsCommand({ MaxResults: 0 })), 'InvalidParameterValue');
    await expectEc2Error(ec2.send(new DescribeByoipCidrsCommand({ MaxResults: 101 })), 'InvalidParameterValue');
    await ec2.send(new DescribeByoipCidrsCommand({ MaxResults: 1 }));
    await ec2.send(new DescribeByoipCidrsCommand({ MaxResults: 100 }));
  });

  test('bogus NextTokens, or tokens of another action or emulator: InvalidNextToken', async () => {
    emulator.configure({ maxPageSize: 3 });
    const first = await ec2.send(new DescribeIpamByoasnCommand({}));
    expect(first.NextToken).toEqual(expect.any(String));
    await expectEc2Error(ec2.send(new DescribeIpamByoasnCommand({ NextToken: 'bogus' })), 'InvalidNextToken');
    await expectEc2Error(ec2.send(new DescribeByoipCidrsCommand({ MaxResults: 5, NextToken: first.NextToken })), 'InvalidNextToken');
    const other = new Ec2Emulator();
    await other.start();
    try {
      const otherClient = pool.client(other);
      await expectEc2Error(otherClient.send(new DescribeIpamByoasnCommand({ NextToken: first.NextToken })), 'InvalidNextToken');
    } finally {
      await other.stop();
    }
  });
});

describe('eventual consistency', () => {
  beforeEach(() => {
    emulator.addByoipCidr({ cidr: CIDR });
    emulator.configure({ consistencyDelayMs: 5000 });
  });

  test('a just-provisioned ASN is not listed until the consistency delay has passed', async () => {
    const out = await provision('64496');
    expect(out.Byoasn?.State).toBe('pending-provision');
    expect(await listAsns()).toEqual([]);
    expect(emulator.snapshot().asns).toHaveLength(1); // the service itself knows
    await expectEc2Error(provision('64496'), 'IncorrectState'); // and acts on it
    clock.advance(4999);
    expect(await listAsns()).toEqual([]);
    clock.advance(1);
    expect(await listAsns()).toEqual([{ Asn: '64496', IpamId: IPAM, State: 'provisioned' }]);
  });

  test('after deprovisioning, the old state stays visible during the delay', async () => {
    await provision('64496');
    clock.advance(5000);
    await deprovision('64496');
    expect(await listAsns()).toEqual([{ Asn: '64496', IpamId: IPAM, State: 'provisioned' }]);
    clock.advance(5000);
    expect((await listAsns())[0].State).toBe('deprovisioned');
  });

  test('a just-created association is not shown by DescribeByoipCidrs until the delay has passed', async () => {
    await provision('64496');
    clock.advance(5000);
    await associate('64496');
    expect((await listCidrs())[0].AsnAssociations).toEqual([]);
    clock.advance(5000);
    expect((await listCidrs())[0].AsnAssociations).toEqual([{ Asn: '64496', Cidr: CIDR, State: 'associated' }]);
  });
});
