import {
  AssociateIpamByoasnCommand,
  AsnAssociation,
  ByoipCidr,
  DescribeByoipCidrsCommand,
  DescribeIpamByoasnCommand,
  DisassociateIpamByoasnCommand,
} from '@aws-sdk/client-ec2';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import 'aws-sdk-client-mock-jest';
import { ALLOW_DOCUMENTATION_VALUES_ENV, associationPhysicalId } from '../../lib/private/contract';
import { CONSISTENCY_WINDOW_MS } from '../../lambda/common';
import type { CustomResourceEvent, Handover, IsCompleteEvent, IsCompleteResponse, OnEventResponse } from '../../lambda/common';
import { isComplete, onEvent } from '../../lambda/index';
import { MAX_AWS_TEXT_BYTES, MAX_DATA_BYTES } from '../../lambda/limits';
import {
  ASN,
  ASSOCIATION_ID,
  CIDR,
  CREATE_FAILED_MARKER,
  OTHER_ASN,
  OTHER_CIDR,
  STACK_ID,
  association,
  associationCreate,
  associationDelete,
  associationUpdate,
  byoipCidr,
  cloudFormationFailureBody,
  cloudFormationSuccessBody,
  ec2Error,
  isCompleteEvent,
  mockedEc2,
  networkError,
} from './events';

const { ec2, cfn, logs, givenCidrs, givenCidrsInTurn, givenStackStatus } = mockedEc2();

/** `Date.now()` when onEvent answers: the `At` of every handover here. */
const T0 = Date.UTC(2025, 5, 2, 9, 30, 0);

/** Makes `Date.now()` (and only it) answer `T0 + elapsed`; jest.restoreAllMocks() after each test undoes it. */
function clockAt(elapsed: number): void {
  jest.spyOn(Date, 'now').mockReturnValue(T0 + elapsed);
}

beforeEach(() => clockAt(0));

/** The association of our ASN with the new CIDR of a replacement. */
const NEW_ID = associationPhysicalId(ASN, OTHER_CIDR);

/** Our CIDR, listed with the association of our ASN in this state (or with none). */
function givenAssociation(state: string | undefined, overrides: Partial<AsnAssociation> = {}): void {
  givenCidrs(byoipCidr(state === undefined ? [] : [association(state, overrides)]));
}

/** Our CIDR with these associations, in this order. */
function givenAssociations(...states: string[]): void {
  givenCidrs(byoipCidr(states.map((state) => association(state))));
}

/** The new CIDR of a replacement, with the association of our ASN in this state (or with none). */
function newCidr(state: string | undefined, overrides: Partial<AsnAssociation> = {}): ByoipCidr {
  return byoipCidr(state === undefined ? [] : [association(state, { Cidr: OTHER_CIDR, ...overrides })], { Cidr: OTHER_CIDR });
}

/** Both CIDRs: the old association in `oldState`, the new one in `newState` (undefined: none). */
function givenOldAndNew(oldState: string | undefined, newState: string | undefined, newOverrides: Partial<AsnAssociation> = {}): void {
  givenCidrs(byoipCidr(oldState === undefined ? [] : [association(oldState)]), newCidr(newState, newOverrides));
}

function givenStackStatusFails(error: Error): void {
  cfn.on(DescribeStacksCommand).rejects(error);
}

function expectNoMutation(): void {
  expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 0);
  expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 0);
}

function expectNoStackStatusRead(): void {
  expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
}

function expectStackStatusRead(): void {
  expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: STACK_ID });
}

/** Expects a rejection with exactly this message (or one matching an asymmetric matcher). */
async function expectError(promise: Promise<unknown>, message: unknown): Promise<void> {
  await expect(promise).rejects.toMatchObject({ message });
}

function poll(event: CustomResourceEvent, response: OnEventResponse): Promise<IsCompleteResponse> {
  return isComplete(isCompleteEvent(event, response));
}

/** What a poll comes to, in one word. */
function outcomeOf(promise: Promise<IsCompleteResponse>): Promise<string> {
  return promise.then((r) => (r.IsComplete ? 'completes' : 'waits'), () => 'fails');
}

/** The handover that onEvent answers at T0. */
function next(fields: Omit<Handover, 'At'>): Handover {
  return { ...fields, At: T0 };
}

/** onEvent's answer: the physical id and the handover. */
function handover(fields: Omit<Handover, 'At'>, physicalId = ASSOCIATION_ID): OnEventResponse {
  return { PhysicalResourceId: physicalId, Next: next(fields) };
}

/** onEvent associated (or found the association in progress, or took it over): isComplete waits for it. */
const ASSOCIATING = handover({ Goal: 'created', Acted: true });
/** onEvent waited for a disassociation (or another state) to end: isComplete associates then. */
const TO_ASSOCIATE = handover({ Goal: 'created', Acted: false });
/** onEvent disassociated (or found the disassociation in progress): isComplete waits for it. */
const DISASSOCIATING = handover({ Goal: 'deleted', Acted: true });
/** onEvent waited for an association (or an unknown state) to end: isComplete disassociates then. */
const TO_DISASSOCIATE = handover({ Goal: 'deleted', Acted: false });

const data = (State: string, StatusMessage = '') => ({ Asn: ASN, Cidr: CIDR, State, StatusMessage });
const newData = (State: string, StatusMessage = '') => ({ Asn: ASN, Cidr: OTHER_CIDR, State, StatusMessage });

const NOT_BYOIP = (cidr: string) =>
  `Prefix: CIDR ${cidr} is not a BYOIP CIDR in this Region. Provision it as a BYOIP CIDR first (ProvisionByoipCidr; see "Bring your own IP addresses" in the Amazon VPC documentation) in this Region, then associate it with ASN 64496.`;
const EXISTS = (cidr: string, state: string) =>
  `Prefix: ASN 64496 is already associated with CIDR ${cidr} (state ${state}). Set adoptExisting: true to manage the association with this stack (deleting the resource will then disassociate it), or disassociate it first.`;
const ASSOCIATE_FAILED = (error: string, cidr = CIDR) =>
  `Prefix: could not create the association of ASN 64496 with ${cidr}: AssociateIpamByoasn failed with ${error}`;
const DISASSOCIATE_FAILED = (error: string) =>
  `Prefix: could not remove the association of ASN 64496 with 203.0.113.0/24: DisassociateIpamByoasn failed with ${error}`;
const NOT_VISIBLE = ' (and in 120 s no earlier attempt of it became visible)';

/** A TimeoutError as the SDK throws it when an attempt gets no answer in time. */
function timeoutError(): Error {
  return Object.assign(new Error('Connection timed out after 20000 ms'), { name: 'TimeoutError', $metadata: { attempts: 10 } });
}

/** The FAILED body the framework sends after isComplete failed: the reason, and the Data of the event it polled with. */
function failureBodyAfterPoll(event: IsCompleteEvent, error: Error): string {
  return JSON.stringify({ ...JSON.parse(cloudFormationFailureBody(event, event.PhysicalResourceId, error)), Data: event.Data });
}

// ===========================================================================================================
// CREATE
// ===========================================================================================================

describe('create', () => {
  test('associates the ASN with a provisioned BYOIP CIDR and hands isComplete the wait, with no Data', async () => {
    givenAssociation(undefined);
    ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

    const response = await onEvent(associationCreate());

    expect(response).toEqual(ASSOCIATING);
    expect(response).not.toHaveProperty('Data');
    expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(AssociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR });
    expect(ec2).toHaveReceivedCommandWith(DescribeByoipCidrsCommand, { MaxResults: 100 });
    // Association state is only in DescribeByoipCidrs; the ASN listing is not needed.
    expect(ec2).toHaveReceivedCommandTimes(DescribeIpamByoasnCommand, 0);
    // A Create never asks for the stack's status.
    expectNoStackStatusRead();
  });

  test('associates again when the association is disassociated', async () => {
    givenAssociation('disassociated', { StatusMessage: 'old record' });
    ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

    await expect(onEvent(associationCreate())).resolves.toEqual(ASSOCIATING);
    expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 1);
  });

  test('ignores associations of other ASNs with the CIDR', async () => {
    givenCidrs(byoipCidr([association('associated', { Asn: OTHER_ASN })]));
    ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

    await expect(onEvent(associationCreate())).resolves.toEqual(ASSOCIATING);
    expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 1);
  });

  test('says to provision the CIDR first when it is not a BYOIP CIDR', async () => {
    givenCidrs(byoipCidr([], { Cidr: OTHER_CIDR }), byoipCidr([], { State: 'deprovisioned' }), byoipCidr([], { State: 'failed-provision' }));
    process.env.AWS_REGION = 'us-east-1';

    try {
      await expectError(onEvent(associationCreate()),
        'Prefix: CIDR 203.0.113.0/24 is not a BYOIP CIDR in Region us-east-1. Provision it as a BYOIP CIDR first (ProvisionByoipCidr; see "Bring your own IP addresses" in the Amazon VPC documentation) in this Region, then associate it with ASN 64496.');
    } finally {
      delete process.env.AWS_REGION;
    }
    expectNoMutation();
  });

  test('compares CIDRs exactly', async () => {
    givenCidrs(byoipCidr([], { Cidr: '2001:db8:1000:0::/48' }));

    await expectError(onEvent(associationCreate({ Cidr: OTHER_CIDR })), NOT_BYOIP(OTHER_CIDR));
  });

  test('waits for an association already in progress without calling AWS again', async () => {
    givenAssociation('pending-association');

    await expect(onEvent(associationCreate())).resolves.toEqual(ASSOCIATING);
    expectNoMutation();
  });

  test.each(['associated', 'advertised'])('refuses an existing association (%s)', async (state) => {
    givenAssociation(state);

    await expectError(onEvent(associationCreate()), EXISTS(CIDR, state));
    expectNoMutation();
    expectNoStackStatusRead();
  });

  test.each(['associated', 'advertised'])('adopts an existing association (%s) when AdoptExisting is true', async (state) => {
    givenAssociation(state);

    await expect(onEvent(associationCreate({ AdoptExisting: 'true' }))).resolves.toEqual(ASSOCIATING);
    expectNoMutation();
    expect(logs.records()).toContainEqual(expect.objectContaining({
      level: 'INFO', message: `the association of ASN 64496 with 203.0.113.0/24 is ${state}: adopting it (adoptExisting is true)`,
    }));
  });

  test('waits for a disassociation to end instead of associating now', async () => {
    givenAssociation('pending-disassociation');

    await expect(onEvent(associationCreate())).resolves.toEqual(TO_ASSOCIATE);
    expectNoMutation();
  });

  test("refuses an association in failed-disassociation with AWS's status message", async () => {
    givenAssociation('failed-disassociation', { StatusMessage: 'The CIDR is advertised.' });

    await expectError(onEvent(associationCreate()),
      'Prefix: the association of ASN 64496 with CIDR 203.0.113.0/24 is in state failed-disassociation; resolve the problem and disassociate it (DisassociateIpamByoasn) before associating it again. AWS\'s status message: The CIDR is advertised.');
    expectNoMutation();
  });

  test('refuses, changing nothing, an association in a state it does not know', async () => {
    givenAssociation('quarantined', { StatusMessage: 'Under review.' });

    await expectError(onEvent(associationCreate()),
      "Prefix: the association of ASN 64496 with 203.0.113.0/24 is in state 'quarantined', which this handler does not know; nothing was changed. AWS's status message: Under review.");
    expectNoMutation();
  });

  test('leaves the association to isComplete when too little time is left for AssociateIpamByoasn and its retries', async () => {
    givenAssociation(undefined);

    await expect(onEvent(associationCreate(), { getRemainingTimeInMillis: () => 120_000 })).resolves.toEqual(TO_ASSOCIATE);
    expectNoMutation();
    expect(logs.records()).toContainEqual(expect.objectContaining({
      level: 'WARN', message: 'too little time left in this invocation to make AssociateIpamByoasn safely; isComplete makes it',
    }));
  });

  test('reads every page of DescribeByoipCidrs (the CIDR is on page 3)', async () => {
    const pages: Record<string, { ByoipCidrs: ByoipCidr[]; NextToken?: string }> = {
      '': { ByoipCidrs: [byoipCidr([], { Cidr: '198.51.100.0/24' })], NextToken: 'page-2' },
      'page-2': { ByoipCidrs: [], NextToken: 'page-3' },
      'page-3': { ByoipCidrs: [byoipCidr([association('associated')])] },
    };
    ec2.on(DescribeByoipCidrsCommand).callsFake((input: { NextToken?: string }) => pages[input.NextToken ?? '']);

    await expect(onEvent(associationCreate({ AdoptExisting: 'true' }))).resolves.toEqual(ASSOCIATING);

    const calls = ec2.commandCalls(DescribeByoipCidrsCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([
      { MaxResults: 100, NextToken: undefined },
      { MaxResults: 100, NextToken: 'page-2' },
      { MaxResults: 100, NextToken: 'page-3' },
    ]);
  });

  test('stops paging, with an error, when DescribeByoipCidrs returns the same NextToken twice', async () => {
    ec2.on(DescribeByoipCidrsCommand).resolves({ ByoipCidrs: [], NextToken: 'again' });

    await expectError(onEvent(associationCreate()), 'Prefix: DescribeByoipCidrs returned the same NextToken twice; stopped paging to avoid an endless loop.');
    expectNoMutation();
  });

  describe('when AssociateIpamByoasn fails', () => {
    test("fails at once with AWS's message on a refusal at the first attempt, without re-reading", async () => {
      givenAssociation(undefined);
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is already associated with the CIDR.'));

      await expectError(onEvent(associationCreate()), ASSOCIATE_FAILED('IncorrectState: The ASN is already associated with the CIDR.'));
      expect(ec2).toHaveReceivedCommandTimes(DescribeByoipCidrsCommand, 1);
    });

    test.each([
      ['InvalidParameterValue', 'The ASN is not provisioned.'],
      ['IncorrectState', 'The ASN is already being associated with the CIDR.'],
    ])("fails at once with AWS's message on a refusal (%s) after a throttled attempt: that attempt was not applied", async (code, message) => {
      givenAssociation(undefined);
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error(code, message, 400, 2, ['throttled']));

      await expectError(onEvent(associationCreate()), ASSOCIATE_FAILED(`${code}: ${message}`));
    });

    test('leaves the call to isComplete when the last attempt was throttled too: nothing was applied, and throttling never fails', async () => {
      givenAssociation(undefined);
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503, 10, Array(9).fill('throttled')));

      await expect(onEvent(associationCreate())).resolves.toEqual(TO_ASSOCIATE);
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'WARN',
        message: "AssociateIpamByoasn was still throttled after the SDK's retries (RequestLimitExceeded: Request limit exceeded.); nothing was applied, and isComplete makes the call",
      }));
    });

    test('hands over the refusal when an earlier attempt was ambiguous: it may be about our own request', async () => {
      givenAssociation(undefined);
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is already being associated with the CIDR.', 400, 2, ['ambiguous']));

      await expect(onEvent(associationCreate())).resolves.toEqual(handover({
        Goal: 'created', Acted: true, Refused: ASSOCIATE_FAILED('IncorrectState: The ASN is already being associated with the CIDR.'),
      }));
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'WARN',
        message: 'AssociateIpamByoasn failed (IncorrectState: The ASN is already being associated with the CIDR.) after an attempt that AWS may have applied (no answer, or a 5xx); waiting for that request to become visible, at most 120 s',
      }));
    });

    test.each([
      ['a server error', ec2Error('InternalError', 'Oops.', 500, 10), 'InternalError: Oops.'],
      ['ServiceUnavailable', ec2Error('ServiceUnavailable', 'Try later.', 503, 10), 'ServiceUnavailable: Try later.'],
      ['a dropped connection', networkError(), 'socket hang up (ECONNRESET)'],
      ['a timeout', timeoutError(), 'TimeoutError: Connection timed out after 20000 ms'],
    ])('hands over, instead of failing, when the last attempt ended in %s: AWS may have applied it', async (_, error, text) => {
      givenAssociation(undefined);
      ec2.on(AssociateIpamByoasnCommand).rejects(error);

      await expect(onEvent(associationCreate())).resolves.toEqual(handover({ Goal: 'created', Acted: true, Refused: ASSOCIATE_FAILED(text) }));
    });

    test.each([
      ['UnauthorizedOperation', 'not allowed', 403],
      ['ResourceLimitExceeded', 'Too many associations.', 400],
    ])('fails at once on a permanent refusal (%s) even after an ambiguous attempt', async (code, message, status) => {
      givenAssociation(undefined);
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error(code, message, status, 2, ['ambiguous']));

      await expectError(onEvent(associationCreate()), ASSOCIATE_FAILED(`${code}: ${message}`));
    });
  });

  describe('validation, before any AWS call', () => {
    test('refuses a CIDR with host bits set', async () => {
      await expectError(onEvent(associationCreate({ Cidr: '203.0.113.1/24' })),
        "Prefix: cidr '203.0.113.1/24' has host bits set: the network address of this prefix is '203.0.113.0/24'.");
      expect(ec2.calls()).toHaveLength(0);
    });

    test('refuses a private CIDR and a private ASN at once', async () => {
      await expectError(onEvent(associationCreate({ Asn: '64512', Cidr: '10.0.0.0/24' })), [
        'Prefix: asn 64512 is a private ASN (RFC 6996) (64512-65534), not a public ASN. Allowed: 1-64495 (except 23456) or 131072-4199999999.',
        "Prefix: cidr '10.0.0.0/24' overlaps 10.0.0.0/8, which is private (RFC 1918); only public address space can be brought to AWS.",
      ].join('\n'));
      expect(ec2.calls()).toHaveLength(0);
    });

    test('refuses documentation values unless CDK_IPAM_BYOASN_ALLOW_DOCUMENTATION_VALUES is true', async () => {
      delete process.env[ALLOW_DOCUMENTATION_VALUES_ENV];

      await expectError(onEvent(associationCreate()), [
        'Prefix: asn 64496 is reserved for documentation (RFC 5398) (64496-64511): fine for examples, but AWS cannot provision it, and a deployment will refuse it. Use your own public ASN: 1-64495 (except 23456) or 131072-4199999999.',
        "Prefix: cidr '203.0.113.0/24' overlaps 203.0.113.0/24, TEST-NET-3, reserved for documentation (RFC 5737): fine for examples, but AWS cannot provision it, and a deployment will refuse it. Use a prefix that your organisation holds.",
      ].join('\n'));
      expect(ec2.calls()).toHaveLength(0);
    });

    test('accepts an IPv6 /56 (BYOIP takes it when not publicly advertisable)', async () => {
      givenCidrs(byoipCidr([], { Cidr: '2001:db8:1000:ff00::/56' }));
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

      await expect(onEvent(associationCreate({ Cidr: '2001:db8:1000:ff00::/56' }))).resolves.toEqual(handover({ Goal: 'created', Acted: true }, `${ASN}|2001:db8:1000:ff00::/56`));
    });
  });
});

describe('isComplete after create', () => {
  test.each(['associated', 'advertised'])('completes with the attributes once the association is %s', async (state) => {
    givenAssociation(state, { StatusMessage: 'All good.' });

    await expect(poll(associationCreate(), ASSOCIATING)).resolves.toEqual({ IsComplete: true, Data: data(state, 'All good.') });
    expectNoMutation();
  });

  test.each([
    ['pending-association', 'pending-association'],
    ['not visible yet (eventual consistency)', undefined],
    ['still disassociated (eventual consistency)', 'disassociated'],
    ['pending-disassociation', 'pending-disassociation'],
  ])('keeps waiting, without Data, while the association is %s', async (_, state) => {
    givenAssociation(state);

    await expect(poll(associationCreate(), ASSOCIATING)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test("fails with AWS's status message on failed-association", async () => {
    givenAssociation('failed-association', { StatusMessage: 'The ASN is not provisioned in an IPAM.' });

    await expectError(poll(associationCreate(), ASSOCIATING),
      'Prefix: AWS could not associate ASN 64496 with CIDR 203.0.113.0/24: The ASN is not provisioned in an IPAM.');
  });

  test("fails with AWS's status message on failed-disassociation", async () => {
    givenAssociation('failed-disassociation', { StatusMessage: 'stuck' });

    await expectError(poll(associationCreate(), ASSOCIATING),
      "Prefix: the association of ASN 64496 with CIDR 203.0.113.0/24 is in state failed-disassociation; resolve the problem and disassociate it (DisassociateIpamByoasn) before associating it again. AWS's status message: stuck");
  });

  test('keeps waiting, with a warning, on an unknown state', async () => {
    givenAssociation('quarantined');

    await expect(poll(associationCreate(), ASSOCIATING)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
    expect(logs.records()).toContainEqual(expect.objectContaining({
      level: 'WARN', message: "the association of ASN 64496 with 203.0.113.0/24 is in unknown state 'quarantined'; waiting for a known one",
    }));
  });

  test.each([
    ['not listed', []],
    ['deprovisioned', [byoipCidr([association('pending-association')], { State: 'deprovisioned' })]],
  ])('fails when the CIDR is no longer a BYOIP CIDR (%s)', async (_, cidrs) => {
    givenCidrs(...cidrs);

    await expectError(poll(associationCreate(), ASSOCIATING), NOT_BYOIP(CIDR));
  });

  describe('when a read fails', () => {
    test.each([
      ['throttled (RequestLimitExceeded 503)', ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503, 10), 'RequestLimitExceeded: Request limit exceeded.'],
      ['a server error (HTTP 500)', ec2Error('InternalError', 'An internal error has occurred.', 500, 10), 'InternalError: An internal error has occurred.'],
      ['a dropped connection', networkError(), 'socket hang up (ECONNRESET)'],
      ['a timeout', timeoutError(), 'TimeoutError: Connection timed out after 20000 ms'],
    ])('answers "not complete", with a warning, when the read is %s after the SDK\'s retries', async (_, error, text) => {
      ec2.on(DescribeByoipCidrsCommand).rejects(error);

      await expect(poll(associationCreate(), ASSOCIATING)).resolves.toEqual({ IsComplete: false });
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'WARN', message: `a call failed for a passing reason (${text}); polling again`,
      }));
    });

    test('fails at once when the read is refused for lack of permission', async () => {
      ec2.on(DescribeByoipCidrsCommand).rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403));

      await expectError(poll(associationCreate(), ASSOCIATING), 'Prefix: UnauthorizedOperation: You are not authorized to perform this operation.');
    });

    test('fails at once on a bad parameter', async () => {
      ec2.on(DescribeByoipCidrsCommand).rejects(ec2Error('InvalidParameterValue', 'MaxResults is out of range.'));

      await expectError(poll(associationCreate(), ASSOCIATING), 'Prefix: InvalidParameterValue: MaxResults is out of range.');
    });
  });

  describe('after waiting for a disassociation to end', () => {
    test.each([
      ['disassociated', 'disassociated'],
      ['not listed', undefined],
    ])('associates once the association is %s', async (_, state) => {
      givenAssociation(state);
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

      await expect(poll(associationCreate(), TO_ASSOCIATE)).resolves.toEqual({ IsComplete: false });
      expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 1);
      expect(ec2).toHaveReceivedCommandWith(AssociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR });
    });

    test('does not associate while the disassociation goes on', async () => {
      givenAssociation('pending-disassociation');

      await expect(poll(associationCreate(), TO_ASSOCIATE)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
    });

    test('keeps waiting, with a warning, when AWS refuses the association because an earlier poll already made it', async () => {
      givenAssociation('disassociated');
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is already being associated with the CIDR.'));

      await expect(poll(associationCreate(), TO_ASSOCIATE)).resolves.toEqual({ IsComplete: false });
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'WARN',
        message: 'AssociateIpamByoasn was refused (IncorrectState: The ASN is already being associated with the CIDR.): most likely the request of an earlier poll, not visible yet; waiting for it',
      }));
    });

    test.each([
      ['InvalidParameterValue', 'The ASN is not provisioned.', 400],
      ['InvalidParameter', 'Bad CIDR.', 400],
      ['UnauthorizedOperation', 'not allowed', 403],
      ['ResourceLimitExceeded', 'Too many associations.', 400],
    ])("fails at once with AWS's message when the association is refused with %s", async (code, message, status) => {
      givenAssociation('disassociated');
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error(code, message, status));

      await expectError(poll(associationCreate(), TO_ASSOCIATE), ASSOCIATE_FAILED(`${code}: ${message}`));
    });

    test('answers "not complete" when the association fails for a passing reason', async () => {
      givenAssociation('disassociated');
      ec2.on(AssociateIpamByoasnCommand).rejects(networkError());

      await expect(poll(associationCreate(), TO_ASSOCIATE)).resolves.toEqual({ IsComplete: false });
    });

    test('completes when the association shows up associated without our call', async () => {
      givenAssociation('associated');

      await expect(poll(associationCreate(), TO_ASSOCIATE)).resolves.toEqual({ IsComplete: true, Data: data('associated') });
      expectNoMutation();
    });
  });

  describe('after a refusal that may have been about our own request', () => {
    const REFUSAL = ASSOCIATE_FAILED('IncorrectState: The ASN is already being associated with the CIDR.');
    const refused = handover({ Goal: 'created', Acted: true, Refused: REFUSAL });

    test('keeps waiting while the association is not listed, up to the end of the consistency window', async () => {
      givenAssociation(undefined);
      clockAt(CONSISTENCY_WINDOW_MS - 1);

      await expect(poll(associationCreate(), refused)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'INFO', message: 'waiting for our own request, which AWS may have applied, to become visible',
      }));
    });

    test("fails with AWS's saved message once the window has passed", async () => {
      givenAssociation('disassociated');
      clockAt(CONSISTENCY_WINDOW_MS);

      await expectError(poll(associationCreate(), refused), REFUSAL + NOT_VISIBLE);
      expectNoMutation();
    });

    test('follows our request once it shows up, also after the window', async () => {
      clockAt(CONSISTENCY_WINDOW_MS + 60_000);
      givenAssociation('pending-association');
      await expect(poll(associationCreate(), refused)).resolves.toEqual({ IsComplete: false });

      givenAssociation('associated');
      await expect(poll(associationCreate(), refused)).resolves.toEqual({ IsComplete: true, Data: data('associated') });
    });

    test('a full run: the refusal, two empty reads, then the association', async () => {
      givenCidrsInTurn([byoipCidr([])], [byoipCidr([])], [byoipCidr([])], [byoipCidr([association('pending-association')])], [byoipCidr([association('associated')])]);
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is already being associated with the CIDR.', 400, 3, ['ambiguous', 'throttled']));
      const event = associationCreate();

      const response = await onEvent(event);
      expect(response).toEqual(refused);

      const answers = [];
      for (const elapsed of [10_000, 20_000, 30_000, 40_000]) {
        clockAt(elapsed);
        answers.push(await poll(event, response));
      }
      expect(answers).toEqual([{ IsComplete: false }, { IsComplete: false }, { IsComplete: false }, { IsComplete: true, Data: data('associated') }]);
      expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 1);
    });
  });

  describe('the attributes', () => {
    test('are all strings, even when AWS leaves fields out', async () => {
      givenCidrs(byoipCidr([{ Asn: ASN, State: 'associated' }]));

      const response = await poll(associationCreate(), ASSOCIATING);

      expect(response.Data).toEqual(data('associated'));
      expect(Object.values(response.Data ?? {}).every((value) => typeof value === 'string')).toBe(true);
    });

    test('cap the StatusMessage as the ASN\'s is: a 5000-byte message keeps its first 1000 bytes', async () => {
      const message = 'x'.repeat(5000);
      givenAssociation('associated', { StatusMessage: message });

      const response = await poll(associationCreate(), ASSOCIATING);

      const status = response.Data?.StatusMessage ?? '';
      expect(Buffer.byteLength(status)).toBeLessThanOrEqual(MAX_AWS_TEXT_BYTES);
      expect(status).toBe(`${'x'.repeat(MAX_AWS_TEXT_BYTES - 3)}…`);
    });

    test('keep the CloudFormation response under 4096 bytes when the status message is huge', async () => {
      givenAssociation('associated', { StatusMessage: '€'.repeat(50000) });
      const event = associationCreate();

      const response = await poll(event, ASSOCIATING);

      expect(Buffer.byteLength(cloudFormationSuccessBody(event, ASSOCIATION_ID, { ...ASSOCIATING.Data, ...response.Data }))).toBeLessThan(4096);
      expect(Buffer.byteLength(JSON.stringify(response.Data))).toBeLessThanOrEqual(MAX_DATA_BYTES);
      expect(response.Data?.StatusMessage).toMatch(/^€+…$/);
    });

    test('keep the Data under its bound when the status message is all characters that JSON escapes', async () => {
      givenAssociation('associated', { StatusMessage: '\u0001'.repeat(5000) });

      const response = await poll(associationCreate(), ASSOCIATING);

      expect(Buffer.byteLength(JSON.stringify(response.Data))).toBeLessThanOrEqual(MAX_DATA_BYTES);
    });

    test.each([
      ['a 5000-byte status message', 'x'.repeat(5000)],
      ['a huge multi-byte status message', '€'.repeat(50000)],
    ])('keep a failure, reason and Data included, under 4096 bytes with %s', async (_, message) => {
      givenAssociation('failed-association', { StatusMessage: message });
      const event = isCompleteEvent(associationCreate(), ASSOCIATING);

      const error = await isComplete(event).catch((e: Error) => e);

      expect(error).toBeInstanceOf(Error);
      expect(Buffer.byteLength(failureBodyAfterPoll(event, error as Error))).toBeLessThan(4096);
    });

    test('keep a failure under 4096 bytes when the event still carries the Data of a previous version\'s onEvent', async () => {
      givenAssociation('failed-association', { StatusMessage: 'y'.repeat(5000) });
      const oldData = { ...data('pending-association'), StatusMessage: 'z'.repeat(MAX_DATA_BYTES - 100) };
      const event = isCompleteEvent(associationCreate(), { PhysicalResourceId: ASSOCIATION_ID, Data: oldData });

      const error = await isComplete(event).catch((e: Error) => e);

      expect(Buffer.byteLength(failureBodyAfterPoll(event, error as Error))).toBeLessThan(4096);
    });
  });
});

// ===========================================================================================================
// UPDATE
// ===========================================================================================================

describe('update', () => {
  const UNCHANGED = handover({ Goal: 'unchanged', Acted: false });

  test('changes nothing, without a call, when only adoptExisting changes', async () => {
    const event = associationUpdate({ AdoptExisting: 'true' }, { AdoptExisting: 'false' });

    await expect(onEvent(event)).resolves.toEqual(UNCHANGED);
    expect(ec2.calls()).toHaveLength(0);
    expectNoStackStatusRead();
  });

  test.each(['associated', 'advertised', 'pending-association'])('reports the current attributes (%s) once an in-place update is done', async (state) => {
    givenAssociation(state);
    const event = associationUpdate({ AdoptExisting: 'true' });

    await expect(poll(event, await onEvent(event))).resolves.toEqual({ IsComplete: true, Data: data(state) });
    expectNoMutation();
  });

  test('answers "not complete" when the read of an in-place update fails for a passing reason', async () => {
    ec2.on(DescribeByoipCidrsCommand).rejects(ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503, 10));

    await expect(poll(associationUpdate({ AdoptExisting: 'true' }), UNCHANGED)).resolves.toEqual({ IsComplete: false });
  });

  describe('requires replacement', () => {
    test.each([
      ['the CIDR', { Asn: ASN, Cidr: OTHER_CIDR }, NEW_ID],
      ['the ASN', { Asn: OTHER_ASN, Cidr: CIDR }, associationPhysicalId(OTHER_ASN, CIDR)],
    ])('associates anew and answers with the new physical id when %s changes', async (_, props, newId) => {
      givenOldAndNew('associated', undefined);
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

      const response = await onEvent(associationUpdate(props, {}));

      expect(response).toEqual(handover({ Goal: 'created', Acted: true }, newId));
      expect(ec2).toHaveReceivedCommandWith(AssociateIpamByoasnCommand, props);
      // The old association is left to the Delete that CloudFormation sends afterwards.
      expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 0);
      // Nothing exists at the target: the stack's status does not matter.
      expectNoStackStatusRead();
    });

    test('validates the new properties before any AWS call', async () => {
      await expectError(onEvent(associationUpdate({ Cidr: '2001:db8:1000::1/48' }, {})),
        "Prefix: cidr '2001:db8:1000::1/48' has host bits set: the network address of this prefix is '2001:db8:1000::/48'.");
      expect(ec2.calls()).toHaveLength(0);
    });

    test('refuses a new CIDR that is not a BYOIP CIDR', async () => {
      givenAssociation('associated');

      await expectError(onEvent(associationUpdate({ Cidr: OTHER_CIDR }, {})), NOT_BYOIP(OTHER_CIDR));
      expectNoMutation();
    });

    test('waits until the new association is associated, then reports it', async () => {
      const event = associationUpdate({ Cidr: OTHER_CIDR }, {});
      const replacing = handover({ Goal: 'created', Acted: true }, NEW_ID);

      givenOldAndNew('associated', 'pending-association');
      await expect(poll(event, replacing)).resolves.toEqual({ IsComplete: false });
      givenOldAndNew('associated', 'associated');
      await expect(poll(event, replacing)).resolves.toEqual({ IsComplete: true, Data: newData('associated') });
      expectNoMutation();
    });

    describe('to an association that exists already', () => {
      /** A forward update from CIDR to OTHER_CIDR, whose association exists. */
      const forward = () => associationUpdate({ Cidr: OTHER_CIDR }, {});
      /** CloudFormation rolls back a successful replacement: from OTHER_CIDR (the physical id) back to CIDR. */
      const rollback = () => associationUpdate({}, { Cidr: OTHER_CIDR }, NEW_ID);

      test.each(['associated', 'advertised'])('refuses it (%s) in a forward update, after reading the stack\'s status', async (state) => {
        givenOldAndNew('associated', state);

        await expectError(onEvent(forward()), EXISTS(OTHER_CIDR, state));
        expectNoMutation();
        expectStackStatusRead();
        expect(logs.records()).toContainEqual(expect.objectContaining({
          level: 'INFO', message: 'the stack is UPDATE_IN_PROGRESS, not rolling back: this update follows the Create rule',
        }));
      });

      test('adopts it when adoptExisting is true, without asking for the stack\'s status', async () => {
        givenOldAndNew('associated', 'associated');

        await expect(onEvent(associationUpdate({ Cidr: OTHER_CIDR, AdoptExisting: 'true' }, {}))).resolves.toEqual(handover({ Goal: 'created', Acted: true }, NEW_ID));
        expectNoMutation();
        expectNoStackStatusRead();
      });

      test.each(['associated', 'advertised'])('takes the old association (%s) back, without associating, when the stack is UPDATE_ROLLBACK_IN_PROGRESS', async (state) => {
        givenStackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
        givenOldAndNew(state, 'associated');
        const event = rollback();

        const response = await onEvent(event);

        expect(response).toEqual(handover({ Goal: 'created', Acted: true }));
        expectStackStatusRead();
        expect(logs.records()).toContainEqual(expect.objectContaining({
          level: 'INFO',
          message: `the stack is UPDATE_ROLLBACK_IN_PROGRESS: taking back the association of ASN 64496 with 203.0.113.0/24 (${state}), which the update being rolled back replaced`,
        }));
        await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: data(state) });
        expectNoMutation();
      });

      test.each([
        'UPDATE_IN_PROGRESS',
        'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
        'ROLLBACK_IN_PROGRESS',
        'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
        'IMPORT_ROLLBACK_IN_PROGRESS',
      ])('refuses it when the stack is %s: only UPDATE_ROLLBACK_IN_PROGRESS takes back', async (status) => {
        givenStackStatus(status);
        givenOldAndNew('associated', 'associated');

        await expectError(onEvent(rollback()), EXISTS(CIDR, 'associated'));
        expectNoMutation();
      });

      test.each([
        ['throttled', ec2Error('Throttling', 'Rate exceeded', 400), 'Throttling: Rate exceeded'],
        ['unanswered', networkError(), 'socket hang up (ECONNRESET)'],
      ])('hands over the question when DescribeStacks is %s', async (_, error, text) => {
        givenStackStatusFails(error);
        givenOldAndNew('associated', 'associated');

        await expect(onEvent(rollback())).resolves.toEqual(handover({ Goal: 'created', Acted: true, Ask: 'may-take-back' }));
        expectNoMutation();
        expect(logs.records()).toContainEqual(expect.objectContaining({
          level: 'WARN',
          message: `could not read the stack's status (${text}); isComplete asks again before it takes the association of ASN 64496 with 203.0.113.0/24 back or refuses it`,
        }));
      });

      test('refuses, changing nothing, when DescribeStacks is refused', async () => {
        givenStackStatusFails(ec2Error('AccessDenied', 'not authorized to perform: cloudformation:DescribeStacks', 403));
        givenOldAndNew('associated', 'associated');

        await expectError(onEvent(rollback()),
          "Prefix: the association of ASN 64496 with 203.0.113.0/24 exists, and whether this update may take it back depends on the stack's status, which could not be read: AccessDenied: not authorized to perform: cloudformation:DescribeStacks. Nothing was changed.");
        expectNoMutation();
      });

      describe('isComplete, asking again', () => {
        const asking = handover({ Goal: 'created', Acted: true, Ask: 'may-take-back' });

        test('completes with the old association when the stack is UPDATE_ROLLBACK_IN_PROGRESS', async () => {
          givenStackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
          givenOldAndNew('associated', 'associated');

          await expect(poll(rollback(), asking)).resolves.toEqual({ IsComplete: true, Data: data('associated') });
          expectStackStatusRead();
          expectNoMutation();
        });

        test('refuses it when the stack is not rolling back', async () => {
          givenOldAndNew('associated', 'associated');

          await expectError(poll(rollback(), asking), EXISTS(CIDR, 'associated'));
          expectNoMutation();
        });

        test('answers "not complete", with a warning, while DescribeStacks still fails for a passing reason', async () => {
          givenStackStatusFails(ec2Error('Throttling', 'Rate exceeded', 400));
          givenOldAndNew('associated', 'associated');

          await expect(poll(rollback(), asking)).resolves.toEqual({ IsComplete: false });
          expect(logs.records()).toContainEqual(expect.objectContaining({
            level: 'WARN', message: 'a call failed for a passing reason (Throttling: Rate exceeded); polling again',
          }));
        });

        test('fails when DescribeStacks is refused', async () => {
          givenStackStatusFails(ec2Error('AccessDenied', 'not authorized', 403));
          givenOldAndNew('associated', 'associated');

          await expectError(poll(rollback(), asking), 'Prefix: AccessDenied: not authorized');
        });
      });
    });
  });

  describe('rollback after a failed replacement', () => {
    // The replacement from CIDR to OTHER_CIDR failed (or timed out): the framework kept the old physical id,
    // and CloudFormation sends it an Update back to CIDR whose OldResourceProperties name OTHER_CIDR.
    const rollback = (oldProps: Parameters<typeof associationUpdate>[1] = {}) => associationUpdate({}, { Cidr: OTHER_CIDR, ...oldProps });
    const REMOVING = handover({ Goal: 'unchanged', Acted: false, Orphan: NEW_ID });
    const UNCHANGED_ONLY = handover({ Goal: 'unchanged', Acted: false });

    beforeEach(() => givenStackStatus('UPDATE_ROLLBACK_IN_PROGRESS'));

    test('answers the old physical id and hands over the new association, still pending, as an orphan', async () => {
      givenOldAndNew('associated', 'pending-association');

      await expect(onEvent(rollback())).resolves.toEqual(REMOVING);
      expectNoMutation();
      expectStackStatusRead();
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'INFO',
        message: 'the association of ASN 64496 with 2001:db8:1000::/48 is pending-association: the update being rolled back started it; removing it once that has ended',
      }));
    });

    test('waits for the new association, disassociates it once, waits until it is gone, then completes with the old one', async () => {
      const old = byoipCidr([association('associated')]);
      givenCidrsInTurn(
        [old, newCidr('pending-association')], // onEvent
        [old, newCidr('pending-association')], // poll 1
        [old, newCidr('associated')], // poll 2: disassociates
        [old, newCidr('pending-disassociation')], // poll 3
        [old, newCidr('pending-disassociation')], // poll 4
        [old, newCidr('disassociated')], // poll 5, and the read of the old association
      );
      ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation', { Cidr: OTHER_CIDR }) });
      const event = rollback();

      const response = await onEvent(event);
      expect(response).toEqual(REMOVING);
      const answers = [];
      for (let i = 1; i <= 5; i++) {
        clockAt(i * 10_000);
        answers.push(await poll(event, response));
      }

      expect(answers).toEqual([
        { IsComplete: false }, { IsComplete: false }, { IsComplete: false }, { IsComplete: false },
        { IsComplete: true, Data: data('associated') },
      ]);
      expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 1);
      expect(ec2).toHaveReceivedCommandWith(DisassociateIpamByoasnCommand, { Asn: ASN, Cidr: OTHER_CIDR });
      expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 0);
    });

    test.each([
      ['pending-association', 'waits'],
      ['pending-disassociation', 'waits'],
      ['quarantined', 'waits'],
      ['disassociated', 'completes'],
      ['failed-association', 'completes'],
      [undefined, 'completes'],
    ])('isComplete when the orphan is %s: %s, without a call', async (state, outcome) => {
      givenOldAndNew('associated', state);

      await expect(outcomeOf(poll(rollback(), REMOVING))).resolves.toBe(outcome);
      expectNoMutation();
    });

    test('isComplete disassociates the orphan, never the old association, once it is associated', async () => {
      givenOldAndNew('associated', 'associated');
      ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation', { Cidr: OTHER_CIDR }) });

      await expect(poll(rollback(), REMOVING)).resolves.toEqual({ IsComplete: false });
      expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 1);
      expect(ec2).toHaveReceivedCommandWith(DisassociateIpamByoasnCommand, { Asn: ASN, Cidr: OTHER_CIDR });
    });

    test('after a failed change of the ASN, disassociates the new ASN from the same CIDR, never the old one', async () => {
      givenCidrs(byoipCidr([association('associated'), association('pending-association', { Asn: OTHER_ASN })]));
      ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation', { Asn: OTHER_ASN }) });
      const event = rollback({ Asn: OTHER_ASN, Cidr: CIDR });

      const response = await onEvent(event);
      expect(response).toEqual(handover({ Goal: 'unchanged', Acted: false, Orphan: associationPhysicalId(OTHER_ASN, CIDR) }));

      givenCidrs(byoipCidr([association('associated'), association('associated', { Asn: OTHER_ASN })]));
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      givenCidrs(byoipCidr([association('associated'), association('disassociated', { Asn: OTHER_ASN })]));
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: data('associated') });
      expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 1);
      expect(ec2).toHaveReceivedCommandWith(DisassociateIpamByoasnCommand, { Asn: OTHER_ASN, Cidr: CIDR });
    });

    test('isComplete keeps waiting when AWS refuses to disassociate the orphan because an earlier poll already did', async () => {
      givenOldAndNew('associated', 'associated');
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The association is already pending-disassociation.'));

      await expect(poll(rollback(), REMOVING)).resolves.toEqual({ IsComplete: false });
      expect(ec2).toHaveReceivedCommandWith(DisassociateIpamByoasnCommand, { Asn: ASN, Cidr: OTHER_CIDR });
    });

    test('isComplete completes with the old association, with a warning, when the orphan could not be disassociated', async () => {
      givenOldAndNew('associated', 'failed-disassociation', { StatusMessage: 'stuck' });

      await expect(poll(rollback(), REMOVING)).resolves.toEqual({ IsComplete: true, Data: data('associated') });
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'WARN', message: 'left the association of ASN 64496 with 2001:db8:1000::/48 in place: AWS could not remove it: stuck',
      }));
    });

    test('leaves the new association in place, with a warning that names it, when the failed update had adoptExisting true', async () => {
      givenOldAndNew('associated', 'pending-association');
      const event = rollback({ AdoptExisting: 'true' });

      const response = await onEvent(event);

      expect(response).toEqual(UNCHANGED_ONLY);
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'WARN',
        message: 'left the association of ASN 64496 with 2001:db8:1000::/48 (pending-association) in place: the previous properties had adoptExisting true, so it may have been there before; remove it with DisassociateIpamByoasn if a failed update of this stack started it',
      }));
      givenOldAndNew('associated', 'associated');
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: data('associated') });
      expectNoMutation();
    });

    test.each(['associated', 'advertised'])('leaves the new association in place, with a warning that names it, when it is already %s', async (state) => {
      givenOldAndNew('associated', state);
      const event = rollback();

      const response = await onEvent(event);

      expect(response).toEqual(UNCHANGED_ONLY);
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'WARN',
        message: `left the association of ASN 64496 with 2001:db8:1000::/48 (${state}) in place: the update being rolled back may have refused it because it existed already, and this resource cannot tell; remove it with DisassociateIpamByoasn if a failed update of this stack started it`,
      }));
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: data('associated') });
      expectNoMutation();
    });

    test('leaves the new association in place, with a log line that names it, when the stack is not rolling back', async () => {
      givenStackStatus('UPDATE_IN_PROGRESS');
      givenOldAndNew('associated', 'pending-association');

      await expect(onEvent(rollback())).resolves.toEqual(UNCHANGED_ONLY);
      expectNoMutation();
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'WARN',
        message: 'left the association of ASN 64496 with 2001:db8:1000::/48 (pending-association) in place: the stack is UPDATE_IN_PROGRESS, not rolling back, so it is not this resource\'s; remove it with DisassociateIpamByoasn if a failed update of this stack started it',
      }));
    });

    test('asks again from isComplete when the stack\'s status cannot be read for a passing reason, and removes it once the rollback is confirmed', async () => {
      givenStackStatusFails(networkError());
      givenOldAndNew('associated', 'pending-association');
      const event = rollback();

      const response = await onEvent(event);

      expect(response).toEqual({ PhysicalResourceId: ASSOCIATION_ID, Next: { Goal: 'unchanged', Acted: false, At: expect.any(Number), Orphan: '64496|2001:db8:1000::/48', Ask: 'remove-orphan-if-rolling-back' } });
      expectNoMutation();
      givenStackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
      givenOldAndNew('associated', 'associated');
      ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation', { Cidr: '2001:db8:1000::/48' }) });
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      expect(ec2).toHaveReceivedCommandWith(DisassociateIpamByoasnCommand, { Asn: '64496', Cidr: '2001:db8:1000::/48' });
    });

    test('leaves it, with a warning, when isComplete then finds the stack not rolling back', async () => {
      givenStackStatusFails(networkError());
      givenOldAndNew('associated', 'pending-association');
      const event = rollback();
      const response = await onEvent(event);
      givenStackStatus('UPDATE_IN_PROGRESS');
      givenOldAndNew('associated', 'associated');

      await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: data('associated') });

      expectNoMutation();
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'WARN',
        message: 'left the association of ASN 64496 with 2001:db8:1000::/48 in place: the stack is not rolling back, so it is not this resource\'s',
      }));
    });

    test('leaves the new association in place, with a warning that names it, when the stack\'s status cannot be read at all', async () => {
      givenStackStatusFails(Object.assign(new Error('User is not authorized to perform: cloudformation:DescribeStacks'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
      givenOldAndNew('associated', 'pending-association');

      await expect(onEvent(rollback())).resolves.toEqual(UNCHANGED_ONLY);
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'WARN',
        message: "left the association of ASN 64496 with 2001:db8:1000::/48 (pending-association) in place: the stack's status could not be read (AccessDenied: User is not authorized to perform: cloudformation:DescribeStacks); remove it with DisassociateIpamByoasn if a failed update of this stack started it",
      }));
    });

    test.each([
      ['not listed', undefined],
      ['disassociated', 'disassociated'],
      ['failed-association', 'failed-association'],
    ])('has nothing to clean up, and does not ask for the stack\'s status, when the new association is %s', async (_, state) => {
      givenOldAndNew('associated', state);

      await expect(onEvent(rollback())).resolves.toEqual(UNCHANGED_ONLY);
      expectNoStackStatusRead();
      expectNoMutation();
    });

    test('has nothing to clean up when the new CIDR is not a BYOIP CIDR', async () => {
      givenAssociation('associated');

      await expect(onEvent(rollback())).resolves.toEqual(UNCHANGED_ONLY);
      expectNoStackStatusRead();
    });
  });
});

// ===========================================================================================================
// DELETE
// ===========================================================================================================

describe('delete', () => {
  test("ignores a physical id that is not ours (the provider's create-failed marker)", async () => {
    const event = associationDelete(CREATE_FAILED_MARKER);

    const response = await onEvent(event);

    expect(response).toEqual({ PhysicalResourceId: CREATE_FAILED_MARKER });
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true });
    expect(ec2.calls()).toHaveLength(0);
    expectNoStackStatusRead();
  });

  test.each([
    ['the CIDR is gone', [] as ByoipCidr[]],
    ['the CIDR is deprovisioned', [byoipCidr([association('associated')], { State: 'deprovisioned' })]],
    ['the association is absent', [byoipCidr([])]],
    ['the association is disassociated', [byoipCidr([association('disassociated')])]],
    ['the association is failed-association', [byoipCidr([association('failed-association')])]],
  ])('deletes nothing, and completes at once, when %s and the stack is not rolling back', async (_, cidrs) => {
    givenCidrs(...cidrs);
    const event = associationDelete();

    const response = await onEvent(event);

    expect(response).toEqual({ PhysicalResourceId: ASSOCIATION_ID });
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true });
    expectNoMutation();
    expectStackStatusRead();
  });

  test.each(['associated', 'advertised'])('disassociates an association that is %s', async (state) => {
    givenAssociation(state);
    ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

    const response = await onEvent(associationDelete());

    expect(response).toEqual(DISASSOCIATING);
    expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(DisassociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR });
    expectNoStackStatusRead();
  });

  test('deletes by the physical id, not by the properties', async () => {
    givenAssociation('associated');
    ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

    await onEvent(associationDelete(ASSOCIATION_ID, { Asn: OTHER_ASN, Cidr: OTHER_CIDR }));

    expect(ec2).toHaveReceivedCommandWith(DisassociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR });
  });

  test('waits for an association in progress to end, then disassociates it from isComplete', async () => {
    givenAssociation('pending-association');

    await expect(onEvent(associationDelete())).resolves.toEqual(TO_DISASSOCIATE);
    expectNoMutation();
  });

  test('waits for a disassociation in progress, without calling AWS', async () => {
    givenAssociation('pending-disassociation');

    await expect(onEvent(associationDelete())).resolves.toEqual(DISASSOCIATING);
    expectNoMutation();
  });

  test("fails on failed-disassociation with AWS's status message", async () => {
    givenAssociation('failed-disassociation', { StatusMessage: 'The CIDR is advertised with the ASN.' });

    await expectError(onEvent(associationDelete()),
      'Prefix: AWS could not disassociate ASN 64496 from CIDR 203.0.113.0/24 (state failed-disassociation); resolve the problem and disassociate it (DisassociateIpamByoasn), then delete again. AWS\'s status message: The CIDR is advertised with the ASN.');
    expectNoMutation();
  });

  test('waits, with a warning, on an unknown state', async () => {
    givenAssociation('quarantined');

    await expect(onEvent(associationDelete())).resolves.toEqual(TO_DISASSOCIATE);
    expectNoMutation();
    expect(logs.records()).toContainEqual(expect.objectContaining({
      level: 'WARN', message: "the association of ASN 64496 with 203.0.113.0/24 is in unknown state 'quarantined'; waiting for a known one",
    }));
  });

  test('leaves the disassociation to isComplete when too little time is left for DisassociateIpamByoasn and its retries', async () => {
    givenAssociation('associated');

    await expect(onEvent(associationDelete(), { getRemainingTimeInMillis: () => 120_000 })).resolves.toEqual(TO_DISASSOCIATE);
    expectNoMutation();
  });

  test('reads every page of DescribeByoipCidrs (the association is on page 2)', async () => {
    const pages: Record<string, { ByoipCidrs: ByoipCidr[]; NextToken?: string }> = {
      '': { ByoipCidrs: [byoipCidr([association('associated')], { Cidr: '198.51.100.0/24' })], NextToken: 'page-2' },
      'page-2': { ByoipCidrs: [byoipCidr([association('associated')])], NextToken: '' },
    };
    ec2.on(DescribeByoipCidrsCommand).callsFake((input: { NextToken?: string }) => pages[input.NextToken ?? '']);
    ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

    await expect(onEvent(associationDelete())).resolves.toEqual(DISASSOCIATING);
    expect(ec2).toHaveReceivedCommandTimes(DescribeByoipCidrsCommand, 2);
    expect(ec2).toHaveReceivedCommandWith(DisassociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR });
  });

  describe('when AWS refuses to disassociate', () => {
    const ADVERTISED = (cidrState: string, associationState: string, said: string) =>
      `Prefix: AWS refused to disassociate ASN 64496 from CIDR 203.0.113.0/24, which is advertised (CIDR state ${cidrState}, association state ${associationState}). AWS does not disassociate the ASN a CIDR is advertised with, so the advertisement may be what blocks it: withdraw the CIDR (WithdrawByoipCidr), or switch its origin to Amazon's ASN (AdvertiseByoipCidr with Asn AWS), then delete again. AWS said: ${said}`;

    test.each([
      ['IncorrectState', 400, 'advertised'],
      ['InvalidParameterValue', 400, 'pending-advertising'],
      ['InvalidParameter', 400, 'advertised'],
      ['InvalidCidr.Advertised', 409, 'advertised'],
    ])('says the advertisement may block it, and what to do, when the CIDR is advertised (%s)', async (code, status, cidrState) => {
      givenCidrs(byoipCidr([association('associated')], { State: cidrState as ByoipCidr['State'] }));
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error(code, 'The CIDR is advertised.', status));

      await expectError(onEvent(associationDelete()), ADVERTISED(cidrState, 'associated', `${code}: The CIDR is advertised.`));
    });

    test('says the same when the association itself is advertised', async () => {
      givenAssociation('advertised');
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The CIDR is advertised.'));

      await expectError(onEvent(associationDelete()), ADVERTISED('provisioned', 'advertised', 'IncorrectState: The CIDR is advertised.'));
    });

    test('still says the advertisement may block it when the refusal came after an ambiguous attempt', async () => {
      givenCidrs(byoipCidr([association('associated')], { State: 'advertised' }));
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The CIDR is advertised.', 400, 2, ['ambiguous']));

      await expectError(onEvent(associationDelete()), ADVERTISED('advertised', 'associated', 'IncorrectState: The CIDR is advertised.'));
    });

    test.each([
      ['disassociated', [byoipCidr([association('disassociated')])]],
      ['pending-disassociation', [byoipCidr([association('pending-disassociation')])]],
      ['failed-association', [byoipCidr([association('failed-association')])]],
      ['no longer listed with the CIDR', [byoipCidr([])]],
      ['gone with its CIDR', []],
    ])('takes the disassociation as done or under way when the association is %s on re-reading', async (_, after) => {
      givenCidrsInTurn([byoipCidr([association('associated')])], after);
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The association is not associated.'));

      await expect(onEvent(associationDelete())).resolves.toEqual(DISASSOCIATING);
    });

    test("fails with AWS's own message when the CIDR is not advertised and the association is still there", async () => {
      givenAssociation('associated');
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'Something else.'));

      await expectError(onEvent(associationDelete()), DISASSOCIATE_FAILED('IncorrectState: Something else.'));
    });

    test("fails with AWS's own message after a throttled attempt: that attempt was not applied", async () => {
      givenAssociation('associated');
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'Something else.', 400, 2, ['throttled']));

      await expectError(onEvent(associationDelete()), DISASSOCIATE_FAILED('IncorrectState: Something else.'));
    });

    test("fails with AWS's own message on a permanent refusal, even when the CIDR is advertised", async () => {
      givenCidrs(byoipCidr([association('associated')], { State: 'advertised' }));
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('UnauthorizedOperation', 'not allowed', 403, 2, ['ambiguous']));

      await expectError(onEvent(associationDelete()), DISASSOCIATE_FAILED('UnauthorizedOperation: not allowed'));
    });

    test('hands over the refusal when an earlier attempt was ambiguous and the association is still there', async () => {
      givenAssociation('associated');
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'Already pending-disassociation.', 400, 2, ['ambiguous']));

      await expect(onEvent(associationDelete())).resolves.toEqual(handover({
        Goal: 'deleted', Acted: true, Refused: DISASSOCIATE_FAILED('IncorrectState: Already pending-disassociation.'),
      }));
    });

    test.each([
      ['a server error', ec2Error('InternalError', 'Oops.', 500, 10), 'InternalError: Oops.'],
      ['a dropped connection', networkError(), 'socket hang up (ECONNRESET)'],
    ])('hands over, instead of failing, when the last attempt ended in %s: AWS may have applied it', async (_, error, text) => {
      givenAssociation('associated');
      ec2.on(DisassociateIpamByoasnCommand).rejects(error);

      await expect(onEvent(associationDelete())).resolves.toEqual(handover({ Goal: 'deleted', Acted: true, Refused: DISASSOCIATE_FAILED(text) }));
    });

    test('leaves the call to isComplete when the last attempt was throttled too', async () => {
      givenAssociation('associated');
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503, 10, Array(9).fill('throttled')));

      await expect(onEvent(associationDelete())).resolves.toEqual(TO_DISASSOCIATE);
    });
  });

  describe('while the stack rolls back', () => {
    const CONFIRMING = handover({ Goal: 'deleted', Acted: false, ConfirmAbsence: true });

    test.each(['ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'])(
      'hands over a re-read for the consistency window when nothing is found and the stack is %s', async (status) => {
        givenStackStatus(status);
        givenAssociation(undefined);

        await expect(onEvent(associationDelete())).resolves.toEqual(CONFIRMING);
        expectStackStatusRead();
        expectNoMutation();
        expect(logs.records()).toContainEqual(expect.objectContaining({
          level: 'INFO',
          message: `the association of ASN 64496 with 203.0.113.0/24 is not listed, and the stack is ${status}: re-reading for 120 s in case it was created seconds ago`,
        }));
      });

    test.each([
      ['the association is disassociated', [byoipCidr([association('disassociated')])]],
      ['the CIDR is not listed', [] as ByoipCidr[]],
    ])('hands over a re-read also when %s', async (_, cidrs) => {
      givenStackStatus('ROLLBACK_IN_PROGRESS');
      givenCidrs(...cidrs);

      await expect(onEvent(associationDelete())).resolves.toEqual(CONFIRMING);
    });

    test.each(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'DELETE_IN_PROGRESS'])('completes at once when the stack is %s', async (status) => {
      givenStackStatus(status);
      givenAssociation(undefined);

      await expect(onEvent(associationDelete())).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID });
    });

    test('re-reads until the window has passed, then completes', async () => {
      givenAssociation(undefined);
      const event = associationDelete();

      clockAt(CONSISTENCY_WINDOW_MS - 1);
      await expect(poll(event, CONFIRMING)).resolves.toEqual({ IsComplete: false });
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'INFO', message: 'the association of ASN 64496 with 203.0.113.0/24 is still not listed; re-reading until 120 s have passed',
      }));
      clockAt(CONSISTENCY_WINDOW_MS);
      await expect(poll(event, CONFIRMING)).resolves.toEqual({ IsComplete: true });
      expectNoMutation();
    });

    test('disassociates the association when it shows up associated, and waits until it is gone', async () => {
      givenCidrsInTurn(
        [byoipCidr([])],
        [byoipCidr([association('associated')])],
        [byoipCidr([association('pending-disassociation')])],
        [byoipCidr([association('disassociated')])],
      );
      ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });
      const event = associationDelete();

      const answers = [];
      for (const elapsed of [10_000, 20_000, 30_000, CONSISTENCY_WINDOW_MS - 1, CONSISTENCY_WINDOW_MS]) {
        clockAt(elapsed);
        answers.push(await poll(event, CONFIRMING));
      }

      expect(answers).toEqual([{ IsComplete: false }, { IsComplete: false }, { IsComplete: false }, { IsComplete: false }, { IsComplete: true }]);
      expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 1);
      expect(ec2).toHaveReceivedCommandWith(DisassociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR });
    });

    test('waits for an association that shows up pending, without calling AWS', async () => {
      givenAssociation('pending-association');
      clockAt(CONSISTENCY_WINDOW_MS + 1);

      await expect(poll(associationDelete(), CONFIRMING)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
    });

    test('hands the question to isComplete when DescribeStacks fails for a passing reason', async () => {
      givenStackStatusFails(ec2Error('Throttling', 'Rate exceeded', 400));
      givenAssociation(undefined);

      await expect(onEvent(associationDelete())).resolves.toEqual(handover({ Goal: 'deleted', Acted: false, Ask: 'confirm-if-rolling-back' }));
    });

    test('takes the association as absent, with a warning, when DescribeStacks is refused', async () => {
      givenStackStatusFails(ec2Error('AccessDenied', 'not authorized', 403));
      givenAssociation(undefined);

      await expect(onEvent(associationDelete())).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID });
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'WARN', message: "could not read the stack's status (AccessDenied: not authorized); taking the association of ASN 64496 with 203.0.113.0/24 as absent",
      }));
    });

    describe('isComplete, asking again', () => {
      const asking = handover({ Goal: 'deleted', Acted: false, Ask: 'confirm-if-rolling-back' });

      test('re-reads for the window when the stack is rolling back', async () => {
        givenStackStatus('ROLLBACK_IN_PROGRESS');
        givenAssociation(undefined);

        clockAt(60_000);
        await expect(poll(associationDelete(), asking)).resolves.toEqual({ IsComplete: false });
        clockAt(CONSISTENCY_WINDOW_MS);
        await expect(poll(associationDelete(), asking)).resolves.toEqual({ IsComplete: true });
        expectStackStatusRead();
      });

      test('completes at once when the stack is not rolling back', async () => {
        givenAssociation(undefined);

        await expect(poll(associationDelete(), asking)).resolves.toEqual({ IsComplete: true });
      });

      test('answers "not complete" while DescribeStacks still fails for a passing reason', async () => {
        givenStackStatusFails(networkError());
        givenAssociation(undefined);

        await expect(poll(associationDelete(), asking)).resolves.toEqual({ IsComplete: false });
      });
    });
  });
});

describe('isComplete after delete', () => {
  test.each([
    ['disassociated', [byoipCidr([association('disassociated')])]],
    ['failed-association', [byoipCidr([association('failed-association')])]],
    ['absent', [byoipCidr([])]],
    ['gone with its CIDR', []],
  ])('completes once the association is %s', async (_, cidrs) => {
    givenCidrs(...cidrs);

    await expect(poll(associationDelete(), DISASSOCIATING)).resolves.toEqual({ IsComplete: true });
  });

  test.each(['pending-disassociation', 'pending-association'])('keeps waiting while the association is %s', async (state) => {
    givenAssociation(state);

    await expect(poll(associationDelete(), DISASSOCIATING)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test('keeps waiting, without disassociating twice, while our request is not visible yet', async () => {
    givenAssociation('associated');

    await expect(poll(associationDelete(), DISASSOCIATING)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test("fails with AWS's status message on failed-disassociation", async () => {
    givenAssociation('failed-disassociation', { StatusMessage: 'The CIDR is advertised with the ASN.' });

    await expectError(poll(associationDelete(), DISASSOCIATING),
      "Prefix: AWS could not disassociate ASN 64496 from CIDR 203.0.113.0/24 (state failed-disassociation); resolve the problem and disassociate it (DisassociateIpamByoasn), then delete again. AWS's status message: The CIDR is advertised with the ASN.");
  });

  test('keeps waiting, with a warning, on an unknown state', async () => {
    givenAssociation('quarantined');

    await expect(poll(associationDelete(), DISASSOCIATING)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
    expect(logs.records()).toContainEqual(expect.objectContaining({ level: 'WARN' }));
  });

  test.each([
    ['throttled', ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503, 10)],
    ['a server error', ec2Error('InternalError', 'Oops.', 500, 10)],
    ['a dropped connection', networkError('EPIPE')],
    ['a timeout', timeoutError()],
  ])('answers "not complete" when the read is %s', async (_, error) => {
    ec2.on(DescribeByoipCidrsCommand).rejects(error);

    await expect(poll(associationDelete(), DISASSOCIATING)).resolves.toEqual({ IsComplete: false });
    expect(logs.records()).toContainEqual(expect.objectContaining({ level: 'WARN', message: expect.stringMatching(/^a call failed for a passing reason/) }));
  });

  test('fails at once when the read is refused for lack of permission', async () => {
    ec2.on(DescribeByoipCidrsCommand).rejects(ec2Error('UnauthorizedOperation', 'not allowed', 403));

    await expectError(poll(associationDelete(), DISASSOCIATING), 'Prefix: UnauthorizedOperation: not allowed');
  });

  describe('after waiting for an association to end', () => {
    test.each(['associated', 'advertised'])('disassociates once the association is %s', async (state) => {
      givenAssociation(state);
      ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

      await expect(poll(associationDelete(), TO_DISASSOCIATE)).resolves.toEqual({ IsComplete: false });
      expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 1);
      expect(ec2).toHaveReceivedCommandWith(DisassociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR });
    });

    test('keeps waiting, with a warning, when AWS refuses the disassociation because an earlier poll already made it', async () => {
      givenAssociation('associated');
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The association is already pending-disassociation.'));

      await expect(poll(associationDelete(), TO_DISASSOCIATE)).resolves.toEqual({ IsComplete: false });
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'WARN',
        message: 'DisassociateIpamByoasn was refused (IncorrectState: The association is already pending-disassociation.): most likely the request of an earlier poll, not visible yet; waiting for it',
      }));
    });

    test('fails, saying the advertisement may block it, when the CIDR is advertised', async () => {
      givenCidrs(byoipCidr([association('associated')], { State: 'advertised' }));
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The CIDR is advertised.'));

      await expectError(poll(associationDelete(), TO_DISASSOCIATE),
        "Prefix: AWS refused to disassociate ASN 64496 from CIDR 203.0.113.0/24, which is advertised (CIDR state advertised, association state associated). AWS does not disassociate the ASN a CIDR is advertised with, so the advertisement may be what blocks it: withdraw the CIDR (WithdrawByoipCidr), or switch its origin to Amazon's ASN (AdvertiseByoipCidr with Asn AWS), then delete again. AWS said: IncorrectState: The CIDR is advertised.");
    });

    test.each([
      ['UnauthorizedOperation', 'not allowed', 403],
      ['InvalidParameterValue', 'Bad CIDR.', 400],
    ])("fails at once with AWS's message when the disassociation is refused with %s", async (code, message, status) => {
      givenAssociation('associated');
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error(code, message, status));

      await expectError(poll(associationDelete(), TO_DISASSOCIATE), DISASSOCIATE_FAILED(`${code}: ${message}`));
    });

    test('answers "not complete" when the disassociation fails for a passing reason', async () => {
      givenAssociation('associated');
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('InternalError', 'Oops.', 500, 10));

      await expect(poll(associationDelete(), TO_DISASSOCIATE)).resolves.toEqual({ IsComplete: false });
    });
  });

  describe('after a refusal that may have been about our own request', () => {
    const REFUSAL = DISASSOCIATE_FAILED('IncorrectState: Already pending-disassociation.');
    const refused = handover({ Goal: 'deleted', Acted: true, Refused: REFUSAL });

    test('keeps waiting while the association is still associated, up to the end of the consistency window', async () => {
      givenAssociation('associated');
      clockAt(CONSISTENCY_WINDOW_MS - 1);

      await expect(poll(associationDelete(), refused)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
    });

    test("fails with AWS's saved message once the window has passed", async () => {
      givenAssociation('associated');
      clockAt(CONSISTENCY_WINDOW_MS);

      await expectError(poll(associationDelete(), refused), REFUSAL + NOT_VISIBLE);
    });

    test('completes once our disassociation shows, also after the window', async () => {
      clockAt(CONSISTENCY_WINDOW_MS + 1);
      givenAssociation('pending-disassociation');
      await expect(poll(associationDelete(), refused)).resolves.toEqual({ IsComplete: false });
      givenAssociation('disassociated');
      await expect(poll(associationDelete(), refused)).resolves.toEqual({ IsComplete: true });
    });
  });
});

// ===========================================================================================================
// One row per association state
// ===========================================================================================================

describe('every association state', () => {
  test.each([
    // state, what onEvent hands over ('refuses' when it throws), AssociateIpamByoasn calls
    [undefined, { Goal: 'created', Acted: true }, 1],
    ['pending-association', { Goal: 'created', Acted: true }, 0],
    ['associated', 'refuses', 0],
    ['advertised', 'refuses', 0],
    ['failed-association', { Goal: 'created', Acted: true, Superseded: { State: 'failed-association', StatusMessage: '' } }, 1],
    ['pending-disassociation', { Goal: 'created', Acted: false }, 0],
    ['disassociated', { Goal: 'created', Acted: true }, 1],
    ['failed-disassociation', 'refuses', 0],
    ['quarantined', 'refuses', 0],
  ])('create when the association is %s: onEvent hands over %j, associating %i time(s)', async (state, outcome, associations) => {
    givenAssociation(state);
    ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

    const response = await onEvent(associationCreate()).catch(() => 'refuses');

    expect(response).toEqual(outcome === 'refuses' ? outcome : handover(outcome as Omit<Handover, 'At'>));
    expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, associations);
    expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 0);
  });

  test.each([
    // state, after onEvent associated, after onEvent waited (it associates on absent and disassociated)
    [undefined, 'waits', 'waits'],
    ['pending-association', 'waits', 'waits'],
    ['associated', 'completes', 'completes'],
    ['advertised', 'completes', 'completes'],
    ['failed-association', 'fails', 'fails'],
    ['pending-disassociation', 'waits', 'waits'],
    ['disassociated', 'waits', 'waits'],
    ['failed-disassociation', 'fails', 'fails'],
    ['quarantined', 'waits', 'waits'],
  ])('isComplete after create when the association is %s: %s (%s when onEvent only waited)', async (state, afterActing, afterWaiting) => {
    givenAssociation(state);
    ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

    await expect(outcomeOf(poll(associationCreate(), ASSOCIATING))).resolves.toBe(afterActing);
    expectNoMutation();
    await expect(outcomeOf(poll(associationCreate(), TO_ASSOCIATE))).resolves.toBe(afterWaiting);
    expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, state === undefined || state === 'disassociated' ? 1 : 0);
  });

  test.each([
    // state, what onEvent answers ('none' when nothing is handed over), DisassociateIpamByoasn calls
    [undefined, 'none', 0],
    ['pending-association', { Goal: 'deleted', Acted: false }, 0],
    ['associated', { Goal: 'deleted', Acted: true }, 1],
    ['advertised', { Goal: 'deleted', Acted: true }, 1],
    ['failed-association', 'none', 0],
    ['pending-disassociation', { Goal: 'deleted', Acted: true }, 0],
    ['disassociated', 'none', 0],
    ['failed-disassociation', 'fails', 0],
    ['quarantined', { Goal: 'deleted', Acted: false }, 0],
  ])('delete when the association is %s: onEvent hands over %j, disassociating %i time(s)', async (state, outcome, disassociations) => {
    givenAssociation(state);
    ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

    const response = await onEvent(associationDelete()).catch(() => 'fails');

    const expected = outcome === 'none' ? { PhysicalResourceId: ASSOCIATION_ID } : outcome === 'fails' ? outcome : handover(outcome as Omit<Handover, 'At'>);
    expect(response).toEqual(expected);
    expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, disassociations);
    expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 0);
  });

  test.each([
    // state, after onEvent disassociated, after onEvent waited (it disassociates on associated and advertised)
    [undefined, 'completes', 'completes'],
    ['pending-association', 'waits', 'waits'],
    ['associated', 'waits', 'waits'],
    ['advertised', 'waits', 'waits'],
    ['failed-association', 'completes', 'completes'],
    ['pending-disassociation', 'waits', 'waits'],
    ['disassociated', 'completes', 'completes'],
    ['failed-disassociation', 'fails', 'fails'],
    ['quarantined', 'waits', 'waits'],
  ])('isComplete after delete when the association is %s: %s (%s when onEvent only waited)', async (state, afterActing, afterWaiting) => {
    givenAssociation(state);
    ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

    await expect(outcomeOf(poll(associationDelete(), DISASSOCIATING))).resolves.toBe(afterActing);
    expectNoMutation();
    await expect(outcomeOf(poll(associationDelete(), TO_DISASSOCIATE))).resolves.toBe(afterWaiting);
    expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, state === 'associated' || state === 'advertised' ? 1 : 0);
  });

  test.each([undefined, 'pending-association', 'associated', 'advertised', 'failed-association', 'pending-disassociation', 'disassociated', 'failed-disassociation', 'quarantined'])(
    'isComplete after an in-place update when the association is %s: reports it as it is', async (state) => {
      givenAssociation(state);

      await expect(poll(associationUpdate({ AdoptExisting: 'true' }), handover({ Goal: 'unchanged', Acted: false }))).resolves.toEqual({ IsComplete: true, Data: data(state ?? '') });
      expectNoMutation();
    });
});

// ===========================================================================================================
// Lingering records beside the live one
// ===========================================================================================================

describe('lingering records beside the live one', () => {
  // AWS lists disassociated and failed-association records for days, in no documented order.
  const MATCHED = (count: number, states: string[]) => expect.objectContaining({
    level: 'INFO', message: `${count} records match the association of ASN 64496 with 203.0.113.0/24; the live one wins`, states,
  });

  describe('create', () => {
    test.each([
      ['disassociated', 'associated'],
      ['failed-association', 'associated'],
      ['disassociated', 'advertised'],
    ])('refuses the live association when a %s record is listed before an %s one', async (lingering, live) => {
      givenAssociations(lingering, live);

      await expectError(onEvent(associationCreate()), EXISTS(CIDR, live));
      expectNoMutation();
      expect(logs.records()).toContainEqual(MATCHED(2, [lingering, live]));
    });

    test('adopts the live association when adoptExisting is true', async () => {
      givenAssociations('disassociated', 'failed-association', 'associated');

      await expect(onEvent(associationCreate({ AdoptExisting: 'true' }))).resolves.toEqual(ASSOCIATING);
      expectNoMutation();
      expect(logs.records()).toContainEqual(MATCHED(3, ['disassociated', 'failed-association', 'associated']));
    });

    test('waits for the live association in progress instead of associating again', async () => {
      givenAssociations('failed-association', 'pending-association');

      await expect(onEvent(associationCreate())).resolves.toEqual(ASSOCIATING);
      expectNoMutation();
    });

    test('refuses a live failed-disassociation listed after a disassociated record', async () => {
      givenAssociations('disassociated', 'failed-disassociation');

      await expectError(onEvent(associationCreate()), expect.stringContaining('is in state failed-disassociation; resolve the problem'));
      expectNoMutation();
    });

    test('waits for a live disassociation listed after a failed-association record', async () => {
      givenAssociations('failed-association', 'pending-disassociation');

      await expect(onEvent(associationCreate())).resolves.toEqual(TO_ASSOCIATE);
      expectNoMutation();
    });
  });

  describe('delete', () => {
    test.each([
      ['disassociated', 'associated'],
      ['failed-association', 'advertised'],
    ])('disassociates the live association when a %s record is listed before an %s one', async (lingering, live) => {
      givenAssociations(lingering, live);
      ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

      await expect(onEvent(associationDelete())).resolves.toEqual(DISASSOCIATING);
      expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 1);
      expect(logs.records()).toContainEqual(MATCHED(2, [lingering, live]));
    });

    test('waits for the live association in progress', async () => {
      givenAssociations('disassociated', 'pending-association');

      await expect(onEvent(associationDelete())).resolves.toEqual(TO_DISASSOCIATE);
      expectNoMutation();
    });

    test('fails on a live failed-disassociation', async () => {
      givenAssociations('disassociated', 'failed-disassociation');

      await expectError(onEvent(associationDelete()), expect.stringContaining('(state failed-disassociation); resolve the problem'));
    });
  });

  describe('isComplete', () => {
    test('after create: completes with the live association', async () => {
      givenAssociations('failed-association', 'associated');

      await expect(poll(associationCreate(), ASSOCIATING)).resolves.toEqual({ IsComplete: true, Data: data('associated') });
    });

    test('after create: waits for the live association in progress', async () => {
      givenAssociations('failed-association', 'pending-association');

      await expect(poll(associationCreate(), ASSOCIATING)).resolves.toEqual({ IsComplete: false });
    });

    test('after delete: waits for the live disassociation in progress', async () => {
      givenAssociations('disassociated', 'pending-disassociation');

      await expect(poll(associationDelete(), DISASSOCIATING)).resolves.toEqual({ IsComplete: false });
    });

    test('after delete: fails on a live failed-disassociation', async () => {
      givenAssociations('disassociated', 'failed-disassociation');

      await expectError(poll(associationDelete(), DISASSOCIATING), expect.stringContaining('(state failed-disassociation); resolve the problem'));
    });

    test('after an in-place update: reports the live association', async () => {
      givenAssociations('disassociated', 'associated');

      await expect(poll(associationUpdate({ AdoptExisting: 'true' }), handover({ Goal: 'unchanged', Acted: false }))).resolves.toEqual({ IsComplete: true, Data: data('associated') });
    });
  });

  describe('two BYOIP CIDR records of one CIDR', () => {
    test.each(['deprovisioned', 'failed-provision'])('refuses the association of the provisioned record when a %s record is listed first', async (gone) => {
      givenCidrs(byoipCidr([], { State: gone as ByoipCidr['State'] }), byoipCidr([association('associated')]));

      await expectError(onEvent(associationCreate()), EXISTS(CIDR, 'associated'));
      expectNoMutation();
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'INFO', message: '2 BYOIP CIDR records match 203.0.113.0/24; the live one wins', states: [gone, 'provisioned'],
      }));
    });

    test('disassociates the association of the live record', async () => {
      givenCidrs(byoipCidr([], { State: 'failed-provision' }), byoipCidr([association('associated')], { State: 'advertised' }), byoipCidr([], { State: 'deprovisioned' }));
      ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

      await expect(onEvent(associationDelete())).resolves.toEqual(DISASSOCIATING);
      expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 1);
    });

    test('completes with the association of the live record', async () => {
      givenCidrs(byoipCidr([association('failed-association')], { State: 'failed-provision' }), byoipCidr([association('associated')]));

      await expect(poll(associationCreate(), ASSOCIATING)).resolves.toEqual({ IsComplete: true, Data: data('associated') });
    });
  });
});

// ===========================================================================================================
// A failed-association record that lingers from an earlier attempt
// ===========================================================================================================

describe('a failed-association record that lingers from an earlier attempt', () => {
  // AWS keeps listing a failed association. After our AssociateIpamByoasn, the eventually consistent
  // DescribeByoipCidrs may still show the old one for a while: that must not fail a deployment that succeeds.
  const OLD_MESSAGE = 'The ASN is not provisioned in an IPAM.';
  const lingering = association('failed-association', { StatusMessage: OLD_MESSAGE });
  const superseding = handover({ Goal: 'created', Acted: true, Superseded: { State: 'failed-association', StatusMessage: OLD_MESSAGE } });

  describe('onEvent', () => {
    test('hands over the association it associated over as Superseded, inside Next, with no Data', async () => {
      givenCidrs(byoipCidr([lingering]));
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

      const response = await onEvent(associationCreate());

      expect(response).toEqual(superseding);
      expect(response).not.toHaveProperty('Superseded');
      expect(response).not.toHaveProperty('Data');
      expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 1);
      expect(ec2).toHaveReceivedCommandWith(AssociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR });
    });

    test.each([
      ['absent', undefined],
      ['disassociated', 'disassociated'],
    ])('hands over no Superseded when the association was %s', async (_, state) => {
      givenAssociation(state, { StatusMessage: 'old record' });
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

      await expect(onEvent(associationCreate())).resolves.toEqual(ASSOCIATING);
    });

    test('hands over no Superseded when only another ASN failed to associate with the CIDR', async () => {
      givenCidrs(byoipCidr([association('failed-association', { Asn: OTHER_ASN, StatusMessage: OLD_MESSAGE })]));
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

      await expect(onEvent(associationCreate())).resolves.toEqual(ASSOCIATING);
    });

    test('hands over Superseded beside the refusal when an ambiguous attempt was refused', async () => {
      givenCidrs(byoipCidr([lingering]));
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is already associated with the CIDR.', 400, 2, ['ambiguous']));

      await expect(onEvent(associationCreate())).resolves.toEqual(handover({
        Goal: 'created',
        Acted: true,
        Superseded: { State: 'failed-association', StatusMessage: OLD_MESSAGE },
        Refused: ASSOCIATE_FAILED('IncorrectState: The ASN is already associated with the CIDR.'),
      }));
    });

    test('caps the status message of Superseded', async () => {
      givenAssociation('failed-association', { StatusMessage: '€'.repeat(50000) });
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

      const response = await onEvent(associationCreate());

      expect(Buffer.byteLength(response.Next?.Superseded?.StatusMessage ?? '')).toBeLessThanOrEqual(MAX_AWS_TEXT_BYTES);
      expect(response.Next?.Superseded?.StatusMessage).toMatch(/^€+…$/);
    });

    test('hands over Superseded when a replacement associates over the failed association of the new CIDR', async () => {
      givenOldAndNew('associated', 'failed-association', { StatusMessage: OLD_MESSAGE });
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association', { Cidr: OTHER_CIDR }) });

      await expect(onEvent(associationUpdate({ Cidr: OTHER_CIDR }, {}))).resolves.toEqual(
        handover({ Goal: 'created', Acted: true, Superseded: { State: 'failed-association', StatusMessage: OLD_MESSAGE } }, NEW_ID));
    });
  });

  describe('isComplete after create', () => {
    test('keeps waiting, without failing, while it reads the old association within the window', async () => {
      clockAt(30_000);
      givenCidrs(byoipCidr([lingering]));

      await expect(poll(associationCreate(), superseding)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'INFO',
        message: 'the association of ASN 64496 with 203.0.113.0/24 is failed-association with the status message of the record from before our AssociateIpamByoasn call 30 s ago: it looks like that old record (the Describe calls are eventually consistent); waiting for the new one',
      }));
    });

    test('still waits a millisecond before the window ends', async () => {
      clockAt(CONSISTENCY_WINDOW_MS - 1);
      givenCidrs(byoipCidr([lingering]));

      await expect(poll(associationCreate(), superseding)).resolves.toEqual({ IsComplete: false });
    });

    test("fails with AWS's status message on the same association once the window has passed", async () => {
      clockAt(CONSISTENCY_WINDOW_MS);
      givenCidrs(byoipCidr([lingering]));

      await expectError(poll(associationCreate(), superseding), `Prefix: AWS could not associate ASN 64496 with CIDR 203.0.113.0/24: ${OLD_MESSAGE}`);
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'INFO',
        message: 'the association of ASN 64496 with 203.0.113.0/24 is failed-association with the status message of the record from before our AssociateIpamByoasn call, but 120 s have passed: taking it as a new failure',
      }));
    });

    test('fails at once on a failed-association with a different status message', async () => {
      clockAt(1_000);
      givenAssociation('failed-association', { StatusMessage: 'The CIDR is not provisioned.' });

      await expectError(poll(associationCreate(), superseding), 'Prefix: AWS could not associate ASN 64496 with CIDR 203.0.113.0/24: The CIDR is not provisioned.');
    });

    test('fails at once without Superseded (onEvent associated over no failed association)', async () => {
      clockAt(1_000);
      givenCidrs(byoipCidr([lingering]));

      await expectError(poll(associationCreate(), ASSOCIATING), `Prefix: AWS could not associate ASN 64496 with CIDR 203.0.113.0/24: ${OLD_MESSAGE}`);
    });

    test('fails at once on failed-disassociation, whatever its status message', async () => {
      clockAt(1_000);
      givenAssociation('failed-disassociation', { StatusMessage: OLD_MESSAGE });

      await expectError(poll(associationCreate(), superseding),
        `Prefix: the association of ASN 64496 with CIDR 203.0.113.0/24 is in state failed-disassociation; resolve the problem and disassociate it (DisassociateIpamByoasn) before associating it again. AWS's status message: ${OLD_MESSAGE}`);
    });

    test('recognises the old association by its capped status message', async () => {
      givenAssociation('failed-association', { StatusMessage: '€'.repeat(50000) });
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });
      const event = associationCreate();
      const response = await onEvent(event);
      clockAt(10_000);

      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
    });

    test('completes, with no Superseded in Data, once the stale reads give way to the new association', async () => {
      givenCidrsInTurn([byoipCidr([lingering])], [byoipCidr([lingering])], [byoipCidr([association('pending-association')])], [byoipCidr([association('associated')])]);
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });
      const event = associationCreate();
      const response = await onEvent(event);

      clockAt(10_000);
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      clockAt(20_000);
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      clockAt(30_000);
      const done = await poll(event, response);

      expect(done).toEqual({ IsComplete: true, Data: data('associated') });
      const body = cloudFormationSuccessBody(event, ASSOCIATION_ID, { ...response.Data, ...done.Data });
      expect(body).not.toContain('Superseded');
      expect(body).not.toContain('Next');
      expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 1);
    });
  });

  describe('isComplete after a replacement', () => {
    const replacing = handover({ Goal: 'created', Acted: true, Superseded: { State: 'failed-association', StatusMessage: OLD_MESSAGE } }, NEW_ID);
    const givenNewFailed = (StatusMessage: string) => givenOldAndNew('associated', 'failed-association', { StatusMessage });

    test('keeps waiting while it reads the old association of the new CIDR within the window', async () => {
      clockAt(30_000);
      givenNewFailed(OLD_MESSAGE);

      await expect(poll(associationUpdate({ Cidr: OTHER_CIDR }, {}), replacing)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
    });

    test("fails with AWS's status message on the same association once the window has passed", async () => {
      clockAt(CONSISTENCY_WINDOW_MS + 10_000);
      givenNewFailed(OLD_MESSAGE);

      await expectError(poll(associationUpdate({ Cidr: OTHER_CIDR }, {}), replacing), `Prefix: AWS could not associate ASN 64496 with CIDR ${OTHER_CIDR}: ${OLD_MESSAGE}`);
    });

    test('fails at once on a failed-association with a different status message', async () => {
      clockAt(1_000);
      givenNewFailed('The CIDR is not provisioned.');

      await expectError(poll(associationUpdate({ Cidr: OTHER_CIDR }, {}), replacing), `Prefix: AWS could not associate ASN 64496 with CIDR ${OTHER_CIDR}: The CIDR is not provisioned.`);
    });

    test('fails at once without Superseded', async () => {
      clockAt(1_000);
      givenNewFailed(OLD_MESSAGE);

      await expectError(poll(associationUpdate({ Cidr: OTHER_CIDR }, {}), handover({ Goal: 'created', Acted: true }, NEW_ID)),
        `Prefix: AWS could not associate ASN 64496 with CIDR ${OTHER_CIDR}: ${OLD_MESSAGE}`);
    });
  });
});

// ===========================================================================================================
// An operation in flight across an upgrade: isComplete events without Next
// ===========================================================================================================

describe('an isComplete event from the previous version (Data.State, no Next)', () => {
  const previous = (State: string): OnEventResponse => ({ PhysicalResourceId: ASSOCIATION_ID, Data: data(State) });

  test('after create: waits as for an association that has been requested, without associating again', async () => {
    givenAssociation(undefined);

    await expect(poll(associationCreate(), previous('pending-association'))).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test('after create: completes with the attributes once associated', async () => {
    givenAssociation('associated');

    await expect(poll(associationCreate(), previous('pending-association'))).resolves.toEqual({ IsComplete: true, Data: data('associated') });
  });

  test("after create: fails with AWS's status message on failed-association", async () => {
    givenAssociation('failed-association', { StatusMessage: 'No.' });

    await expectError(poll(associationCreate(), previous('pending-association')), 'Prefix: AWS could not associate ASN 64496 with CIDR 203.0.113.0/24: No.');
  });

  test('after an in-place update (no Data): completes with the association as it is', async () => {
    givenAssociation('associated');

    await expect(poll(associationUpdate({ AdoptExisting: 'true' }), { PhysicalResourceId: ASSOCIATION_ID })).resolves.toEqual({ IsComplete: true, Data: data('associated') });
  });

  test('after delete with Data: waits, without disassociating again, until the association is gone', async () => {
    givenAssociation('associated');
    await expect(poll(associationDelete(), previous('pending-disassociation'))).resolves.toEqual({ IsComplete: false });

    givenAssociation('disassociated');
    await expect(poll(associationDelete(), previous('pending-disassociation'))).resolves.toEqual({ IsComplete: true });
    expectNoMutation();
  });

  test('after delete without Data (nothing was deleted): completes without a read', async () => {
    await expect(poll(associationDelete(), { PhysicalResourceId: ASSOCIATION_ID })).resolves.toEqual({ IsComplete: true });
    expect(ec2.calls()).toHaveLength(0);
  });

  test('treats a Next of the wrong shape as absent', async () => {
    givenAssociation('associated');
    const event = { ...isCompleteEvent(associationDelete(), { PhysicalResourceId: ASSOCIATION_ID }), Next: { Goal: 'deleted', Acted: 'yes', At: T0 } } as unknown as IsCompleteEvent;

    await expect(isComplete(event)).resolves.toEqual({ IsComplete: true });
    expectNoMutation();
  });
});

// ===========================================================================================================
// Logging
// ===========================================================================================================

describe('logging', () => {
  test('puts RequestId, LogicalResourceId, PhysicalResourceId and ResourceType on every line', async () => {
    givenAssociation('associated');
    ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

    await onEvent(associationDelete());

    const records = logs.records();
    expect(records.length).toBeGreaterThan(3);
    for (const record of records) {
      expect(record).toMatchObject({
        RequestId: 'a1b2c3d4-0000-4000-8000-000000000001',
        LogicalResourceId: 'Prefix',
        PhysicalResourceId: ASSOCIATION_ID,
        ResourceType: 'Custom::ByoasnCidrAssociation',
      });
    }
  });

  test('writes one line per state seen: the CIDR and the association', async () => {
    givenAssociation('associated');
    ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

    await onEvent(associationDelete());

    expect(logs.records()).toContainEqual(expect.objectContaining({ message: 'BYOIP CIDR 203.0.113.0/24 is provisioned', state: 'provisioned' }));
    expect(logs.records()).toContainEqual(expect.objectContaining({ message: 'the association of ASN 64496 with 203.0.113.0/24 is associated', state: 'associated' }));
    expect(logs.records()).toContainEqual(expect.objectContaining({
      action: 'DisassociateIpamByoasn', params: { Asn: ASN, Cidr: CIDR }, outcome: 'success', state: 'pending-disassociation',
    }));
  });
});

// ===========================================================================================================
// Found in review
// ===========================================================================================================

describe('review findings', () => {
  test.each(['InvalidParameterValue', 'InvalidParameter'])('explains an advertised CIDR also when a Disassociate from isComplete is refused with %s', async (code) => {
    givenCidrs(byoipCidr([association('associated')], { State: 'advertised' }));
    ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error(code, 'The CIDR is advertised with this ASN.'));

    await expect(poll(associationDelete(), TO_DISASSOCIATE)).rejects.toMatchObject({
      message: expect.stringMatching(/^Prefix: AWS refused to disassociate ASN 64496 from CIDR 203\.0\.113\.0\/24, which is advertised \(CIDR state advertised, association state associated\)\. .*may be what blocks it/),
    });
  });

  test('a status message with newlines and control characters reaches the error on one line', async () => {
    givenAssociation('failed-association', { StatusMessage: 'The ROA\ndoes not\u0001authorize ASN 64496.' });

    await expectError(poll(associationCreate(), ASSOCIATING), 'Prefix: AWS could not associate ASN 64496 with CIDR 203.0.113.0/24: The ROA does not authorize ASN 64496.');
  });
});
