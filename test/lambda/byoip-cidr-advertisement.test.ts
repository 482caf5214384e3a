import {
  AdvertiseByoipCidrCommand,
  AsnAssociation,
  ByoipCidr,
  ByoipCidrState,
  DescribeByoipCidrsCommand,
  WithdrawByoipCidrCommand,
} from '@aws-sdk/client-ec2';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import 'aws-sdk-client-mock-jest';
import { advertisementPhysicalId } from '../../lib/private/contract';
import type { CustomResourceEvent, Handover, IsCompleteResponse, OnEventResponse } from '../../lambda/common';
import { isComplete, onEvent } from '../../lambda/index';
import { MAX_DATA_BYTES } from '../../lambda/limits';
import {
  ADVERTISEMENT_ID,
  AMAZON_ADVERTISEMENT_ID,
  ASN,
  CIDR,
  CREATE_FAILED_MARKER,
  OTHER_ASN,
  OTHER_CIDR,
  POOL_ID,
  advertisementCreate,
  advertisementDelete,
  advertisementUpdate,
  association,
  byoipCidr,
  cloudFormationSuccessBody,
  ec2Error,
  isCompleteEvent,
  mockedEc2,
  networkError,
} from './events';

const { ec2, cfn, logs, givenCidrs, givenCidrsInTurn, givenStackStatus } = mockedEc2();

const T0 = Date.UTC(2025, 5, 2, 9, 30, 0);

beforeEach(() => {
  jest.spyOn(Date, 'now').mockReturnValue(T0);
});

const REGION_TEXT = process.env.AWS_REGION ? `Region ${process.env.AWS_REGION}` : 'this Region';

/** The CIDR in a state, listed with these associations. */
const range = (state: string, associations: AsnAssociation[] = [], overrides: Partial<ByoipCidr> = {}) =>
  byoipCidr(associations, { State: state as ByoipCidr['State'], StatusMessage: POOL_ID, ...overrides });
/** The CIDR provisioned, with ASN 64496 associated. */
const associated = () => range('provisioned', [association('associated')]);
/** The CIDR advertised with ASN 64496 as the origin (its association reads `advertised`, as in AWS's tutorial). */
const advertisedWithAsn = (asn = ASN) => range('advertised', [association(asn === ASN ? 'advertised' : 'associated'), association(asn === ASN ? 'associated' : 'advertised', { Asn: OTHER_ASN })]);
/** The CIDR advertised with Amazon's ASN: no association reads `advertised`. */
const advertisedWithAmazon = () => range('advertised', [association('associated')]);

function dataOf(state: string, asn = ASN) {
  return { Cidr: CIDR, Asn: asn, State: state, StatusMessage: POOL_ID };
}

function handover(physicalId: string, next: Omit<Handover, 'At'>): OnEventResponse {
  return { PhysicalResourceId: physicalId, Next: { ...next, At: T0 } };
}

function expectNoMutation(): void {
  expect(ec2).toHaveReceivedCommandTimes(AdvertiseByoipCidrCommand, 0);
  expect(ec2).toHaveReceivedCommandTimes(WithdrawByoipCidrCommand, 0);
}

async function expectError(promise: Promise<unknown>, message: unknown): Promise<void> {
  await expect(promise).rejects.toMatchObject({ message });
}

function expectLog(level: 'INFO' | 'WARN' | 'ERROR', message: string): void {
  expect(logs.records()).toContainEqual(expect.objectContaining({ level, message }));
}

function poll(event: CustomResourceEvent, response: OnEventResponse): Promise<IsCompleteResponse> {
  return isComplete(isCompleteEvent(event, response));
}

/** AWS's limit of one Advertise/Withdraw per 10 s per account, as it is left after the SDK's retries. */
const THROTTLED = () => ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503, 10, Array(9).fill('throttled'));

const PASSING_FAILURES: Array<[string, () => Error]> = [
  ['throttling', THROTTLED],
  ['an HTTP 500', () => ec2Error('InternalError', 'An internal error has occurred.', 500, 10, Array(9).fill('ambiguous'))],
  ['a dropped connection', () => networkError()],
];

const existsMessage = (origin = 'ASN 64496') =>
  `Advert: CIDR ${CIDR} is already advertised with ${origin}. Set adoptExisting: true to manage the advertisement with this stack (deleting the resource will then withdraw the CIDR), or withdraw it first (WithdrawByoipCidr).`;
const otherOriginMessage = (other: string, ours = 'ASN 64496') =>
  `Advert: CIDR ${CIDR} is already advertised with ${other}, not with ${ours}; it has one origin at a time. Withdraw it (WithdrawByoipCidr, or delete the ByoipCidrAdvertisement that advertises it) first, or advertise it with ${other}.`;
const NOT_BYOIP = `Advert: CIDR ${CIDR} is not a BYOIP CIDR in ${REGION_TEXT}, so it cannot be advertised. Provision it first (a ByoipCidr resource, or ProvisionByoipCidr), then advertise it.`;
const notProvisioned = (state: string, status = POOL_ID) =>
  `Advert: CIDR ${CIDR} is not a provisioned BYOIP CIDR in ${REGION_TEXT} (state ${state}), so it cannot be advertised. Provision it first (a ByoipCidr resource, or ProvisionByoipCidr), then advertise it. AWS's status message: ${status}`;
const PENDING_PROVISION = `Advert: CIDR ${CIDR} is still being provisioned (pending-provision), so it cannot be advertised yet. BYOIP provisioning can take days: advertise it once it is provisioned (deploy the ByoipCidrAdvertisement then, or let the ByoipCidr wait for provisioning).`;
const NOT_ADVERTISABLE = `Advert: CIDR ${CIDR} is provisioned-not-publicly-advertisable: it was provisioned with publiclyAdvertisable false, so it cannot be advertised. To advertise it, release it and provision it again with publiclyAdvertisable true.`;
const notAssociated = (now: string) =>
  `Advert: ASN 64496 cannot originate CIDR ${CIDR}: ${now}. Associate ASN 64496 with the CIDR first (a ByoasnCidrAssociation resource, on which this advertisement depends, or AssociateIpamByoasn), then advertise it.`;

// ===========================================================================================================
// CREATE
// ===========================================================================================================

describe('create', () => {
  test("advertises with Amazon's ASN: no Asn and no NetworkBorderGroup in the call", async () => {
    givenCidrs(range('provisioned'));
    ec2.on(AdvertiseByoipCidrCommand).resolves({ ByoipCidr: range('pending-advertising') });

    const response = await onEvent(advertisementCreate({ Asn: 'AWS' }));

    expect(response).toEqual(handover(AMAZON_ADVERTISEMENT_ID, { Goal: 'created', Acted: true }));
    expect(ec2.commandCalls(AdvertiseByoipCidrCommand)[0].args[0].input).toEqual({ Cidr: CIDR });
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
  });

  test('advertises with an own ASN that is associated with the CIDR, in the network border group given', async () => {
    givenCidrs(associated());
    ec2.on(AdvertiseByoipCidrCommand).resolves({ ByoipCidr: range('pending-advertising') });

    await expect(onEvent(advertisementCreate({ NetworkBorderGroup: 'us-east-1-lax-1' }))).resolves.toEqual(handover(ADVERTISEMENT_ID, { Goal: 'created', Acted: true }));
    expect(ec2.commandCalls(AdvertiseByoipCidrCommand)[0].args[0].input).toEqual({ Cidr: CIDR, Asn: ASN, NetworkBorderGroup: 'us-east-1-lax-1' });
  });

  describe('refuses, before any change, what cannot be advertised with this origin', () => {
    test.each([
      ['a CIDR that is not listed', [], NOT_BYOIP],
      ['a CIDR listed only as deprovisioned', [range('deprovisioned', [], { StatusMessage: 'gone' })], notProvisioned('deprovisioned', 'gone')],
      ['a CIDR that is still pending-provision', [range('pending-provision')], PENDING_PROVISION],
      ['a failed-provision CIDR', [range('failed-provision', [], { StatusMessage: 'bad ROA' })], notProvisioned('failed-provision', 'bad ROA')],
      ['a CIDR that is pending-deprovision', [range('pending-deprovision')], notProvisioned('pending-deprovision')],
      ['a CIDR that is failed-deprovision', [range('failed-deprovision')], notProvisioned('failed-deprovision')],
      ['a CIDR that is not publicly advertisable', [range('provisioned-not-publicly-advertisable', [association('associated')])], NOT_ADVERTISABLE],
      ['an ASN without an association', [range('provisioned', [association('associated', { Asn: OTHER_ASN })])], notAssociated('it has no association with it')],
      ['an ASN whose association is pending', [range('provisioned', [association('pending-association')])], notAssociated('its association is pending-association')],
      ['an ASN whose association is gone', [range('provisioned', [association('disassociated'), association('failed-association')])], notAssociated('its association is disassociated, failed-association')],
      ['a CIDR advertised with another ASN', [advertisedWithAsn(OTHER_ASN)], otherOriginMessage('ASN 64497')],
      ["a CIDR advertised with Amazon's ASN", [advertisedWithAmazon()], otherOriginMessage("Amazon's ASN")],
    ])('%s', async (_, records, message) => {
      givenCidrs(...records);

      await expectError(onEvent(advertisementCreate()), message);
      await expectError(onEvent(advertisementCreate({ AdoptExisting: 'true' })), message);
      expectNoMutation();
    });

    test("a CIDR advertised with an own ASN, to an advertisement with Amazon's ASN", async () => {
      givenCidrs(advertisedWithAsn());

      await expectError(onEvent(advertisementCreate({ Asn: 'AWS' })), otherOriginMessage('ASN 64496', "Amazon's ASN"));
    });
  });

  test.each([
    ['an own ASN', {}, advertisedWithAsn(), ADVERTISEMENT_ID, 'ASN 64496'],
    ["Amazon's ASN", { Asn: 'AWS' }, advertisedWithAmazon(), AMAZON_ADVERTISEMENT_ID, "Amazon's ASN"],
  ])('refuses a CIDR already advertised with this origin (%s), and adopts it with AdoptExisting true', async (_, props, record, id, origin) => {
    givenCidrs(record);

    await expectError(onEvent(advertisementCreate(props)), existsMessage(origin));
    await expect(onEvent(advertisementCreate({ ...props, AdoptExisting: 'true' }))).resolves.toEqual(handover(id, { Goal: 'created', Acted: true }));
    expectNoMutation();
  });

  test('waits for an advertising already in progress', async () => {
    givenCidrs(range('pending-advertising', [association('associated')]));

    await expect(onEvent(advertisementCreate())).resolves.toEqual(handover(ADVERTISEMENT_ID, { Goal: 'created', Acted: true }));
    expectNoMutation();
  });

  test('waits for a withdrawal to end, leaving the advertising to isComplete (not acted)', async () => {
    givenCidrs(range('pending-withdrawal', [association('associated')]));

    await expect(onEvent(advertisementCreate())).resolves.toEqual(handover(ADVERTISEMENT_ID, { Goal: 'created', Acted: false }));
    expectNoMutation();
  });

  test('advertises behind a deprovisioned record of the same CIDR (the live record wins)', async () => {
    givenCidrs(range('deprovisioned', [], { StatusMessage: 'old' }), associated());
    ec2.on(AdvertiseByoipCidrCommand).resolves({ ByoipCidr: range('pending-advertising') });

    await expect(onEvent(advertisementCreate())).resolves.toEqual(handover(ADVERTISEMENT_ID, { Goal: 'created', Acted: true }));
    expectLog('INFO', `2 records match BYOIP CIDR ${CIDR}; the live one wins`);
  });

  describe("AWS's limit of one Advertise per 10 s", () => {
    test('a throttled AdvertiseByoipCidr (after the retries) is handed to isComplete, never failed', async () => {
      givenCidrs(associated());
      ec2.on(AdvertiseByoipCidrCommand).rejects(THROTTLED());
      const event = advertisementCreate();

      const response = await onEvent(event);
      expect(response).toEqual(handover(ADVERTISEMENT_ID, { Goal: 'created', Acted: false }));
      expectLog('WARN', "AdvertiseByoipCidr was still throttled after the SDK's retries (RequestLimitExceeded: Request limit exceeded.); nothing was applied, and isComplete makes the call");

      // isComplete tries again; still throttled: not complete, never a failure.
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      ec2.on(AdvertiseByoipCidrCommand).resolves({ ByoipCidr: range('pending-advertising') });
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      expect(ec2).toHaveReceivedCommandTimes(AdvertiseByoipCidrCommand, 3);
      givenCidrs(advertisedWithAsn());
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: dataOf('advertised') });
      expect(ec2).toHaveReceivedCommandTimes(AdvertiseByoipCidrCommand, 3);
    });
  });

  test("fails at once with AWS's message when AdvertiseByoipCidr is refused", async () => {
    givenCidrs(associated());
    ec2.on(AdvertiseByoipCidrCommand).rejects(ec2Error('IncorrectState', 'The origin was switched less than an hour ago.'));

    await expectError(onEvent(advertisementCreate()), `Advert: could not create the advertisement of ${CIDR} with ASN 64496: AdvertiseByoipCidr failed with IncorrectState: The origin was switched less than an hour ago.`);
  });

  describe('validation, before any AWS call', () => {
    test.each([
      ['a private ASN', { Asn: '64512' }, /^Advert: asn 64512 is a private ASN/],
      ['Amazon in lower case', { Asn: 'aws' }, /^Advert: asn must be a whole number in asplain notation; got 'aws'/],
      ['an IPv6 prefix longer than /48', { Cidr: '2001:db8:1000::/56' }, /BYOIP accepts publicly advertisable IPv6 prefixes of \/48 or shorter/],
      ['a CIDR not in canonical form', { Cidr: '2001:DB8:1000::/48' }, /is not in canonical form; write it as '2001:db8:1000::\/48'/],
    ])('refuses %s', async (_, props, message) => {
      await expectError(onEvent(advertisementCreate(props)), expect.stringMatching(message));
      expect(ec2.calls()).toHaveLength(0);
    });
  });
});

describe('isComplete after create', () => {
  const created = handover(ADVERTISEMENT_ID, { Goal: 'created', Acted: true });

  test('completes with the attributes once the CIDR is advertised with this ASN', async () => {
    givenCidrs(advertisedWithAsn());

    await expect(poll(advertisementCreate(), created)).resolves.toEqual({ IsComplete: true, Data: dataOf('advertised') });
    expectNoMutation();
  });

  test("completes once the CIDR is advertised with Amazon's ASN", async () => {
    givenCidrs(advertisedWithAmazon());

    await expect(poll(advertisementCreate({ Asn: 'AWS' }), handover(AMAZON_ADVERTISEMENT_ID, { Goal: 'created', Acted: true })))
      .resolves.toEqual({ IsComplete: true, Data: dataOf('advertised', 'AWS') });
  });

  test.each([
    ['pending-advertising', [range('pending-advertising', [association('associated')])]],
    ['still provisioned (our call not visible yet)', [associated()]],
  ])('waits while the CIDR is %s', async (_, records) => {
    givenCidrs(...records);

    await expect(poll(advertisementCreate(), created)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test('fails when the CIDR turns up advertised with another origin', async () => {
    givenCidrs(advertisedWithAmazon());

    await expectError(poll(advertisementCreate(), created), otherOriginMessage("Amazon's ASN"));
  });

  test('advertises once a withdrawal that onEvent waited for has ended', async () => {
    givenCidrs(associated());
    ec2.on(AdvertiseByoipCidrCommand).resolves({ ByoipCidr: range('pending-advertising') });

    await expect(poll(advertisementCreate(), handover(ADVERTISEMENT_ID, { Goal: 'created', Acted: false }))).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandWith(AdvertiseByoipCidrCommand, { Cidr: CIDR, Asn: ASN });
  });

  test.each(PASSING_FAILURES)('answers "not complete" when the read fails after %s', async (_, failure) => {
    ec2.on(DescribeByoipCidrsCommand).rejects(failure());

    await expect(poll(advertisementCreate(), created)).resolves.toEqual({ IsComplete: false });
  });
});

// ===========================================================================================================
// UPDATE
// ===========================================================================================================

describe('update', () => {
  test('changes nothing when only the network border group or adoptExisting changes, and reports the advertisement', async () => {
    const event = advertisementUpdate({ NetworkBorderGroup: 'us-east-1-lax-1', AdoptExisting: 'true' });

    const response = await onEvent(event);

    expect(response).toEqual(handover(ADVERTISEMENT_ID, { Goal: 'unchanged', Acted: false }));
    givenCidrs(advertisedWithAsn());
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: dataOf('advertised') });
    expectNoMutation();
  });

  test.each([
    ["Amazon's ASN to an own one", { Asn: ASN }, { Asn: 'AWS' }, AMAZON_ADVERTISEMENT_ID, "Amazon's ASN", 'ASN 64496'],
    ['one ASN to another', { Asn: OTHER_ASN }, {}, ADVERTISEMENT_ID, 'ASN 64496', 'ASN 64497'],
  ])('refuses to switch the origin from %s in one deployment', async (_, props, oldProps, id, from, to) => {
    await expectError(onEvent(advertisementUpdate(props, oldProps, id)),
      `Advert: cannot switch the origin of ${CIDR} from ${from} to ${to} in one deployment: CloudFormation would advertise it with ${to} and then delete the old advertisement, withdrawing the CIDR. Switch in two deployments: first deploy without this ByoipCidrAdvertisement (the CIDR is withdrawn), then deploy it again with the new origin. AWS allows switching from Amazon's ASN to your own at most once per hour.`);
    expect(ec2.calls()).toHaveLength(0);
  });

  test('advertises another CIDR as a replacement, answering with its physical id', async () => {
    givenCidrs(advertisedWithAsn(), range('provisioned', [association('associated', { Cidr: OTHER_CIDR })], { Cidr: OTHER_CIDR }));
    ec2.on(AdvertiseByoipCidrCommand).resolves({ ByoipCidr: range('pending-advertising', [], { Cidr: OTHER_CIDR }) });

    await expect(onEvent(advertisementUpdate({ Cidr: OTHER_CIDR }))).resolves.toEqual(handover(advertisementPhysicalId(OTHER_CIDR, ASN), { Goal: 'created', Acted: true }));
    expect(ec2).toHaveReceivedCommandWith(AdvertiseByoipCidrCommand, { Cidr: OTHER_CIDR, Asn: ASN });
  });

  test('rolling back a replacement that failed: withdraws the other CIDR that it started advertising, then reports the old advertisement', async () => {
    givenStackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
    const other = (state: string, as = 'associated') => range(state, [association(as, { Cidr: OTHER_CIDR })], { Cidr: OTHER_CIDR });
    givenCidrsInTurn(
      [advertisedWithAsn(), other('pending-advertising')], // onEvent: the new advertisement is being made
      [advertisedWithAsn(), other('advertised', 'advertised')], // poll 1: withdraw it
      [advertisedWithAsn(), other('pending-withdrawal', 'advertised')], // poll 2: wait
      [advertisedWithAsn(), other('provisioned')], [advertisedWithAsn(), other('provisioned')], // poll 3: gone, then ours
    );
    ec2.on(WithdrawByoipCidrCommand).resolves({ ByoipCidr: other('pending-withdrawal') });
    const event = advertisementUpdate({}, { Cidr: OTHER_CIDR }, ADVERTISEMENT_ID);

    const response = await onEvent(event);
    expect(response).toEqual(handover(ADVERTISEMENT_ID, { Goal: 'unchanged', Acted: false, Orphan: advertisementPhysicalId(OTHER_CIDR, ASN) }));

    await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: dataOf('advertised') });
    expect(ec2).toHaveReceivedCommandTimes(WithdrawByoipCidrCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(WithdrawByoipCidrCommand, { Cidr: OTHER_CIDR });
    expect(ec2).toHaveReceivedCommandTimes(AdvertiseByoipCidrCommand, 0);
  });
});

// ===========================================================================================================
// DELETE
// ===========================================================================================================

describe('delete', () => {
  test('withdraws a CIDR advertised with this ASN, and completes once it is no longer advertised', async () => {
    givenCidrs(advertisedWithAsn());
    ec2.on(WithdrawByoipCidrCommand).resolves({ ByoipCidr: range('pending-withdrawal') });
    const event = advertisementDelete();

    const response = await onEvent(event);

    expect(response).toEqual(handover(ADVERTISEMENT_ID, { Goal: 'deleted', Acted: true }));
    expect(ec2.commandCalls(WithdrawByoipCidrCommand)[0].args[0].input).toEqual({ Cidr: CIDR });
    givenCidrs(range('pending-withdrawal', [association('advertised')]));
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
    givenCidrs(associated());
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true });
    expect(ec2).toHaveReceivedCommandTimes(WithdrawByoipCidrCommand, 1);
  });

  test.each([
    ['advertised with another ASN (not ours)', [advertisedWithAsn(OTHER_ASN)]],
    ["advertised with Amazon's ASN (not ours)", [advertisedWithAmazon()]],
    ['provisioned', [associated()]],
    ['not listed', []],
    ['deprovisioned', [range('deprovisioned')]],
  ])('has nothing to withdraw when the CIDR is %s', async (_, records) => {
    givenCidrs(...records);

    await expect(onEvent(advertisementDelete())).resolves.toEqual({ PhysicalResourceId: ADVERTISEMENT_ID });
    expectNoMutation();
  });

  test("withdraws a CIDR advertised with Amazon's ASN for that advertisement", async () => {
    givenCidrs(advertisedWithAmazon());
    ec2.on(WithdrawByoipCidrCommand).resolves({ ByoipCidr: range('pending-withdrawal') });

    await expect(onEvent(advertisementDelete(AMAZON_ADVERTISEMENT_ID))).resolves.toEqual(handover(AMAZON_ADVERTISEMENT_ID, { Goal: 'deleted', Acted: true }));
  });

  test("ignores a physical id that is not ours (the provider's create-failed marker)", async () => {
    await expect(onEvent(advertisementDelete(CREATE_FAILED_MARKER))).resolves.toEqual({ PhysicalResourceId: CREATE_FAILED_MARKER });
    expect(ec2.calls()).toHaveLength(0);
  });

  test('withdraws once an advertising that onEvent waited for has ended with this origin; nothing when with another', async () => {
    givenCidrs(range('pending-advertising', [association('associated')]));
    const event = advertisementDelete();
    const response = await onEvent(event);
    expect(response).toEqual(handover(ADVERTISEMENT_ID, { Goal: 'deleted', Acted: false }));
    ec2.on(WithdrawByoipCidrCommand).resolves({ ByoipCidr: range('pending-withdrawal') });

    givenCidrs(advertisedWithAmazon());
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true });
    expectNoMutation();
    givenCidrs(advertisedWithAsn());
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandTimes(WithdrawByoipCidrCommand, 1);
  });

  describe("AWS's limit of one Withdraw per 10 s", () => {
    test('a throttled WithdrawByoipCidr (after the retries) is handed to isComplete, never failed', async () => {
      givenCidrs(advertisedWithAsn());
      ec2.on(WithdrawByoipCidrCommand).rejects(THROTTLED());
      const event = advertisementDelete();

      const response = await onEvent(event);
      expect(response).toEqual(handover(ADVERTISEMENT_ID, { Goal: 'deleted', Acted: false }));

      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      expectLog('WARN', 'a call failed for a passing reason (RequestLimitExceeded: Request limit exceeded.); polling again');
      ec2.on(WithdrawByoipCidrCommand).resolves({ ByoipCidr: range('pending-withdrawal') });
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      givenCidrs(associated());
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: true });
      expect(ec2).toHaveReceivedCommandTimes(WithdrawByoipCidrCommand, 3);
    });
  });

  test('takes a refusal as done when a read shows the CIDR no longer advertised', async () => {
    givenCidrsInTurn([advertisedWithAsn()], [associated()]);
    ec2.on(WithdrawByoipCidrCommand).rejects(ec2Error('IncorrectState', 'The CIDR is provisioned, not advertised.'));

    await expect(onEvent(advertisementDelete())).resolves.toEqual(handover(ADVERTISEMENT_ID, { Goal: 'deleted', Acted: true }));
  });

  test("fails with AWS's message when AWS refuses while the CIDR still reads advertised", async () => {
    givenCidrs(advertisedWithAsn());
    ec2.on(WithdrawByoipCidrCommand).rejects(ec2Error('IncorrectState', 'no'));

    await expectError(onEvent(advertisementDelete()), `Advert: could not remove the advertisement of ${CIDR} with ASN 64496: WithdrawByoipCidr failed with IncorrectState: no`);
  });

  test.each(PASSING_FAILURES)('isComplete answers "not complete" when the read fails after %s', async (_, failure) => {
    ec2.on(DescribeByoipCidrsCommand).rejects(failure());

    await expect(poll(advertisementDelete(), handover(ADVERTISEMENT_ID, { Goal: 'deleted', Acted: true }))).resolves.toEqual({ IsComplete: false });
  });
});

// ===========================================================================================================
// Every state
// ===========================================================================================================

describe('every state of the CIDR', () => {
  const outcomeOf = (promise: Promise<OnEventResponse>) => promise.then(
    (r) => (r.Next ? `${r.Next.Goal}, ${r.Next.Acted ? 'acted' : 'not acted'}` : 'nothing to do'),
    () => 'refuses');
  const pollOutcome = (promise: Promise<IsCompleteResponse>) => promise.then((r) => (r.IsComplete ? 'completes' : 'waits'), () => 'fails');

  const ROWS: Array<[string, ByoipCidr[], string, string, string, string, string]> = [
    // CIDR, listing, create onEvent, isComplete after create (acted), delete onEvent, isComplete after delete (acted), (not acted)
    ['not listed', [], 'refuses', 'fails', 'nothing to do', 'completes', 'completes'],
    ['pending-provision', [range('pending-provision')], 'refuses', 'fails', 'nothing to do', 'completes', 'completes'],
    ['provisioned', [associated()], 'created, acted', 'waits', 'nothing to do', 'completes', 'completes'],
    ['provisioned-not-publicly-advertisable', [range('provisioned-not-publicly-advertisable')], 'refuses', 'fails', 'nothing to do', 'completes', 'completes'],
    ['failed-provision', [range('failed-provision')], 'refuses', 'fails', 'nothing to do', 'completes', 'completes'],
    ['pending-advertising', [range('pending-advertising', [association('associated')])], 'created, acted', 'waits', 'deleted, not acted', 'waits', 'waits'],
    ['advertised with this ASN', [advertisedWithAsn()], 'refuses', 'completes', 'deleted, acted', 'waits', 'waits'],
    ['advertised with another ASN', [advertisedWithAsn(OTHER_ASN)], 'refuses', 'fails', 'nothing to do', 'completes', 'completes'],
    ["advertised with Amazon's ASN", [advertisedWithAmazon()], 'refuses', 'fails', 'nothing to do', 'completes', 'completes'],
    ['pending-withdrawal', [range('pending-withdrawal', [association('advertised')])], 'created, not acted', 'waits', 'deleted, acted', 'waits', 'waits'],
    ['pending-deprovision', [range('pending-deprovision')], 'refuses', 'fails', 'nothing to do', 'completes', 'completes'],
    ['deprovisioned', [range('deprovisioned')], 'refuses', 'fails', 'nothing to do', 'completes', 'completes'],
    ['failed-deprovision', [range('failed-deprovision')], 'refuses', 'fails', 'nothing to do', 'completes', 'completes'],
    ['quarantined', [range('quarantined')], 'refuses', 'waits', 'deleted, not acted', 'waits', 'waits'],
  ];

  test('the table covers every state of the SDK', () => {
    const states = new Set(ROWS.flatMap(([, records]) => records.map((r) => r.State)));
    expect(Object.values(ByoipCidrState).filter((s) => !states.has(s))).toEqual([]);
  });

  test.each(ROWS)('CIDR %s: create %s, then %s; delete %s, then %s after acting, %s after waiting', async (_, records, create, created, remove, removedActed, removedWaited) => {
    givenCidrs(...records);
    ec2.on(AdvertiseByoipCidrCommand).resolves({ ByoipCidr: range('pending-advertising') });
    ec2.on(WithdrawByoipCidrCommand).resolves({ ByoipCidr: range('pending-withdrawal') });

    await expect(outcomeOf(onEvent(advertisementCreate()))).resolves.toBe(create);
    await expect(pollOutcome(poll(advertisementCreate(), handover(ADVERTISEMENT_ID, { Goal: 'created', Acted: true })))).resolves.toBe(created);
    await expect(outcomeOf(onEvent(advertisementDelete()))).resolves.toBe(remove);
    await expect(pollOutcome(poll(advertisementDelete(), handover(ADVERTISEMENT_ID, { Goal: 'deleted', Acted: true })))).resolves.toBe(removedActed);
    await expect(pollOutcome(poll(advertisementDelete(), handover(ADVERTISEMENT_ID, { Goal: 'deleted', Acted: false })))).resolves.toBe(removedWaited);
  });
});

// ===========================================================================================================
// Sizes and logs
// ===========================================================================================================

describe('the response to CloudFormation', () => {
  test('stays under 4096 bytes when the status message is huge', async () => {
    givenCidrs(range('advertised', [association('advertised')], { StatusMessage: `${POOL_ID} ${'advertised from every edge location. '.repeat(3000)}` }));
    const event = advertisementCreate();

    const response = await poll(event, handover(ADVERTISEMENT_ID, { Goal: 'created', Acted: true }));

    expect(Buffer.byteLength(cloudFormationSuccessBody(event, ADVERTISEMENT_ID, response.Data))).toBeLessThan(4096);
    expect(Buffer.byteLength(JSON.stringify(response.Data))).toBeLessThanOrEqual(MAX_DATA_BYTES);
  });
});

describe('logging', () => {
  test('one line per read, naming the CIDR state, the origin and the associations', async () => {
    givenCidrs(advertisedWithAsn());

    await onEvent(advertisementCreate({ AdoptExisting: 'true' }));

    expect(logs.records()).toContainEqual(expect.objectContaining({
      message: `BYOIP CIDR ${CIDR} is advertised with ASN 64496`, state: 'advertised', origin: ASN, associations: ['64496 (advertised)', '64497 (associated)'],
    }));
  });
});
