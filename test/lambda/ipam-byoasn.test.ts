import {
  AsnState,
  Byoasn,
  ByoipCidr,
  DeprovisionIpamByoasnCommand,
  DescribeByoipCidrsCommand,
  DescribeIpamByoasnCommand,
  ProvisionIpamByoasnCommand,
} from '@aws-sdk/client-ec2';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import 'aws-sdk-client-mock-jest';
import { ALLOW_DOCUMENTATION_VALUES_ENV, byoasnPhysicalId } from '../../lib/private/contract';
import { CONSISTENCY_WINDOW_MS } from '../../lambda/common';
import type { CustomResourceEvent, Handover, IsCompleteResponse, OnEventResponse } from '../../lambda/common';
import { isComplete, onEvent } from '../../lambda/index';
import { MAX_AWS_TEXT_BYTES, MAX_DATA_BYTES } from '../../lambda/limits';
import {
  ACCOUNT,
  ASN,
  BYOASN_ID,
  CREATE_FAILED_MARKER,
  IPAM_ID,
  OTHER_ASN,
  OTHER_CIDR,
  OTHER_IPAM_ID,
  OTHER_SIGNATURE,
  PUBLIC_ASN,
  SIGNATURE,
  STACK_ID,
  association,
  authorizationMessage,
  byoasn,
  byoasnCreate,
  byoasnDelete,
  byoasnUpdate,
  byoipCidr,
  cloudFormationFailureBody,
  cloudFormationSuccessBody,
  ec2Error,
  isCompleteEvent,
  mockedEc2,
  networkError,
} from './events';

const { ec2, cfn, logs, givenAsns, givenAsnsInTurn, givenCidrs, givenStackStatus } = mockedEc2();

/** `Date.now()` when onEvent answers in these tests: the `At` of every handover. */
const T0 = Date.UTC(2025, 5, 2, 9, 30, 0);

/** Makes `Date.now()` (and only it) answer `T0 + elapsed`; jest.restoreAllMocks() after each test undoes it. */
function clockAt(elapsed: number): void {
  jest.spyOn(Date, 'now').mockReturnValue(T0 + elapsed);
}

beforeEach(() => clockAt(0));

const NEW_ID = byoasnPhysicalId(IPAM_ID, OTHER_ASN);
const WINDOW_S = CONSISTENCY_WINDOW_MS / 1000;
const EXPIRED = authorizationMessage(ASN, ACCOUNT, '20200101');
const EXPIRED_MESSAGE = 'Asn: authorizationContext.message expired on 20200101; the expiry date must be today or later. Sign a new message with a later date.';

/** The attributes of an ASN record. */
function dataOf(state: string, overrides: Partial<Record<'Asn' | 'IpamId' | 'StatusMessage', string>> = {}) {
  return { Asn: ASN, IpamId: IPAM_ID, State: state, StatusMessage: '', ...overrides };
}

const provisionedData = dataOf('provisioned');

/** onEvent's answer when isComplete has more to do: the handover in the top-level field `Next`, never `Data`. */
function handover(physicalId: string, next: Omit<Handover, 'At'>): OnEventResponse {
  return { PhysicalResourceId: physicalId, Next: { ...next, At: T0 } };
}

function expectNoMutation(): void {
  expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 0);
  expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 0);
}

/** Expects a rejection with exactly this message (or one matching an asymmetric matcher). */
async function expectError(promise: Promise<unknown>, message: unknown): Promise<void> {
  await expect(promise).rejects.toMatchObject({ message });
}

function expectLog(level: 'INFO' | 'WARN' | 'ERROR', message: string): void {
  expect(logs.records()).toContainEqual(expect.objectContaining({ level, message }));
}

function poll(event: CustomResourceEvent, response: OnEventResponse): Promise<IsCompleteResponse> {
  return isComplete(isCompleteEvent(event, response));
}

/** A Lambda context with this much time left in the invocation. */
const withTimeLeft = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

/** An SDK call that got no answer in time (no HTTP status). */
function timeoutError(): Error {
  return Object.assign(new Error('Connection timed out after 20000 ms'), { name: 'TimeoutError', $metadata: { attempts: 10 } });
}

/** The failures that pass: what is left of them after the SDK's retries, and how our messages quote them. */
const PASSING_FAILURES: Array<[string, () => Error, string]> = [
  ['throttling (RequestLimitExceeded, 503)', () => ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503, 10, Array(9).fill('throttled')), 'RequestLimitExceeded: Request limit exceeded.'],
  ['an HTTP 500', () => ec2Error('InternalError', 'An internal error has occurred.', 500, 10, Array(9).fill('ambiguous')), 'InternalError: An internal error has occurred.'],
  ['a dropped connection (no status)', () => networkError(), 'socket hang up (ECONNRESET)'],
  ['a timeout (TimeoutError)', timeoutError, 'TimeoutError: Connection timed out after 20000 ms'],
];

const UNAUTHORIZED = () => ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403);
const STACKS_THROTTLED = () => ec2Error('Throttling', 'Rate exceeded', 400, 10, Array(9).fill('throttled'));
const STACKS_DENIED = () => ec2Error('AccessDenied', 'User is not authorized to perform: cloudformation:DescribeStacks', 403);

const existsMessage = (asn = ASN, state = 'provisioned') =>
  `Asn: ASN ${asn} is already ${state} in ${IPAM_ID}. Set adoptExisting: true to manage it with this stack (deleting the resource will then deprovision it), or deprovision it first.`;
const createFailure = (awsText: string, asn = ASN) => `Asn: could not create ASN ${asn} in ${IPAM_ID}: ProvisionIpamByoasn failed with ${awsText}`;
const removeFailure = (awsText: string) => `Asn: could not remove ASN 64496 in ${IPAM_ID}: DeprovisionIpamByoasn failed with ${awsText}`;
const NOT_VISIBLE = ` (and in ${WINDOW_S} s no earlier attempt of it became visible)`;
const anotherIpamMessage = (state: string, asn = ASN) =>
  `Asn: ASN ${asn} is already in another IPAM, ${OTHER_IPAM_ID} (state ${state}); an ASN can be in only one IPAM at a time. Deprovision it from ${OTHER_IPAM_ID} first, or use ${OTHER_IPAM_ID} as ipamId.`;
const removeFailedMessage = (status: string) =>
  `Asn: AWS could not deprovision ASN 64496 from ${IPAM_ID} (state failed-deprovision); resolve the problem and deprovision it (DeprovisionIpamByoasn), then delete again. AWS's status message: ${status}`;
const blockedMessage = (status: string) =>
  `Asn: ASN 64496 is in state failed-deprovision in ${IPAM_ID}; resolve the problem and deprovision it (DeprovisionIpamByoasn) before provisioning it again. AWS's status message: ${status}`;

/**
 * The body the Provider framework PUTs when a request fails: the reason (message and trace) and, as its
 * cfn-response sends it, the `Data` of the event it failed on (onEvent's Data, merged into isComplete's event).
 */
function failureBody(event: CustomResourceEvent, physicalId: string, error: Error): string {
  const body = JSON.parse(cloudFormationFailureBody(event, physicalId, error)) as Record<string, unknown>;
  return JSON.stringify({ ...body, Data: (event as { Data?: unknown }).Data });
}

// ===========================================================================================================
// CREATE
// ===========================================================================================================

describe('create', () => {
  test('provisions an absent ASN with its authorization context, and hands isComplete "created, acted" in Next, without Data', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

    const response = await onEvent(byoasnCreate());

    expect(response).toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: true }));
    expect(response).not.toHaveProperty('Data');
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(ProvisionIpamByoasnCommand, {
      IpamId: IPAM_ID,
      Asn: ASN,
      AsnAuthorizationContext: { Message: authorizationMessage(), Signature: SIGNATURE },
    });
    // The stack's status matters only for an Update to a target that exists, and a Delete that finds nothing.
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
  });

  test.each(['deprovisioned', 'failed-provision'])('provisions again an ASN whose record says %s (it counts as absent)', async (state) => {
    givenAsns(byoasn(state, { StatusMessage: 'old record' }));
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

    const response = await onEvent(byoasnCreate());

    expect(response).toMatchObject({ PhysicalResourceId: BYOASN_ID, Next: { Goal: 'created', Acted: true } });
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
  });

  test('waits for a provisioning already in progress in this IPAM without calling AWS again', async () => {
    givenAsns(byoasn('pending-provision'));

    const response = await onEvent(byoasnCreate());

    expect(response).toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: true }));
    expectNoMutation();
    expectLog('INFO', `ASN 64496 in ${IPAM_ID} is pending-provision: waiting for the request in progress to end`);
  });

  test('refuses an ASN that is already provisioned in this IPAM, without reading the stack status', async () => {
    givenAsns(byoasn('provisioned'));

    await expectError(onEvent(byoasnCreate()), existsMessage());
    expectNoMutation();
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
  });

  test('adopts an ASN that is already provisioned in this IPAM when AdoptExisting is true', async () => {
    givenAsns(byoasn('provisioned'));

    const response = await onEvent(byoasnCreate({ AdoptExisting: 'true' }));

    expect(response).toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: true }));
    expectNoMutation();
    expectLog('INFO', `ASN 64496 in ${IPAM_ID} is provisioned: adopting it (adoptExisting is true)`);
  });

  describe('when another IPAM holds the ASN', () => {
    test.each(['pending-provision', 'provisioned', 'pending-deprovision', 'failed-deprovision', 'quarantined'])('refuses it when it is %s there, naming that IPAM', async (state) => {
      givenAsns(byoasn(state, { IpamId: OTHER_IPAM_ID }));

      await expectError(onEvent(byoasnCreate({ AdoptExisting: 'true' })), anotherIpamMessage(state));
      expectNoMutation();
    });

    test.each(['deprovisioned', 'failed-provision'])('provisions anyway when its record there says %s', async (state) => {
      givenAsns(byoasn(state, { IpamId: OTHER_IPAM_ID }));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

      await onEvent(byoasnCreate());

      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
    });
  });

  test('waits for a deprovisioning in this IPAM to end, leaving the provisioning to isComplete (not acted)', async () => {
    givenAsns(byoasn('pending-deprovision'));

    const response = await onEvent(byoasnCreate());

    expect(response).toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: false }));
    expectNoMutation();
  });

  test("refuses an ASN in failed-deprovision with AWS's status message", async () => {
    givenAsns(byoasn('failed-deprovision', { StatusMessage: 'The ASN is still in use.' }));

    await expectError(onEvent(byoasnCreate()), blockedMessage('The ASN is still in use.'));
    expectNoMutation();
  });

  test('refuses an unknown state without changing anything', async () => {
    givenAsns(byoasn('quarantined', { StatusMessage: 'new in 2030' }));

    await expectError(onEvent(byoasnCreate()),
      `Asn: ASN 64496 in ${IPAM_ID} is in state 'quarantined', which this handler does not know; nothing was changed. AWS's status message: new in 2030`);
    expectNoMutation();
  });

  test('reads every page of DescribeIpamByoasn (the ASN is on page 3)', async () => {
    const pages: Record<string, { Byoasns: Byoasn[]; NextToken?: string }> = {
      '': { Byoasns: [byoasn('provisioned', { Asn: '64500' })], NextToken: 'page-2' },
      'page-2': { Byoasns: [byoasn('provisioned', { Asn: '64501' })], NextToken: 'page-3' },
      'page-3': { Byoasns: [byoasn('provisioned')] },
    };
    ec2.on(DescribeIpamByoasnCommand).callsFake((input: { NextToken?: string }) => pages[input.NextToken ?? '']);

    await expectError(onEvent(byoasnCreate()), existsMessage());

    const calls = ec2.commandCalls(DescribeIpamByoasnCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([
      { MaxResults: 100, NextToken: undefined },
      { MaxResults: 100, NextToken: 'page-2' },
      { MaxResults: 100, NextToken: 'page-3' },
    ]);
  });

  test('surfaces a failed read with the logical id in front, before any change', async () => {
    ec2.on(DescribeIpamByoasnCommand).rejects(UNAUTHORIZED());

    await expectError(onEvent(byoasnCreate()), 'Asn: UnauthorizedOperation: You are not authorized to perform this operation.');
    expectNoMutation();
  });

  test('leaves the provisioning to isComplete when the invocation has too little time left for the call and its retries', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });
    const event = byoasnCreate();

    const response = await onEvent(event, withTimeLeft(5 * 60_000));

    expect(response).toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: false }));
    expectNoMutation();
    expectLog('WARN', 'too little time left in this invocation to make ProvisionIpamByoasn safely; isComplete makes it');

    await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
  });

  describe('when ProvisionIpamByoasn is refused', () => {
    test("fails at once with AWS's message after a single attempt, without reading again", async () => {
      // Even when a read would now show the ASN: only an ambiguous earlier attempt can make a refusal our own.
      givenAsnsInTurn([], [byoasn('pending-provision')]);
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is already provisioned.'));

      await expectError(onEvent(byoasnCreate()), createFailure('IncorrectState: The ASN is already provisioned.'));
      expect(ec2).toHaveReceivedCommandTimes(DescribeIpamByoasnCommand, 1);
    });

    test.each(['InvalidParameterValue', 'IncorrectState'])('fails at once with %s after a throttled attempt: that attempt was not applied', async (code) => {
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error(code, 'The authorization message is not valid.', 400, 2, ['throttled']));

      await expectError(onEvent(byoasnCreate()), createFailure(`${code}: The authorization message is not valid.`));
    });

    test.each(['IncorrectState', 'InvalidAsn.InUse', 'InvalidParameterValue'])('hands over the refusal (%s) after an ambiguous attempt: it may be about our own request', async (code) => {
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error(code, 'The ASN 64496 is already pending-provision.', 400, 3, ['throttled', 'ambiguous']));

      const response = await onEvent(byoasnCreate());

      expect(response).toEqual(handover(BYOASN_ID, {
        Goal: 'created', Acted: true, Refused: createFailure(`${code}: The ASN 64496 is already pending-provision.`),
      }));
      expectLog('WARN', `ProvisionIpamByoasn failed (${code}: The ASN 64496 is already pending-provision.) after an attempt that AWS may have applied (no answer, or a 5xx); waiting for that request to become visible, at most ${WINDOW_S} s`);
    });

    test.each(['UnauthorizedOperation', 'ResourceLimitExceeded'])('fails at once with %s even after an ambiguous attempt: no waiting cures it', async (code) => {
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error(code, 'refused', code === 'UnauthorizedOperation' ? 403 : 400, 3, ['ambiguous', 'ambiguous']));

      await expectError(onEvent(byoasnCreate()), createFailure(`${code}: refused`));
    });

    test('keeps the signature out of the error when AWS quotes it back', async () => {
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('InvalidParameterValue', `Signature ${SIGNATURE} does not verify.`));

      await expectError(onEvent(byoasnCreate()), createFailure('InvalidParameterValue: Signature *** does not verify.'));
      expect(logs.text()).not.toContain(SIGNATURE);
    });
  });

  describe('when ProvisionIpamByoasn fails without an answer', () => {
    test.each(PASSING_FAILURES.filter(([name]) => !name.startsWith('throttling')))('hands over Refused after %s: the request may have been applied', async (_, failure, text) => {
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).rejects(failure());

      await expect(onEvent(byoasnCreate())).resolves.toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: true, Refused: createFailure(text) }));
    });

    test('leaves the call to isComplete when it is still throttled after the retries: nothing was applied', async () => {
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503, 10, Array(9).fill('throttled')));

      await expect(onEvent(byoasnCreate())).resolves.toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: false }));
      expectLog('WARN', "ProvisionIpamByoasn was still throttled after the SDK's retries (RequestLimitExceeded: Request limit exceeded.); nothing was applied, and isComplete makes the call");
    });
  });

  describe('validation', () => {
    test('refuses a private ASN before any AWS call', async () => {
      await expectError(onEvent(byoasnCreate({ Asn: '64512', AuthorizationMessage: authorizationMessage('64512') })),
        'Asn: asn 64512 is a private ASN (RFC 6996) (64512-65534), not a public ASN. Allowed: 1-64495 (except 23456) or 131072-4199999999.');
      expect(ec2.calls()).toHaveLength(0);
    });

    test('refuses an IPAM id that is not one before any AWS call', async () => {
      await expectError(onEvent(byoasnCreate({ IpamId: 'ipam-xyz' })),
        "Asn: ipamId 'ipam-xyz' is not an IPAM id; expected 'ipam-' followed by 17 (or, for old ids, 8) lower-case hexadecimal digits, e.g. 'ipam-0123456789abcdef0' (CfnIPAM.attrIpamId).");
      expect(ec2.calls()).toHaveLength(0);
    });

    test('refuses a documentation ASN unless CDK_IPAM_BYOASN_ALLOW_DOCUMENTATION_VALUES is true, before any AWS call', async () => {
      delete process.env[ALLOW_DOCUMENTATION_VALUES_ENV];

      await expectError(onEvent(byoasnCreate()),
        'Asn: asn 64496 is reserved for documentation (RFC 5398) (64496-64511): fine for examples, but AWS cannot provision it, and a deployment will refuse it. Use your own public ASN: 1-64495 (except 23456) or 131072-4199999999.');
      expect(ec2.calls()).toHaveLength(0);
    });

    test('accepts a public ASN without the variable', async () => {
      delete process.env[ALLOW_DOCUMENTATION_VALUES_ENV];
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision', { Asn: PUBLIC_ASN }) });

      const response = await onEvent(byoasnCreate({ Asn: PUBLIC_ASN }));

      expect(response.PhysicalResourceId).toBe(byoasnPhysicalId(IPAM_ID, PUBLIC_ASN));
    });
  });

  describe('the authorization context, checked right before ProvisionIpamByoasn and only there', () => {
    test('lists every problem at once, without echoing the signature, and provisions nothing', async () => {
      givenAsns();
      const event = byoasnCreate({ AuthorizationMessage: authorizationMessage(OTHER_ASN, '210987654321'), AuthorizationSignature: 'a+b=' });

      await expectError(onEvent(event), [
        "Asn: authorizationContext.message authorizes ASN '64497', but this resource's ASN is '64496'. Sign a message for '64496'.",
        `Asn: authorizationContext.message names account 210987654321, but the stack deploys to account ${ACCOUNT}. Sign a message for account ${ACCOUNT}.`,
        "Asn: authorizationContext.signature must be a non-empty string of the characters A-Z a-z 0-9 - _ ~ (base64 with '+=/' replaced by '-_~' and no newlines); got 4 characters including \"+\", \"=\".",
      ].join('\n'));
      expectNoMutation();
    });

    test('refuses an expired message before provisioning', async () => {
      givenAsns();

      await expectError(onEvent(byoasnCreate({ AuthorizationMessage: EXPIRED })), EXPIRED_MESSAGE);
      expectNoMutation();
    });

    test("takes the stack's account from the ServiceToken, and skips the check when it is not a Lambda ARN", async () => {
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });
      const event = { ...byoasnCreate({ AuthorizationMessage: authorizationMessage(ASN, '210987654321') }), ServiceToken: 'not-an-arn' };

      await onEvent(event);

      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
    });

    test('logs a warning, and goes on, when the message expires within 7 days', async () => {
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });
      const soon = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000).toISOString().slice(0, 10).replace(/-/g, '');

      await onEvent(byoasnCreate({ AuthorizationMessage: authorizationMessage(ASN, ACCOUNT, soon) }));

      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
      expectLog('WARN', `Asn: authorizationContext.message expires on ${soon}, within 7 days; a deployment after that date will be refused.`);
    });

    test.each([
      ['expired', { AuthorizationMessage: EXPIRED }],
      ['for another ASN', { AuthorizationMessage: authorizationMessage(OTHER_ASN) }],
    ])('adopts with a message that is %s: nothing is provisioned', async (_, props) => {
      givenAsns(byoasn('provisioned'));

      await expect(onEvent(byoasnCreate({ ...props, AdoptExisting: 'true' }))).resolves.toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: true }));
    });

    test('waits for a provisioning in progress with an expired message', async () => {
      givenAsns(byoasn('pending-provision'));

      await expect(onEvent(byoasnCreate({ AuthorizationMessage: EXPIRED }))).resolves.toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: true }));
    });
  });
});

describe('isComplete after create', () => {
  const created = handover(BYOASN_ID, { Goal: 'created', Acted: true });

  test('completes with the attributes once the ASN is provisioned', async () => {
    givenAsns(byoasn('provisioned'));

    await expect(poll(byoasnCreate(), created)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
  });

  test.each([
    ['pending-provision', byoasn('pending-provision')],
    ['not listed yet (eventual consistency)', undefined],
    ['still listed as deprovisioned (eventual consistency)', byoasn('deprovisioned')],
    ['pending-deprovision', byoasn('pending-deprovision')],
  ])('keeps waiting, without Data and without provisioning again, while the ASN is %s', async (_, record) => {
    givenAsns(...(record ? [record] : []));

    await expect(poll(byoasnCreate(), created)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test('fails at once, instead of waiting for a provisioning that cannot come, when the ASN turns up in another IPAM', async () => {
    givenAsns(byoasn('pending-provision', { IpamId: OTHER_IPAM_ID }));

    await expectError(poll(byoasnCreate(), created), anotherIpamMessage('pending-provision'));
    expectNoMutation();
  });

  test("fails with AWS's status message on failed-provision", async () => {
    givenAsns(byoasn('failed-provision', { StatusMessage: 'The ASN is not registered to the certificate in the RIR record.' }));

    await expectError(poll(byoasnCreate(), created),
      `Asn: AWS could not provision ASN 64496 in ${IPAM_ID}: The ASN is not registered to the certificate in the RIR record.`);
  });

  test("fails with AWS's status message on failed-deprovision", async () => {
    givenAsns(byoasn('failed-deprovision', { StatusMessage: 'busy' }));

    await expectError(poll(byoasnCreate(), created), blockedMessage('busy'));
  });

  test('says so when AWS gives no status message', async () => {
    givenAsns(byoasn('failed-provision'));

    await expectError(poll(byoasnCreate(), created), `Asn: AWS could not provision ASN 64496 in ${IPAM_ID}: (AWS gave no status message)`);
  });

  test('keeps waiting, with a warning, on an unknown state', async () => {
    givenAsns(byoasn('quarantined'));

    await expect(poll(byoasnCreate(), created)).resolves.toEqual({ IsComplete: false });
    expectLog('WARN', `ASN 64496 in ${IPAM_ID} is in unknown state 'quarantined'; waiting for a known one`);
    expectNoMutation();
  });

  test('ignores records of other ASNs and of other IPAMs', async () => {
    givenAsns(byoasn('provisioned', { Asn: OTHER_ASN }), byoasn('deprovisioned', { IpamId: OTHER_IPAM_ID }), byoasn('provisioned'));

    await expect(poll(byoasnCreate(), created)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
  });

  test('reads every page (the ASN is on page 2)', async () => {
    const pages: Record<string, { Byoasns: Byoasn[]; NextToken?: string }> = {
      '': { Byoasns: [byoasn('provisioned', { Asn: '64500' })], NextToken: 'page-2' },
      'page-2': { Byoasns: [byoasn('provisioned')] },
    };
    ec2.on(DescribeIpamByoasnCommand).callsFake((input: { NextToken?: string }) => pages[input.NextToken ?? '']);

    await expect(poll(byoasnCreate(), created)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
    expect(ec2).toHaveReceivedCommandTimes(DescribeIpamByoasnCommand, 2);
  });

  describe('after waiting for a deprovisioning (not acted)', () => {
    const waited = handover(BYOASN_ID, { Goal: 'created', Acted: false });

    test.each([['deprovisioned', [byoasn('deprovisioned')]], ['absent', []]])('provisions once the ASN is %s', async (_, records) => {
      givenAsns(...records);
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

      await expect(poll(byoasnCreate(), waited)).resolves.toEqual({ IsComplete: false });
      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
      expect(ec2).toHaveReceivedCommandWith(ProvisionIpamByoasnCommand, {
        IpamId: IPAM_ID, Asn: ASN, AsnAuthorizationContext: { Message: authorizationMessage(), Signature: SIGNATURE },
      });
    });

    test('keeps waiting while the deprovisioning goes on', async () => {
      givenAsns(byoasn('pending-deprovision'));

      await expect(poll(byoasnCreate(), waited)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
    });

    test('keeps waiting when AWS refuses the provisioning with IncorrectState: an earlier poll made it already', async () => {
      // Eventually consistent reads: this poll still sees "deprovisioned" after an earlier poll's request.
      givenAsns(byoasn('deprovisioned'));
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN 64496 is already pending-provision.'));

      await expect(poll(byoasnCreate(), waited)).resolves.toEqual({ IsComplete: false });
      expectLog('WARN', 'ProvisionIpamByoasn was refused (IncorrectState: The ASN 64496 is already pending-provision.): most likely the request of an earlier poll, not visible yet; waiting for it');
    });

    test.each([
      ['UnauthorizedOperation', 403],
      ['ResourceLimitExceeded', 400],
      ['InvalidParameterValue', 400],
      ['InvalidParameter', 400],
    ])('fails at once when the provisioning is refused with %s, which no waiting cures', async (code, status) => {
      givenAsns(byoasn('deprovisioned'));
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error(code, 'refused', status));

      await expectError(poll(byoasnCreate(), waited), createFailure(`${code}: refused`));
    });

    test.each(PASSING_FAILURES)('polls again, with a warning, when the provisioning fails with %s', async (_, failure, text) => {
      givenAsns(byoasn('deprovisioned'));
      ec2.on(ProvisionIpamByoasnCommand).rejects(failure());

      await expect(poll(byoasnCreate(), waited)).resolves.toEqual({ IsComplete: false });
      expectLog('WARN', `a call failed for a passing reason (${text}); polling again`);
    });

    test('refuses to provision when another IPAM took the ASN meanwhile', async () => {
      givenAsns(byoasn('deprovisioned'), byoasn('pending-provision', { IpamId: OTHER_IPAM_ID }));

      await expectError(poll(byoasnCreate(), waited), anotherIpamMessage('pending-provision'));
      expectNoMutation();
    });

    test.each([
      ['expired', { AuthorizationMessage: EXPIRED }, EXPIRED_MESSAGE],
      ['for another ASN', { AuthorizationMessage: authorizationMessage(OTHER_ASN) },
        "Asn: authorizationContext.message authorizes ASN '64497', but this resource's ASN is '64496'. Sign a message for '64496'."],
    ])('fails before provisioning when the message is %s', async (_, props, message) => {
      givenAsns(byoasn('deprovisioned'));

      await expectError(poll(byoasnCreate(props), waited), message);
      expectNoMutation();
    });

    test('does not check the message while the deprovisioning goes on', async () => {
      givenAsns(byoasn('pending-deprovision'));

      await expect(poll(byoasnCreate({ AuthorizationMessage: EXPIRED }), waited)).resolves.toEqual({ IsComplete: false });
    });
  });

  describe('after a refusal that may be about our own request (Refused)', () => {
    const message = createFailure('IncorrectState: The ASN 64496 is already pending-provision.');
    const refused = handover(BYOASN_ID, { Goal: 'created', Acted: true, Refused: message });

    test('onEvent hands it over, and isComplete waits while the ASN is not visible, within the window', async () => {
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN 64496 is already pending-provision.', 400, 2, ['ambiguous']));
      const event = byoasnCreate();
      const response = await onEvent(event);
      expect(response).toEqual(refused);

      clockAt(CONSISTENCY_WINDOW_MS - 1);
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      expectLog('INFO', 'waiting for our own request, which AWS may have applied, to become visible');
      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
    });

    test('completes once the ASN shows up provisioned', async () => {
      clockAt(30_000);
      givenAsns(byoasn('provisioned'));

      await expect(poll(byoasnCreate(), refused)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
    });

    test('keeps waiting while the ASN is pending-provision, also after the window: the request is visible', async () => {
      clockAt(CONSISTENCY_WINDOW_MS + 60_000);
      givenAsns(byoasn('pending-provision'));

      await expect(poll(byoasnCreate(), refused)).resolves.toEqual({ IsComplete: false });
    });

    test('fails with the saved message once the window has passed and nothing is visible', async () => {
      clockAt(CONSISTENCY_WINDOW_MS);
      givenAsns();

      await expectError(poll(byoasnCreate(), refused), `${message}${NOT_VISIBLE}`);
      expectNoMutation();
    });

    test('keeps the signature out of the saved message when it fails with it', async () => {
      clockAt(CONSISTENCY_WINDOW_MS);
      givenAsns();

      await expectError(poll(byoasnCreate(), handover(BYOASN_ID, { Goal: 'created', Acted: true, Refused: createFailure(`IncorrectState: Signature ${SIGNATURE} is in use.`) })),
        `${createFailure('IncorrectState: Signature *** is in use.')}${NOT_VISIBLE}`);
    });

    test('fails with the saved message after the window even when the ASN is still listed as deprovisioned', async () => {
      clockAt(CONSISTENCY_WINDOW_MS + 1);
      givenAsns(byoasn('deprovisioned'));

      await expectError(poll(byoasnCreate(), refused), `${message}${NOT_VISIBLE}`);
    });
  });

  describe('the attributes', () => {
    test('keep the signature out of the status message and the log lines when AWS quotes it', async () => {
      givenAsns(byoasn('provisioned', { StatusMessage: `Verified signature ${SIGNATURE}.` }));

      const response = await poll(byoasnCreate(), created);

      expect(response.Data?.StatusMessage).toBe('Verified signature ***.');
      expect(logs.text()).not.toContain(SIGNATURE);
    });

    test('are all strings, even when AWS leaves fields out, and never hold the signature', async () => {
      givenAsns({ Asn: ASN, IpamId: IPAM_ID, State: 'provisioned' });

      const response = await poll(byoasnCreate(), created);

      expect(response.Data).toEqual(provisionedData);
      expect(Object.values(response.Data ?? {}).every((value) => typeof value === 'string')).toBe(true);
      expect(JSON.stringify(response)).not.toContain(SIGNATURE);
    });
  });
});

// ===========================================================================================================
// UPDATE
// ===========================================================================================================

describe('update', () => {
  const unchanged = handover(BYOASN_ID, { Goal: 'unchanged', Acted: false });

  test('changes nothing, and calls nothing, when only the authorization context changes', async () => {
    const event = byoasnUpdate(
      { AuthorizationMessage: authorizationMessage(ASN, ACCOUNT, '20981231'), AuthorizationSignature: OTHER_SIGNATURE },
      {});

    await expect(onEvent(event)).resolves.toEqual(unchanged);
    expect(ec2.calls()).toHaveLength(0);
    expect(cfn.calls()).toHaveLength(0);
  });

  test('changes nothing when only adoptExisting changes', async () => {
    await expect(onEvent(byoasnUpdate({ AdoptExisting: 'true' }, { AdoptExisting: 'false' }))).resolves.toEqual(unchanged);
    expect(ec2.calls()).toHaveLength(0);
  });

  test.each([
    ['expired', { AuthorizationMessage: EXPIRED }],
    ['for another ASN', { AuthorizationMessage: authorizationMessage(OTHER_ASN) }],
    ['for another account', { AuthorizationMessage: authorizationMessage(ASN, '210987654321') }],
  ])('does not check an authorization message that is %s in an in-place update', async (_, props) => {
    givenAsns(byoasn('provisioned'));
    const event = byoasnUpdate(props, {});

    const response = await onEvent(event);

    expect(response).toEqual(unchanged);
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
  });

  test('still refuses an invalid ASN in an in-place update', async () => {
    await expectError(onEvent(byoasnUpdate({ Asn: '64496.5' }, {})),
      "Asn: asn must be in asplain notation; got asdot '64496.5'. Use 4226809861 instead.");
    expect(ec2.calls()).toHaveLength(0);
  });

  test('reports the current attributes once an in-place update is done, without a mutation', async () => {
    givenAsns(byoasn('provisioned', { StatusMessage: 'ok' }));
    const event = byoasnUpdate({ AdoptExisting: 'true' });

    await expect(poll(event, await onEvent(event))).resolves.toEqual({ IsComplete: true, Data: dataOf('provisioned', { StatusMessage: 'ok' }) });
    expectNoMutation();
  });

  test('refuses to move the same ASN to another IPAM, explaining the two-step migration', async () => {
    await expectError(onEvent(byoasnUpdate({ IpamId: OTHER_IPAM_ID }, {})),
      `Asn: cannot move ASN 64496 from ${IPAM_ID} to ${OTHER_IPAM_ID} in one deployment: CloudFormation would provision it in ${OTHER_IPAM_ID} before deprovisioning it from ${IPAM_ID}, and AWS refuses to provision an ASN that is still in another IPAM. Migrate in two deployments: first deploy without this IpamByoasn (and its ByoasnCidrAssociations) so that the ASN is deprovisioned from ${IPAM_ID}, then deploy again with ipamId ${OTHER_IPAM_ID}.`);
    expect(ec2.calls()).toHaveLength(0);
  });

  describe('requires replacement', () => {
    const replacing = handover(NEW_ID, { Goal: 'created', Acted: true });

    test('provisions the new ASN and answers with its physical id, without reading the stack status', async () => {
      givenAsns(byoasn('provisioned'));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision', { Asn: OTHER_ASN }) });

      const response = await onEvent(byoasnUpdate({ Asn: OTHER_ASN }, {}));

      expect(response).toEqual(replacing);
      expect(ec2).toHaveReceivedCommandWith(ProvisionIpamByoasnCommand, {
        IpamId: IPAM_ID, Asn: OTHER_ASN, AsnAuthorizationContext: { Message: authorizationMessage(OTHER_ASN), Signature: SIGNATURE },
      });
      // The old ASN is left to the Delete that CloudFormation sends afterwards.
      expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 0);
      expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
    });

    test('provisions the new ASN in the new IPAM when both change', async () => {
      givenAsns(byoasn('provisioned'));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision', { Asn: OTHER_ASN, IpamId: OTHER_IPAM_ID }) });

      const response = await onEvent(byoasnUpdate({ Asn: OTHER_ASN, IpamId: OTHER_IPAM_ID }, {}));

      expect(response.PhysicalResourceId).toBe(byoasnPhysicalId(OTHER_IPAM_ID, OTHER_ASN));
      expect(ec2).toHaveReceivedCommandWith(ProvisionIpamByoasnCommand, { IpamId: OTHER_IPAM_ID, Asn: OTHER_ASN });
    });

    test('checks the authorization context against the new ASN before provisioning', async () => {
      givenAsns(byoasn('provisioned'));

      await expectError(onEvent(byoasnUpdate({ Asn: OTHER_ASN, AuthorizationMessage: authorizationMessage(ASN) }, {})),
        "Asn: authorizationContext.message authorizes ASN '64496', but this resource's ASN is '64497'. Sign a message for '64497'.");
      expectNoMutation();
    });

    test.each([
      'UPDATE_IN_PROGRESS',
      'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
      'ROLLBACK_IN_PROGRESS',
    ])('refuses a new ASN that is already provisioned in the IPAM when the stack is %s (a forward update follows the Create rule)', async (status) => {
      givenStackStatus(status);
      givenAsns(byoasn('provisioned'), byoasn('provisioned', { Asn: OTHER_ASN }));

      await expectError(onEvent(byoasnUpdate({ Asn: OTHER_ASN }, {})), existsMessage(OTHER_ASN));
      expectNoMutation();
      expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
      expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: STACK_ID });
      expectLog('INFO', `the stack is ${status}, not rolling back: this update follows the Create rule`);
    });

    test('adopts a new ASN that is already provisioned when adoptExisting is true, without reading the stack status', async () => {
      givenAsns(byoasn('provisioned'), byoasn('provisioned', { Asn: OTHER_ASN }));
      const event = byoasnUpdate({ Asn: OTHER_ASN, AdoptExisting: 'true', AuthorizationMessage: EXPIRED }, {});

      const response = await onEvent(event);

      expect(response).toEqual(replacing);
      expectNoMutation();
      expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
    });

    test('still refuses a new ASN that another IPAM holds', async () => {
      givenAsns(byoasn('provisioned'), byoasn('provisioned', { Asn: OTHER_ASN, IpamId: OTHER_IPAM_ID }));

      await expectError(onEvent(byoasnUpdate({ Asn: OTHER_ASN, AdoptExisting: 'true' }, {})), anotherIpamMessage('provisioned', OTHER_ASN));
      expectNoMutation();
    });

    test('waits until the new ASN is provisioned', async () => {
      const event = byoasnUpdate({ Asn: OTHER_ASN }, {});
      givenAsnsInTurn([byoasn('provisioned'), byoasn('pending-provision', { Asn: OTHER_ASN })], [byoasn('provisioned'), byoasn('provisioned', { Asn: OTHER_ASN })]);

      await expect(poll(event, replacing)).resolves.toEqual({ IsComplete: false });
      await expect(poll(event, replacing)).resolves.toEqual({ IsComplete: true, Data: dataOf('provisioned', { Asn: OTHER_ASN }) });
    });

    test("fails with AWS's status message when the new ASN fails to provision", async () => {
      givenAsns(byoasn('failed-provision', { Asn: OTHER_ASN, StatusMessage: 'no RIR record' }));

      await expectError(poll(byoasnUpdate({ Asn: OTHER_ASN }, {}), replacing), `Asn: AWS could not provision ASN 64497 in ${IPAM_ID}: no RIR record`);
    });
  });

  describe('rolling back a replacement that succeeded (properties swapped back, the new physical id)', () => {
    // The replacement succeeded (the resource is now 64497), another resource failed, and CloudFormation sends an
    // Update back to 64496, which still exists: it deletes the old ASN only once the whole update has succeeded.
    const rollback = () => byoasnUpdate({}, { Asn: OTHER_ASN }, NEW_ID);

    test('takes the old ASN back in UPDATE_ROLLBACK_IN_PROGRESS, without provisioning it', async () => {
      givenStackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
      givenAsns(byoasn('provisioned'), byoasn('provisioned', { Asn: OTHER_ASN }));
      const event = rollback();

      const response = await onEvent(event);

      expect(response).toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: true }));
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
      expectNoMutation();
      expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: STACK_ID });
      expectLog('INFO', `the stack is UPDATE_ROLLBACK_IN_PROGRESS: taking back ASN 64496 in ${IPAM_ID} (provisioned), which the update being rolled back replaced`);
    });

    test.each([
      ['expired', { AuthorizationMessage: EXPIRED }],
      ['for another ASN', { AuthorizationMessage: authorizationMessage(OTHER_ASN) }],
    ])('takes it back with an authorization message that is %s', async (_, props) => {
      givenStackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
      givenAsns(byoasn('provisioned'), byoasn('provisioned', { Asn: OTHER_ASN }));

      await expect(onEvent(byoasnUpdate(props, { Asn: OTHER_ASN }, NEW_ID))).resolves.toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: true }));
      expectNoMutation();
    });

    test('refuses it when the stack is not rolling back', async () => {
      givenAsns(byoasn('provisioned'), byoasn('provisioned', { Asn: OTHER_ASN }));

      await expectError(onEvent(rollback()), existsMessage());
      expectNoMutation();
    });

    test('provisions the old ASN again when it is gone (the Create rule), without reading the stack status', async () => {
      givenStackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
      givenAsns(byoasn('provisioned', { Asn: OTHER_ASN }));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

      await expect(onEvent(rollback())).resolves.toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: true }));
      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
      expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
    });
  });

  describe("when the stack's status cannot be read", () => {
    const forward = () => byoasnUpdate({ Asn: OTHER_ASN }, {});
    const asking = handover(NEW_ID, { Goal: 'created', Acted: true, Ask: 'may-take-back' });
    const bothProvisioned = [byoasn('provisioned'), byoasn('provisioned', { Asn: OTHER_ASN })];

    test.each([
      ['throttled', STACKS_THROTTLED, 'Throttling: Rate exceeded'],
      ['an HTTP 500', () => ec2Error('InternalFailure', 'Internal failure', 500), 'InternalFailure: Internal failure'],
      ['a dropped connection', () => networkError(), 'socket hang up (ECONNRESET)'],
    ])('onEvent hands the question over to isComplete when DescribeStacks is %s', async (_, failure, text) => {
      givenAsns(...bothProvisioned);
      cfn.on(DescribeStacksCommand).rejects(failure());

      await expect(onEvent(forward())).resolves.toEqual(asking);
      expectNoMutation();
      expectLog('WARN', `could not read the stack's status (${text}); isComplete asks again before it takes ASN 64497 in ${IPAM_ID} back or refuses it`);
    });

    test('isComplete refuses the ASN when the stack is not rolling back', async () => {
      givenAsns(...bothProvisioned);

      await expectError(poll(forward(), asking), existsMessage(OTHER_ASN));
      expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: STACK_ID });
    });

    test('isComplete takes it back, and completes, when the stack is rolling back an update', async () => {
      givenStackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
      givenAsns(...bothProvisioned);

      await expect(poll(forward(), asking)).resolves.toEqual({ IsComplete: true, Data: dataOf('provisioned', { Asn: OTHER_ASN }) });
      expectNoMutation();
    });

    test('isComplete polls again while DescribeStacks still fails for a passing reason', async () => {
      givenAsns(...bothProvisioned);
      cfn.on(DescribeStacksCommand).rejects(STACKS_THROTTLED());

      await expect(poll(forward(), asking)).resolves.toEqual({ IsComplete: false });
      expectLog('WARN', 'a call failed for a passing reason (Throttling: Rate exceeded); polling again');
    });

    test('isComplete fails when DescribeStacks is denied', async () => {
      givenAsns(...bothProvisioned);
      cfn.on(DescribeStacksCommand).rejects(STACKS_DENIED());

      await expectError(poll(forward(), asking), 'Asn: AccessDenied: User is not authorized to perform: cloudformation:DescribeStacks');
    });

    test('onEvent refuses, naming the cause, when DescribeStacks is denied', async () => {
      givenAsns(...bothProvisioned);
      cfn.on(DescribeStacksCommand).rejects(STACKS_DENIED());

      await expectError(onEvent(forward()),
        `Asn: ASN 64497 in ${IPAM_ID} exists, and whether this update may take it back depends on the stack's status, which could not be read: AccessDenied: User is not authorized to perform: cloudformation:DescribeStacks. Nothing was changed.`);
      expectNoMutation();
    });
  });

  describe('rolling back a replacement that failed (the old physical id, OldResourceProperties name the new ASN)', () => {
    // The replacement to 64497 failed or timed out: the framework kept the old physical id, and CloudFormation
    // sends this resource an Update whose physical id and properties name 64496, and whose old properties 64497.
    const rollback = (oldProps = {}, props = {}) => byoasnUpdate(props, { Asn: OTHER_ASN, ...oldProps }, BYOASN_ID);
    const old = byoasn('provisioned');
    const attempted = (state: string, overrides: Partial<Byoasn> = {}) => byoasn(state, { Asn: OTHER_ASN, ...overrides });
    const cleaning = handover(BYOASN_ID, { Goal: 'unchanged', Acted: false, Orphan: NEW_ID });

    beforeEach(() => givenStackStatus('UPDATE_ROLLBACK_IN_PROGRESS'));

    test('removes the new ASN that it started: waits while it is pending, deprovisions it, waits until it is gone, then completes with the old ASN', async () => {
      givenAsnsInTurn(
        [old, attempted('pending-provision')], // onEvent
        [old, attempted('pending-provision')], // poll 1: wait
        [old, attempted('provisioned')], // poll 2: deprovision
        [old, attempted('pending-deprovision')], // poll 3: wait
        [old, attempted('deprovisioned')], [old, attempted('deprovisioned')], // poll 4: gone, then the old ASN
      );
      ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: attempted('pending-deprovision') });
      const event = rollback();

      const response = await onEvent(event);
      expect(response).toEqual(cleaning);
      expectNoMutation();
      expectLog('INFO', `ASN 64497 in ${IPAM_ID} is pending-provision: the update being rolled back started it; removing it once that has ended`);

      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: provisionedData });

      expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 1);
      expect(ec2).toHaveReceivedCommandWith(DeprovisionIpamByoasnCommand, { IpamId: IPAM_ID, Asn: OTHER_ASN });
      expect(ec2).not.toHaveReceivedCommandWith(DeprovisionIpamByoasnCommand, { Asn: ASN });
      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 0);
    });

    test('does not fail on an expired authorization message', async () => {
      givenAsns(old, attempted('pending-provision'));

      await expect(onEvent(rollback({}, { AuthorizationMessage: EXPIRED }))).resolves.toEqual(cleaning);
    });

    test('keeps waiting while a lagging read still shows the new ASN provisioned after its deprovisioning, and does not fail on the refused repeat', async () => {
      givenAsns(old, attempted('provisioned'));
      givenCidrs();
      ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN 64497 is already pending-deprovision.'));

      await expect(poll(rollback(), cleaning)).resolves.toEqual({ IsComplete: false });
    });

    test('completes at once when the new ASN is already gone', async () => {
      givenAsns(old, attempted('deprovisioned'));

      await expect(poll(rollback(), cleaning)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
      expectNoMutation();
    });

    test('leaves the new ASN with a warning, and completes, when associations block its deprovisioning (failing would fail the rollback)', async () => {
      givenAsns(old, attempted('provisioned'));
      givenCidrs(byoipCidr([association('associated', { Asn: OTHER_ASN })]));
      ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN has associations.'));

      await expect(poll(rollback(), cleaning)).resolves.toEqual({ IsComplete: true, Data: provisionedData });

      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'WARN',
        message: expect.stringMatching(/^left ASN 64497 in ipam-0123456789abcdef0 in place: Asn: cannot deprovision ASN 64497 .*still associated with 203\.0\.113\.0\/24 \(associated\)/),
      }));
    });

    test('leaves the new ASN with a warning, and completes, when its deprovisioning fails (failing would fail the rollback)', async () => {
      givenAsns(old, attempted('failed-deprovision', { StatusMessage: 'Internal failure' }));

      await expect(poll(rollback(), cleaning)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
      expectLog('WARN', `left ASN 64497 in ${IPAM_ID} in place: AWS could not remove it: Internal failure`);
    });

    test('leaves it, with a warning that names it, when the failed update had adoptExisting true', async () => {
      givenAsns(old, attempted('pending-provision'));
      const event = rollback({ AdoptExisting: 'true' });

      const response = await onEvent(event);

      expect(response).toEqual(handover(BYOASN_ID, { Goal: 'unchanged', Acted: false }));
      expectLog('WARN', `left ASN 64497 in ${IPAM_ID} (pending-provision) in place: the previous properties had adoptExisting true, so it may have been there before; remove it with DeprovisionIpamByoasn if a failed update of this stack started it`);
      givenAsns(old, attempted('provisioned'));
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
      expectNoMutation();
    });

    test.each(['provisioned', 'pending-deprovision', 'failed-deprovision'])('leaves it, with a warning that names it, when it is already %s (the failed update may have refused it)', async (state) => {
      givenAsns(old, attempted(state));
      const event = rollback();

      const response = await onEvent(event);

      expect(response).toEqual(handover(BYOASN_ID, { Goal: 'unchanged', Acted: false }));
      expectLog('WARN', `left ASN 64497 in ${IPAM_ID} (${state}) in place: the update being rolled back may have refused it because it existed already, and this resource cannot tell; remove it with DeprovisionIpamByoasn if a failed update of this stack started it`);
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
      expectNoMutation();
    });

    test('leaves it when the stack is not rolling back, saying whose it is not', async () => {
      givenStackStatus('UPDATE_IN_PROGRESS');
      givenAsns(old, attempted('pending-provision'));

      await expect(onEvent(rollback())).resolves.toEqual(handover(BYOASN_ID, { Goal: 'unchanged', Acted: false }));
      expectLog('WARN', `left ASN 64497 in ${IPAM_ID} (pending-provision) in place: the stack is UPDATE_IN_PROGRESS, not rolling back, so it is not this resource's; remove it with DeprovisionIpamByoasn if a failed update of this stack started it`);
      expectNoMutation();
    });

    test("leaves it, with a warning that names it, when the stack's status cannot be read", async () => {
      givenAsns(old, attempted('pending-provision'));
      cfn.on(DescribeStacksCommand).rejects(STACKS_DENIED());

      await expect(onEvent(rollback())).resolves.toEqual(handover(BYOASN_ID, { Goal: 'unchanged', Acted: false }));
      expectLog('WARN', `left ASN 64497 in ${IPAM_ID} (pending-provision) in place: the stack's status could not be read (AccessDenied: User is not authorized to perform: cloudformation:DescribeStacks); remove it with DeprovisionIpamByoasn if a failed update of this stack started it`);
    });

    test.each([
      ['absent', []],
      ['failed-provision', [attempted('failed-provision')]],
      ['deprovisioned', [attempted('deprovisioned')]],
    ])('has nothing to clean up when the new ASN is %s, and does not read the stack status', async (_, records) => {
      givenAsns(old, ...records);

      await expect(onEvent(rollback())).resolves.toEqual(handover(BYOASN_ID, { Goal: 'unchanged', Acted: false }));
      expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
      expectLog('INFO', `nothing of ASN 64497 in ${IPAM_ID}, the target of the previous properties, is left to clean up`);
      expectNoMutation();
    });
  });
});

// ===========================================================================================================
// DELETE
// ===========================================================================================================

describe('delete', () => {
  test("ignores a physical id that is not ours (the provider's create-failed marker)", async () => {
    const event = byoasnDelete(CREATE_FAILED_MARKER);

    const response = await onEvent(event);

    expect(response).toEqual({ PhysicalResourceId: CREATE_FAILED_MARKER });
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true });
    expect(ec2.calls()).toHaveLength(0);
    expect(cfn.calls()).toHaveLength(0);
  });

  test.each([
    ['absent', []],
    ['deprovisioned', [byoasn('deprovisioned')]],
    ['failed-provision', [byoasn('failed-provision')]],
    ['only in another IPAM', [byoasn('provisioned', { IpamId: OTHER_IPAM_ID })]],
  ])('deletes nothing, and completes at once, when the ASN is %s and the stack is not rolling back', async (_, records) => {
    givenAsns(...records);
    const event = byoasnDelete();

    const response = await onEvent(event);

    expect(response).toEqual({ PhysicalResourceId: BYOASN_ID });
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true });
    expectNoMutation();
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
    expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: STACK_ID });
  });

  test('deprovisions a provisioned ASN and hands over "deleted, acted"', async () => {
    givenAsns(byoasn('provisioned'));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    const response = await onEvent(byoasnDelete());

    expect(response).toEqual(handover(BYOASN_ID, { Goal: 'deleted', Acted: true }));
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(DeprovisionIpamByoasnCommand, { IpamId: IPAM_ID, Asn: ASN });
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
  });

  test('deletes by the physical id, not by the properties', async () => {
    givenAsns(byoasn('provisioned'));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    await onEvent(byoasnDelete(BYOASN_ID, { Asn: OTHER_ASN, IpamId: OTHER_IPAM_ID }));

    expect(ec2).toHaveReceivedCommandWith(DeprovisionIpamByoasnCommand, { IpamId: IPAM_ID, Asn: ASN });
  });

  test('does not validate the properties (a documentation ASN can always be deleted)', async () => {
    delete process.env[ALLOW_DOCUMENTATION_VALUES_ENV];
    givenAsns();

    await expect(onEvent(byoasnDelete(BYOASN_ID, { AuthorizationSignature: '' }))).resolves.toEqual({ PhysicalResourceId: BYOASN_ID });
  });

  test.each([
    ['expired', { AuthorizationMessage: EXPIRED }],
    ['for another ASN', { AuthorizationMessage: authorizationMessage(OTHER_ASN) }],
  ])('deprovisions with an authorization message that is %s', async (_, props) => {
    givenAsns(byoasn('provisioned'));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    await expect(onEvent(byoasnDelete(BYOASN_ID, props))).resolves.toEqual(handover(BYOASN_ID, { Goal: 'deleted', Acted: true }));
  });

  test('waits while the ASN is pending-provision, leaving the deprovisioning to isComplete (not acted)', async () => {
    givenAsns(byoasn('pending-provision'));

    await expect(onEvent(byoasnDelete())).resolves.toEqual(handover(BYOASN_ID, { Goal: 'deleted', Acted: false }));
    expectNoMutation();
    expectLog('INFO', `ASN 64496 in ${IPAM_ID} is pending-provision: waiting for that to end, then DeprovisionIpamByoasn`);
  });

  test('waits while the ASN is pending-deprovision, as if it had acted', async () => {
    givenAsns(byoasn('pending-deprovision'));

    await expect(onEvent(byoasnDelete())).resolves.toEqual(handover(BYOASN_ID, { Goal: 'deleted', Acted: true }));
    expectNoMutation();
  });

  test("fails on failed-deprovision with AWS's status message", async () => {
    givenAsns(byoasn('failed-deprovision', { StatusMessage: 'Internal failure' }));

    await expectError(onEvent(byoasnDelete()), removeFailedMessage('Internal failure'));
    expectNoMutation();
  });

  test('waits, with a warning, on an unknown state', async () => {
    givenAsns(byoasn('quarantined'));

    await expect(onEvent(byoasnDelete())).resolves.toEqual(handover(BYOASN_ID, { Goal: 'deleted', Acted: false }));
    expectNoMutation();
    expectLog('WARN', `ASN 64496 in ${IPAM_ID} is in unknown state 'quarantined'; waiting for a known one`);
  });

  test('leaves the deprovisioning to isComplete when the invocation has too little time left for the call and its retries', async () => {
    givenAsns(byoasn('provisioned'));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });
    const event = byoasnDelete();

    const response = await onEvent(event, withTimeLeft(60_000));

    expect(response).toEqual(handover(BYOASN_ID, { Goal: 'deleted', Acted: false }));
    expectNoMutation();
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 1);
  });

  describe('when AWS refuses to deprovision', () => {
    test.each([
      ['IncorrectState', 400],
      ['InvalidParameterValue', 400],
      ['InvalidParameter', 400],
      ['InvalidAsn.Associated', 400],
    ])('names the associated CIDRs (%s)', async (code, status) => {
      givenAsns(byoasn('provisioned'));
      givenCidrs(
        byoipCidr([association('associated')]),
        byoipCidr([association('pending-association', { Cidr: OTHER_CIDR }), association('associated', { Asn: OTHER_ASN, Cidr: OTHER_CIDR })], { Cidr: OTHER_CIDR }),
        byoipCidr([association('disassociated', { Cidr: '198.51.100.0/24' }), association('failed-association', { Cidr: '198.51.100.0/24' })], { Cidr: '198.51.100.0/24' }),
      );
      ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error(code, 'The ASN has associations.', status));

      await expectError(onEvent(byoasnDelete()),
        `Asn: cannot deprovision ASN 64496 from ${IPAM_ID}: it is still associated with 203.0.113.0/24 (associated), 2001:db8:1000::/48 (pending-association). Delete the ByoasnCidrAssociation resources of these CIDRs (or disassociate them with DisassociateIpamByoasn) first. AWS said: ${code}: The ASN has associations.`);
      expect(ec2).toHaveReceivedCommandWith(DescribeByoipCidrsCommand, { MaxResults: 100 });
    });

    test('reads every page of DescribeByoipCidrs to name them, and counts failed-disassociation as still associated', async () => {
      givenAsns(byoasn('provisioned'));
      const pages: Record<string, { ByoipCidrs: ByoipCidr[]; NextToken?: string }> = {
        '': { ByoipCidrs: [byoipCidr([], { Cidr: '198.51.100.0/24' })], NextToken: 'page-2' },
        'page-2': { ByoipCidrs: [byoipCidr([association('failed-disassociation')])] },
      };
      ec2.on(DescribeByoipCidrsCommand).callsFake((input: { NextToken?: string }) => pages[input.NextToken ?? '']);
      ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN has associations.'));

      await expectError(onEvent(byoasnDelete()), expect.stringContaining('it is still associated with 203.0.113.0/24 (failed-disassociation).'));
      expect(ec2).toHaveReceivedCommandTimes(DescribeByoipCidrsCommand, 2);
    });

    test("fails at once with AWS's message on a permanent refusal, without looking for associations", async () => {
      givenAsns(byoasn('provisioned'));
      ec2.on(DeprovisionIpamByoasnCommand).rejects(UNAUTHORIZED());

      await expectError(onEvent(byoasnDelete()), removeFailure('UnauthorizedOperation: You are not authorized to perform this operation.'));
      expect(ec2).toHaveReceivedCommandTimes(DescribeByoipCidrsCommand, 0);
    });

    test.each([
      ['pending-deprovision', [byoasn('pending-deprovision')]],
      ['deprovisioned', [byoasn('deprovisioned')]],
      ['absent', []],
    ])('takes the refusal as done or under way when a read shows the ASN %s', async (state, records) => {
      givenAsnsInTurn([byoasn('provisioned')], records);
      givenCidrs();
      ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is not provisioned.'));

      await expect(onEvent(byoasnDelete())).resolves.toEqual(handover(BYOASN_ID, { Goal: 'deleted', Acted: true }));
      expectLog('INFO', `ASN 64496 in ${IPAM_ID} is ${records.length ? state : 'not listed'} after all: its removal is done or under way`);
    });

    test.each([
      ['a single attempt', []],
      ['a throttled attempt', ['throttled' as const]],
    ])("fails with AWS's message when the ASN is still provisioned after %s", async (_, earlier) => {
      givenAsns(byoasn('provisioned'));
      givenCidrs();
      ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'no', 400, earlier.length + 1, earlier));

      await expectError(onEvent(byoasnDelete()), removeFailure('IncorrectState: no'));
    });

    test('hands over Refused when an earlier attempt was ambiguous and the ASN still reads provisioned', async () => {
      givenAsns(byoasn('provisioned'));
      givenCidrs();
      ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'already pending-deprovision', 400, 2, ['ambiguous']));

      await expect(onEvent(byoasnDelete())).resolves.toEqual(handover(BYOASN_ID, {
        Goal: 'deleted', Acted: true, Refused: removeFailure('IncorrectState: already pending-deprovision'),
      }));
      expectLog('WARN', `DeprovisionIpamByoasn failed (IncorrectState: already pending-deprovision) after an attempt that AWS may have applied; waiting for that request to become visible, at most ${WINDOW_S} s`);
    });

    test.each(PASSING_FAILURES.filter(([name]) => !name.startsWith('throttling')))('hands over Refused after %s', async (_, failure, text) => {
      givenAsns(byoasn('provisioned'));
      ec2.on(DeprovisionIpamByoasnCommand).rejects(failure());

      await expect(onEvent(byoasnDelete())).resolves.toEqual(handover(BYOASN_ID, { Goal: 'deleted', Acted: true, Refused: removeFailure(text) }));
    });
  });

  describe('while the stack rolls back', () => {
    test.each(['ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'])('hands over a confirmation of the absence when nothing is found in %s', async (status) => {
      givenStackStatus(status);
      givenAsns();

      await expect(onEvent(byoasnDelete())).resolves.toEqual(handover(BYOASN_ID, { Goal: 'deleted', Acted: false, ConfirmAbsence: true }));
      expectNoMutation();
      expectLog('INFO', `ASN 64496 in ${IPAM_ID} is not listed, and the stack is ${status}: re-reading for ${WINDOW_S} s in case it was created seconds ago`);
    });

    test.each(['DELETE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_FAILED'])('completes at once when nothing is found in %s', async (status) => {
      givenStackStatus(status);
      givenAsns();

      await expect(onEvent(byoasnDelete())).resolves.toEqual({ PhysicalResourceId: BYOASN_ID });
    });

    describe('isComplete, confirming the absence', () => {
      const confirming = handover(BYOASN_ID, { Goal: 'deleted', Acted: false, ConfirmAbsence: true });

      test('keeps re-reading while nothing is listed, until the window has passed', async () => {
        givenAsns(byoasn('deprovisioned'));

        clockAt(CONSISTENCY_WINDOW_MS - 1);
        await expect(poll(byoasnDelete(), confirming)).resolves.toEqual({ IsComplete: false });
        expectLog('INFO', `ASN 64496 in ${IPAM_ID} is still not listed; re-reading until ${WINDOW_S} s have passed`);
        clockAt(CONSISTENCY_WINDOW_MS);
        await expect(poll(byoasnDelete(), confirming)).resolves.toEqual({ IsComplete: true });
        expectNoMutation();
      });

      test('deprovisions the ASN when it shows up provisioned, and waits until it is gone and the window has passed', async () => {
        givenAsnsInTurn([byoasn('provisioned')], [byoasn('pending-deprovision')], [byoasn('deprovisioned')]);
        ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });
        const event = byoasnDelete();

        clockAt(20_000);
        await expect(poll(event, confirming)).resolves.toEqual({ IsComplete: false });
        expect(ec2).toHaveReceivedCommandWith(DeprovisionIpamByoasnCommand, { IpamId: IPAM_ID, Asn: ASN });
        clockAt(40_000);
        await expect(poll(event, confirming)).resolves.toEqual({ IsComplete: false });
        clockAt(60_000);
        await expect(poll(event, confirming)).resolves.toEqual({ IsComplete: false });
        clockAt(CONSISTENCY_WINDOW_MS);
        await expect(poll(event, confirming)).resolves.toEqual({ IsComplete: true });
        expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 1);
      });

      test('waits for an ASN that shows up pending-provision, then deprovisions it', async () => {
        givenAsnsInTurn([byoasn('pending-provision')], [byoasn('provisioned')]);
        ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

        await expect(poll(byoasnDelete(), confirming)).resolves.toEqual({ IsComplete: false });
        expectNoMutation();
        await expect(poll(byoasnDelete(), confirming)).resolves.toEqual({ IsComplete: false });
        expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 1);
      });
    });

    describe("when the stack's status cannot be read", () => {
      const asking = handover(BYOASN_ID, { Goal: 'deleted', Acted: false, Ask: 'confirm-if-rolling-back' });

      test('onEvent hands the question over when DescribeStacks fails for a passing reason', async () => {
        givenAsns();
        cfn.on(DescribeStacksCommand).rejects(STACKS_THROTTLED());

        await expect(onEvent(byoasnDelete())).resolves.toEqual(asking);
        expectLog('WARN', "could not read the stack's status (Throttling: Rate exceeded); isComplete asks again");
      });

      test('onEvent takes the ASN as absent, with a warning, when DescribeStacks is denied (never assume a rollback)', async () => {
        givenAsns();
        cfn.on(DescribeStacksCommand).rejects(STACKS_DENIED());

        await expect(onEvent(byoasnDelete())).resolves.toEqual({ PhysicalResourceId: BYOASN_ID });
        expectLog('WARN', `could not read the stack's status (AccessDenied: User is not authorized to perform: cloudformation:DescribeStacks); taking ASN 64496 in ${IPAM_ID} as absent`);
      });

      test('isComplete re-reads for the window when the stack is rolling back', async () => {
        givenStackStatus('ROLLBACK_IN_PROGRESS');
        givenAsns();

        clockAt(CONSISTENCY_WINDOW_MS - 1);
        await expect(poll(byoasnDelete(), asking)).resolves.toEqual({ IsComplete: false });
        clockAt(CONSISTENCY_WINDOW_MS);
        await expect(poll(byoasnDelete(), asking)).resolves.toEqual({ IsComplete: true });
      });

      test('isComplete completes at once when the stack is not rolling back', async () => {
        givenAsns();

        await expect(poll(byoasnDelete(), asking)).resolves.toEqual({ IsComplete: true });
        expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: STACK_ID });
      });

      test('isComplete deprovisions an ASN that shows up provisioned when the stack is rolling back', async () => {
        givenStackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
        givenAsns(byoasn('provisioned'));
        ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

        await expect(poll(byoasnDelete(), asking)).resolves.toEqual({ IsComplete: false });
        expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 1);
      });

      test('isComplete polls again while DescribeStacks still fails for a passing reason', async () => {
        givenAsns();
        cfn.on(DescribeStacksCommand).rejects(STACKS_THROTTLED());

        await expect(poll(byoasnDelete(), asking)).resolves.toEqual({ IsComplete: false });
      });
    });
  });
});

describe('isComplete after delete', () => {
  const deprovisioning = handover(BYOASN_ID, { Goal: 'deleted', Acted: true });
  const waited = handover(BYOASN_ID, { Goal: 'deleted', Acted: false });

  test.each([
    ['deprovisioned', [byoasn('deprovisioned')]],
    ['absent', []],
    ['failed-provision', [byoasn('failed-provision')]],
  ])('completes once the ASN is %s', async (_, records) => {
    givenAsns(...records);

    await expect(poll(byoasnDelete(), deprovisioning)).resolves.toEqual({ IsComplete: true });
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
  });

  test.each(['pending-deprovision', 'pending-provision'])('keeps waiting while the ASN is %s', async (state) => {
    givenAsns(byoasn(state));

    await expect(poll(byoasnDelete(), deprovisioning)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test('keeps waiting, without deprovisioning twice, while our request is not visible yet', async () => {
    givenAsns(byoasn('provisioned'));

    await expect(poll(byoasnDelete(), deprovisioning)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test("fails with AWS's status message on failed-deprovision", async () => {
    givenAsns(byoasn('failed-deprovision', { StatusMessage: 'The ASN is associated with a CIDR.' }));

    await expectError(poll(byoasnDelete(), deprovisioning), removeFailedMessage('The ASN is associated with a CIDR.'));
  });

  test('keeps waiting, with a warning, on an unknown state', async () => {
    givenAsns(byoasn('quarantined'));

    await expect(poll(byoasnDelete(), deprovisioning)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
    expectLog('WARN', `ASN 64496 in ${IPAM_ID} is in unknown state 'quarantined'; waiting for a known one`);
  });

  test('deprovisions once a provisioning that onEvent waited for has ended', async () => {
    givenAsns(byoasn('provisioned'));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    await expect(poll(byoasnDelete(), waited)).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandWith(DeprovisionIpamByoasnCommand, { IpamId: IPAM_ID, Asn: ASN });
  });

  test('deprovisions with an expired authorization message', async () => {
    givenAsns(byoasn('provisioned'));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    await expect(poll(byoasnDelete(BYOASN_ID, { AuthorizationMessage: EXPIRED }), waited)).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 1);
  });

  test('keeps waiting when AWS refuses the deprovisioning with IncorrectState: an earlier poll made it already', async () => {
    // This poll still reads "provisioned", but an earlier poll's DeprovisionIpamByoasn is under way.
    givenAsns(byoasn('provisioned'));
    givenCidrs();
    ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN 64496 is already pending-deprovision.'));

    await expect(poll(byoasnDelete(), waited)).resolves.toEqual({ IsComplete: false });
    expectLog('WARN', 'DeprovisionIpamByoasn was refused (IncorrectState: The ASN 64496 is already pending-deprovision.): most likely the request of an earlier poll, not visible yet; waiting for it');
  });

  test.each([
    ['UnauthorizedOperation', 403],
    ['InvalidParameterValue', 400],
  ])('fails at once when the deprovisioning is refused with %s', async (code, status) => {
    givenAsns(byoasn('provisioned'));
    // No association blocks it: what blocks a removal is looked up before a parameter refusal is reported.
    givenCidrs();
    ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error(code, 'refused', status));

    await expectError(poll(byoasnDelete(), waited), `Asn: could not remove ASN 64496 in ${IPAM_ID}: DeprovisionIpamByoasn failed with ${code}: refused`);
  });

  test('still fails, naming them, when associations block the deprovisioning that onEvent waited to make', async () => {
    givenAsns(byoasn('provisioned'));
    givenCidrs(byoipCidr([association('associated')]));
    ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN has associations.'));

    await expectError(poll(byoasnDelete(), waited),
      `Asn: cannot deprovision ASN 64496 from ${IPAM_ID}: it is still associated with 203.0.113.0/24 (associated). Delete the ByoasnCidrAssociation resources of these CIDRs (or disassociate them with DisassociateIpamByoasn) first. AWS said: IncorrectState: The ASN has associations.`);
  });

  test('completes at once when onEvent found nothing to delete', async () => {
    await expect(poll(byoasnDelete(), { PhysicalResourceId: BYOASN_ID })).resolves.toEqual({ IsComplete: true });
    expect(ec2.calls()).toHaveLength(0);
    expect(cfn.calls()).toHaveLength(0);
  });

  describe('after a refusal that may be about our own request (Refused)', () => {
    const message = removeFailure('IncorrectState: already pending-deprovision');
    const refused = handover(BYOASN_ID, { Goal: 'deleted', Acted: true, Refused: message });

    test('waits, without deprovisioning again, while the ASN still reads provisioned within the window', async () => {
      clockAt(CONSISTENCY_WINDOW_MS - 1);
      givenAsns(byoasn('provisioned'));

      await expect(poll(byoasnDelete(), refused)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
    });

    test('completes once the ASN is gone', async () => {
      clockAt(10_000);
      givenAsns(byoasn('deprovisioned'));

      await expect(poll(byoasnDelete(), refused)).resolves.toEqual({ IsComplete: true });
    });

    test('fails with the saved message once the window has passed and the ASN still reads provisioned', async () => {
      clockAt(CONSISTENCY_WINDOW_MS);
      givenAsns(byoasn('provisioned'));

      await expectError(poll(byoasnDelete(), refused), `${message}${NOT_VISIBLE}`);
      expectNoMutation();
    });
  });
});

// ===========================================================================================================
// Passing failures while waiting
// ===========================================================================================================

describe('a read that fails in isComplete', () => {
  test.each(PASSING_FAILURES)('answers "not complete", with a warning, after %s (create)', async (_, failure, text) => {
    ec2.on(DescribeIpamByoasnCommand).rejects(failure());

    await expect(poll(byoasnCreate(), handover(BYOASN_ID, { Goal: 'created', Acted: true }))).resolves.toEqual({ IsComplete: false });
    expectLog('WARN', `a call failed for a passing reason (${text}); polling again`);
  });

  test.each(PASSING_FAILURES)('answers "not complete" after %s (delete)', async (_, failure) => {
    ec2.on(DescribeIpamByoasnCommand).rejects(failure());

    await expect(poll(byoasnDelete(), handover(BYOASN_ID, { Goal: 'deleted', Acted: true }))).resolves.toEqual({ IsComplete: false });
  });

  test.each(PASSING_FAILURES)('answers "not complete" after %s (in-place update)', async (_, failure) => {
    ec2.on(DescribeIpamByoasnCommand).rejects(failure());

    await expect(poll(byoasnUpdate({}), handover(BYOASN_ID, { Goal: 'unchanged', Acted: false }))).resolves.toEqual({ IsComplete: false });
  });

  test('answers "not complete" when the read that explains a refused deprovisioning fails for a passing reason', async () => {
    givenAsns(byoasn('provisioned'));
    ec2.on(DescribeByoipCidrsCommand).rejects(networkError());
    ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN has associations.'));

    await expect(poll(byoasnDelete(), handover(BYOASN_ID, { Goal: 'deleted', Acted: false }))).resolves.toEqual({ IsComplete: false });
  });

  test.each([
    ['create', byoasnCreate(), handover(BYOASN_ID, { Goal: 'created', Acted: true })],
    ['delete', byoasnDelete(), handover(BYOASN_ID, { Goal: 'deleted', Acted: true })],
  ])('fails at once on a permanent error (UnauthorizedOperation, 403) (%s)', async (_, event, response) => {
    ec2.on(DescribeIpamByoasnCommand).rejects(UNAUTHORIZED());

    await expectError(poll(event, response), 'Asn: UnauthorizedOperation: You are not authorized to perform this operation.');
  });

  test('fails in onEvent, where the framework retries nothing and nothing has been done yet', async () => {
    ec2.on(DescribeIpamByoasnCommand).rejects(ec2Error('InternalError', 'An internal error has occurred.', 500));

    await expectError(onEvent(byoasnCreate()), 'Asn: InternalError: An internal error has occurred.');
    expectNoMutation();
  });
});

// ===========================================================================================================
// One row per ASN state
// ===========================================================================================================

describe('every ASN state', () => {
  const STATES = ['pending-provision', 'provisioned', 'failed-provision', 'pending-deprovision', 'deprovisioned', 'failed-deprovision', 'quarantined'];

  /** What onEvent did: refused, answered without a handover, or handed over (goal, acted). */
  const outcomeOf = (promise: Promise<OnEventResponse>) => promise.then(
    (r) => (r.Next ? `${r.Next.Goal}, ${r.Next.Acted ? 'acted' : 'not acted'}` : 'nothing to do'),
    () => 'refuses');
  const pollOutcome = (promise: Promise<IsCompleteResponse>) => promise.then((r) => (r.IsComplete ? 'completes' : 'waits'), () => 'fails');

  test('the table covers every state of the SDK', () => {
    expect(STATES.slice(0, -1).sort()).toEqual(Object.values(AsnState).sort());
  });

  test.each([
    // state, what onEvent does, ProvisionIpamByoasn calls
    ['pending-provision', 'created, acted', 0],
    ['provisioned', 'refuses', 0],
    ['failed-provision', 'created, acted', 1],
    ['pending-deprovision', 'created, not acted', 0],
    ['deprovisioned', 'created, acted', 1],
    ['failed-deprovision', 'refuses', 0],
    ['quarantined', 'refuses', 0],
  ])('create when the ASN is %s: onEvent hands over %s, provisioning %i time(s)', async (state, outcome, provisions) => {
    givenAsns(byoasn(state));
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

    await expect(outcomeOf(onEvent(byoasnCreate()))).resolves.toBe(outcome);
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, provisions);
  });

  test.each([
    // state, what isComplete answers after our provisioning
    ['pending-provision', 'waits'],
    ['provisioned', 'completes'],
    ['failed-provision', 'fails'],
    ['pending-deprovision', 'waits'],
    ['deprovisioned', 'waits'],
    ['failed-deprovision', 'fails'],
    ['quarantined', 'waits'],
  ])('isComplete after create (acted) when the ASN is %s: %s', async (state, outcome) => {
    givenAsns(byoasn(state));

    await expect(pollOutcome(poll(byoasnCreate(), handover(BYOASN_ID, { Goal: 'created', Acted: true })))).resolves.toBe(outcome);
    expectNoMutation();
  });

  test.each([
    // state, what isComplete answers after onEvent waited, ProvisionIpamByoasn calls
    ['pending-provision', 'waits', 0],
    ['provisioned', 'completes', 0],
    ['failed-provision', 'fails', 0],
    ['pending-deprovision', 'waits', 0],
    ['deprovisioned', 'waits', 1],
    ['failed-deprovision', 'fails', 0],
    ['quarantined', 'waits', 0],
  ])('isComplete after create (not acted) when the ASN is %s: %s, provisioning %i time(s)', async (state, outcome, provisions) => {
    givenAsns(byoasn(state));
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

    await expect(pollOutcome(poll(byoasnCreate(), handover(BYOASN_ID, { Goal: 'created', Acted: false })))).resolves.toBe(outcome);
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, provisions);
  });

  test.each([
    // state, what onEvent does, DeprovisionIpamByoasn calls
    ['pending-provision', 'deleted, not acted', 0],
    ['provisioned', 'deleted, acted', 1],
    ['failed-provision', 'nothing to do', 0],
    ['pending-deprovision', 'deleted, acted', 0],
    ['deprovisioned', 'nothing to do', 0],
    ['failed-deprovision', 'refuses', 0],
    ['quarantined', 'deleted, not acted', 0],
  ])('delete when the ASN is %s: onEvent hands over %s, deprovisioning %i time(s)', async (state, outcome, deprovisions) => {
    givenAsns(byoasn(state));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    await expect(outcomeOf(onEvent(byoasnDelete()))).resolves.toBe(outcome);
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, deprovisions);
  });

  test.each([
    // state, what isComplete answers after our deprovisioning
    ['pending-provision', 'waits'],
    ['provisioned', 'waits'],
    ['failed-provision', 'completes'],
    ['pending-deprovision', 'waits'],
    ['deprovisioned', 'completes'],
    ['failed-deprovision', 'fails'],
    ['quarantined', 'waits'],
  ])('isComplete after delete (acted) when the ASN is %s: %s', async (state, outcome) => {
    givenAsns(byoasn(state));

    await expect(pollOutcome(poll(byoasnDelete(), handover(BYOASN_ID, { Goal: 'deleted', Acted: true })))).resolves.toBe(outcome);
    expectNoMutation();
  });

  test.each([
    // state, what isComplete answers after onEvent waited, DeprovisionIpamByoasn calls
    ['pending-provision', 'waits', 0],
    ['provisioned', 'waits', 1],
    ['failed-provision', 'completes', 0],
    ['pending-deprovision', 'waits', 0],
    ['deprovisioned', 'completes', 0],
    ['failed-deprovision', 'fails', 0],
    ['quarantined', 'waits', 0],
  ])('isComplete after delete (not acted) when the ASN is %s: %s, deprovisioning %i time(s)', async (state, outcome, deprovisions) => {
    givenAsns(byoasn(state));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    await expect(pollOutcome(poll(byoasnDelete(), handover(BYOASN_ID, { Goal: 'deleted', Acted: false })))).resolves.toBe(outcome);
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, deprovisions);
  });
});

// ===========================================================================================================
// Lingering records beside the live one
// ===========================================================================================================

describe('a lingering record listed before the live one', () => {
  // AWS lists deprovisioned and failed-provision records for 7 days, beside the live record of the same ASN and
  // IPAM, in no documented order: the live one wins.
  const severalMatch = (states: string[]) => expect(logs.records()).toContainEqual(expect.objectContaining({
    level: 'INFO', message: `${states.length} records match ASN 64496 in ${IPAM_ID}; the live one wins`, states,
  }));

  test.each([
    ['deprovisioned', 'provisioned'],
    ['failed-provision', 'provisioned'],
  ])('create refuses the live ASN behind a %s record (%s)', async (lingering, live) => {
    givenAsns(byoasn(lingering), byoasn(live));

    await expectError(onEvent(byoasnCreate()), existsMessage(ASN, live));
    expectNoMutation();
    severalMatch([lingering, live]);
  });

  test('create adopts the live ASN behind a lingering record, and isComplete completes with it', async () => {
    givenAsns(byoasn('failed-provision', { StatusMessage: 'old failure' }), byoasn('provisioned'));
    const event = byoasnCreate({ AdoptExisting: 'true' });

    const response = await onEvent(event);

    expect(response).toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: true }));
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
    expectNoMutation();
  });

  test.each([
    ['pending-provision', 'created, acted'],
    ['pending-deprovision', 'created, not acted'],
  ])('create waits for a live %s ASN behind a deprovisioned record, without provisioning', async (live, expected) => {
    givenAsns(byoasn('deprovisioned'), byoasn(live));

    const response = await onEvent(byoasnCreate());

    expect(`${response.Next?.Goal}, ${response.Next?.Acted ? 'acted' : 'not acted'}`).toBe(expected);
    expectNoMutation();
  });

  test('create refuses a failed-deprovision ASN behind a failed-provision record', async () => {
    givenAsns(byoasn('failed-provision', { StatusMessage: 'old' }), byoasn('failed-deprovision', { StatusMessage: 'stuck' }));

    await expectError(onEvent(byoasnCreate()), blockedMessage('stuck'));
  });

  test('create refuses an ASN live in another IPAM beside a lingering record in this one', async () => {
    givenAsns(byoasn('deprovisioned'), byoasn('provisioned', { IpamId: OTHER_IPAM_ID }));

    await expectError(onEvent(byoasnCreate()), anotherIpamMessage('provisioned'));
    expectNoMutation();
  });

  test.each([
    ['deprovisioned', 'provisioned', 1],
    ['failed-provision', 'provisioned', 1],
    ['deprovisioned', 'pending-deprovision', 0],
  ])('delete acts on the live ASN behind a %s record (%s), deprovisioning %i time(s)', async (lingering, live, deprovisions) => {
    givenAsns(byoasn(lingering), byoasn(live));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    await expect(onEvent(byoasnDelete())).resolves.toEqual(handover(BYOASN_ID, { Goal: 'deleted', Acted: true }));
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, deprovisions);
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
    severalMatch([lingering, live]);
  });

  test('delete fails on a failed-deprovision ASN behind a deprovisioned record', async () => {
    givenAsns(byoasn('deprovisioned'), byoasn('failed-deprovision', { StatusMessage: 'stuck' }));

    await expectError(onEvent(byoasnDelete()), removeFailedMessage('stuck'));
  });

  test('isComplete after create completes with the live ASN behind a failed-provision record', async () => {
    givenAsns(byoasn('failed-provision', { StatusMessage: 'old failure' }), byoasn('provisioned'));

    await expect(poll(byoasnCreate(), handover(BYOASN_ID, { Goal: 'created', Acted: true }))).resolves.toEqual({ IsComplete: true, Data: provisionedData });
    severalMatch(['failed-provision', 'provisioned']);
  });

  test('isComplete after delete keeps waiting for the live ASN behind a deprovisioned record', async () => {
    givenAsns(byoasn('deprovisioned'), byoasn('pending-deprovision'));

    await expect(poll(byoasnDelete(), handover(BYOASN_ID, { Goal: 'deleted', Acted: true }))).resolves.toEqual({ IsComplete: false });
  });

  test('takes the first record when all are lingering', async () => {
    givenAsns(byoasn('deprovisioned'), byoasn('failed-provision', { StatusMessage: 'old' }));
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

    await expect(onEvent(byoasnCreate())).resolves.toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: true }));
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
  });
});

// ===========================================================================================================
// A failed-provision record that lingers from an earlier attempt
// ===========================================================================================================

describe('a failed-provision record that lingers from an earlier attempt', () => {
  // After our ProvisionIpamByoasn, the eventually consistent DescribeIpamByoasn may still show the old failed
  // record for a while: that must not fail a deployment that succeeds.
  const OLD_MESSAGE = 'The certificate in the RIR record does not match the signature.';
  const lingering = byoasn('failed-provision', { StatusMessage: OLD_MESSAGE });
  const superseding = handover(BYOASN_ID, { Goal: 'created', Acted: true, Superseded: { State: 'failed-provision', StatusMessage: OLD_MESSAGE } });

  describe('onEvent', () => {
    test('hands over the record it provisioned over as Next.Superseded, never in Data', async () => {
      givenAsns(lingering);
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

      const response = await onEvent(byoasnCreate());

      expect(response).toEqual(superseding);
      expect(response).not.toHaveProperty('Data');
      expect(response).not.toHaveProperty('Superseded');
      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
    });

    test.each([
      ['absent', []],
      ['deprovisioned', [byoasn('deprovisioned', { StatusMessage: 'old record' })]],
      ['failed-provision only in another IPAM', [byoasn('failed-provision', { IpamId: OTHER_IPAM_ID, StatusMessage: OLD_MESSAGE })]],
    ])('hands over no Superseded when the ASN was %s', async (_, records) => {
      givenAsns(...records);
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

      await expect(onEvent(byoasnCreate())).resolves.toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: true }));
    });

    test('hands over Superseded with Refused when a refusal after an ambiguous attempt may be about our own request', async () => {
      givenAsns(lingering);
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is already provisioned.', 400, 2, ['ambiguous']));

      await expect(onEvent(byoasnCreate())).resolves.toEqual(handover(BYOASN_ID, {
        Goal: 'created', Acted: true, Superseded: superseding.Next?.Superseded, Refused: createFailure('IncorrectState: The ASN is already provisioned.'),
      }));
    });

    test('keeps the signature out of Superseded when the old status message quotes it', async () => {
      givenAsns(byoasn('failed-provision', { StatusMessage: `Signature ${SIGNATURE} does not verify.` }));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

      const response = await onEvent(byoasnCreate());

      expect(response.Next?.Superseded).toEqual({ State: 'failed-provision', StatusMessage: 'Signature *** does not verify.' });
      expect(JSON.stringify(response)).not.toContain(SIGNATURE);
    });

    test('caps the status message of Superseded', async () => {
      givenAsns(byoasn('failed-provision', { StatusMessage: 'Ünverifiable signature. '.repeat(3000) }));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

      const response = await onEvent(byoasnCreate());

      expect(Buffer.byteLength(response.Next?.Superseded?.StatusMessage ?? '')).toBeLessThanOrEqual(MAX_AWS_TEXT_BYTES);
      expect(response.Next?.Superseded?.StatusMessage).toMatch(/^Ünverifiable signature\. .*…$/);
    });

    test('hands over Superseded when a replacement provisions the new ASN over its failed record', async () => {
      givenAsns(byoasn('provisioned'), byoasn('failed-provision', { Asn: OTHER_ASN, StatusMessage: OLD_MESSAGE }));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision', { Asn: OTHER_ASN }) });

      await expect(onEvent(byoasnUpdate({ Asn: OTHER_ASN }, {}))).resolves.toEqual(handover(NEW_ID, {
        Goal: 'created', Acted: true, Superseded: { State: 'failed-provision', StatusMessage: OLD_MESSAGE },
      }));
    });
  });

  describe('isComplete after create', () => {
    test('keeps waiting, without failing, while it reads the old record within the window', async () => {
      clockAt(30_000);
      givenAsns(lingering);

      await expect(poll(byoasnCreate(), superseding)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
      expectLog('INFO', `ASN 64496 in ${IPAM_ID} is failed-provision with the status message of the record from before our ProvisionIpamByoasn call 30 s ago: it looks like that old record (the Describe calls are eventually consistent); waiting for the new one`);
    });

    test('still waits a millisecond before the window ends', async () => {
      clockAt(CONSISTENCY_WINDOW_MS - 1);
      givenAsns(lingering);

      await expect(poll(byoasnCreate(), superseding)).resolves.toEqual({ IsComplete: false });
    });

    test("fails with AWS's status message on the same record once the window has passed", async () => {
      clockAt(CONSISTENCY_WINDOW_MS);
      givenAsns(lingering);

      await expectError(poll(byoasnCreate(), superseding), `Asn: AWS could not provision ASN 64496 in ${IPAM_ID}: ${OLD_MESSAGE}`);
      expectLog('INFO', `ASN 64496 in ${IPAM_ID} is failed-provision with the status message of the record from before our ProvisionIpamByoasn call, but ${WINDOW_S} s have passed: taking it as a new failure`);
    });

    test('fails at once on a failed-provision with a different status message', async () => {
      clockAt(1_000);
      givenAsns(byoasn('failed-provision', { StatusMessage: 'The ASN is not registered to the certificate in the RIR record.' }));

      await expectError(poll(byoasnCreate(), superseding),
        `Asn: AWS could not provision ASN 64496 in ${IPAM_ID}: The ASN is not registered to the certificate in the RIR record.`);
    });

    test('fails at once without Superseded (onEvent provisioned over no failed record)', async () => {
      clockAt(1_000);
      givenAsns(lingering);

      await expectError(poll(byoasnCreate(), handover(BYOASN_ID, { Goal: 'created', Acted: true })),
        `Asn: AWS could not provision ASN 64496 in ${IPAM_ID}: ${OLD_MESSAGE}`);
    });

    test('fails at once when Next is not of the expected shape (its At is not a number)', async () => {
      clockAt(1_000);
      givenAsns(lingering);
      const malformed = { PhysicalResourceId: BYOASN_ID, Next: { ...superseding.Next, At: String(T0) } } as unknown as OnEventResponse;

      await expectError(poll(byoasnCreate(), malformed), `Asn: AWS could not provision ASN 64496 in ${IPAM_ID}: ${OLD_MESSAGE}`);
    });

    test('fails at once on failed-deprovision, whatever its status message', async () => {
      clockAt(1_000);
      givenAsns(byoasn('failed-deprovision', { StatusMessage: OLD_MESSAGE }));

      await expectError(poll(byoasnCreate(), superseding), blockedMessage(OLD_MESSAGE));
    });

    test('recognises the old record by its scrubbed and capped status message', async () => {
      const quoting = `Signature ${SIGNATURE} does not verify. ${'Ünverifiable. '.repeat(3000)}`;
      givenAsns(byoasn('failed-provision', { StatusMessage: quoting }));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });
      const event = byoasnCreate();
      const response = await onEvent(event);
      clockAt(10_000);

      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      expect(JSON.stringify(response)).not.toContain(SIGNATURE.slice(0, 40));
      expect(logs.records().filter((record) => String(record.message).includes('it looks like that old record'))).toHaveLength(1);
      expect(logs.text()).not.toContain(SIGNATURE.slice(0, 40));
    });

    test('completes, with nothing of the handover in Data, once the stale reads give way to the new record', async () => {
      // The redeployment of the bug report: onEvent provisions over the lingering record, the first isComplete
      // read still shows it, later reads show the new record.
      givenAsnsInTurn([lingering], [lingering], [byoasn('pending-provision')], [byoasn('provisioned')]);
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });
      const event = byoasnCreate();
      const response = await onEvent(event);

      clockAt(10_000);
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      clockAt(20_000);
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      clockAt(30_000);
      const done = await poll(event, response);

      expect(done).toEqual({ IsComplete: true, Data: provisionedData });
      const body = cloudFormationSuccessBody(event, BYOASN_ID, { ...response.Data, ...done.Data });
      expect(body).not.toContain('Superseded');
      expect(body).not.toContain('Goal');
      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
    });
  });

  describe('isComplete after a replacement', () => {
    const oldRecord = byoasn('failed-provision', { Asn: OTHER_ASN, StatusMessage: OLD_MESSAGE });
    const replacing = handover(NEW_ID, { Goal: 'created', Acted: true, Superseded: { State: 'failed-provision', StatusMessage: OLD_MESSAGE } });

    test('keeps waiting while it reads the old record of the new ASN within the window', async () => {
      clockAt(30_000);
      givenAsns(byoasn('provisioned'), oldRecord);

      await expect(poll(byoasnUpdate({ Asn: OTHER_ASN }, {}), replacing)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
    });

    test("fails with AWS's status message on the same record once the window has passed", async () => {
      clockAt(CONSISTENCY_WINDOW_MS + 10_000);
      givenAsns(byoasn('provisioned'), oldRecord);

      await expectError(poll(byoasnUpdate({ Asn: OTHER_ASN }, {}), replacing), `Asn: AWS could not provision ASN 64497 in ${IPAM_ID}: ${OLD_MESSAGE}`);
    });

    test('fails at once on a failed-provision with a different status message', async () => {
      clockAt(1_000);
      givenAsns(byoasn('provisioned'), byoasn('failed-provision', { Asn: OTHER_ASN, StatusMessage: 'no RIR record' }));

      await expectError(poll(byoasnUpdate({ Asn: OTHER_ASN }, {}), replacing), `Asn: AWS could not provision ASN 64497 in ${IPAM_ID}: no RIR record`);
    });

    test('fails at once without Superseded', async () => {
      clockAt(1_000);
      givenAsns(byoasn('provisioned'), oldRecord);

      await expectError(poll(byoasnUpdate({ Asn: OTHER_ASN }, {}), handover(NEW_ID, { Goal: 'created', Acted: true })),
        `Asn: AWS could not provision ASN 64497 in ${IPAM_ID}: ${OLD_MESSAGE}`);
    });
  });
});

// ===========================================================================================================
// An operation in flight across an upgrade (isComplete events of the previous version: Data.State, no Next)
// ===========================================================================================================

describe('an isComplete event without Next, from the previous version', () => {
  const legacy = (state: string): OnEventResponse => ({ PhysicalResourceId: BYOASN_ID, Data: dataOf(state) });

  test('a create completes once the ASN is provisioned', async () => {
    givenAsns(byoasn('provisioned'));

    await expect(poll(byoasnCreate(), legacy('pending-provision'))).resolves.toEqual({ IsComplete: true, Data: provisionedData });
  });

  test('a create waits, without provisioning, while the ASN is pending or not visible', async () => {
    givenAsnsInTurn([byoasn('pending-provision')], []);

    await expect(poll(byoasnCreate(), legacy('pending-provision'))).resolves.toEqual({ IsComplete: false });
    await expect(poll(byoasnCreate(), legacy('pending-provision'))).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test("a create fails with AWS's status message on failed-provision", async () => {
    givenAsns(byoasn('failed-provision', { StatusMessage: 'no RIR record' }));

    await expectError(poll(byoasnCreate(), legacy('pending-provision')), `Asn: AWS could not provision ASN 64496 in ${IPAM_ID}: no RIR record`);
  });

  test('an in-place update (no Data) reports the attributes', async () => {
    givenAsns(byoasn('provisioned'));

    await expect(poll(byoasnUpdate({ AdoptExisting: 'true' }), { PhysicalResourceId: BYOASN_ID })).resolves.toEqual({ IsComplete: true, Data: provisionedData });
    expectNoMutation();
  });

  test('a delete waits while the deprovisioning goes on, and completes once the ASN is gone', async () => {
    givenAsnsInTurn([byoasn('pending-deprovision')], [byoasn('deprovisioned')]);

    await expect(poll(byoasnDelete(), legacy('pending-deprovision'))).resolves.toEqual({ IsComplete: false });
    await expect(poll(byoasnDelete(), legacy('pending-deprovision'))).resolves.toEqual({ IsComplete: true });
    expectNoMutation();
  });

  test('a delete that found nothing (no Data) completes at once, without a call', async () => {
    await expect(poll(byoasnDelete(), { PhysicalResourceId: BYOASN_ID })).resolves.toEqual({ IsComplete: true });
    expect(ec2.calls()).toHaveLength(0);
    expect(cfn.calls()).toHaveLength(0);
  });
});

// ===========================================================================================================
// The response size (CloudFormation refuses a response over 4096 bytes)
// ===========================================================================================================

describe('the response to CloudFormation', () => {
  test('stays under 4096 bytes on success when the status message is huge, with StatusMessage capped in Data', async () => {
    const huge = 'The RIR record could not be verified. '.repeat(3000);
    givenAsns(byoasn('provisioned', { StatusMessage: huge }));
    const event = byoasnCreate();
    const created = handover(BYOASN_ID, { Goal: 'created', Acted: true });

    const response = await poll(event, created);

    const body = cloudFormationSuccessBody(event, BYOASN_ID, { ...created.Data, ...response.Data });
    expect(Buffer.byteLength(body)).toBeLessThan(4096);
    expect(Buffer.byteLength(JSON.stringify(response.Data))).toBeLessThanOrEqual(MAX_DATA_BYTES);
    expect(response.Data?.StatusMessage).toMatch(/^The RIR record could not be verified\. .*…$/);
  });

  test('stays under 4096 bytes when isComplete fails on a huge status message, with the Data the framework sends (none from onEvent)', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });
    const request = byoasnCreate();
    const response = await onEvent(request);
    expect(response).not.toHaveProperty('Data');
    givenAsns(byoasn('failed-provision', { StatusMessage: 'Ünverifiable "signature".\n'.repeat(3000) }));
    const event = isCompleteEvent(request, response);

    const error = await isComplete(event).catch((e: Error) => e);

    expect(error).toBeInstanceOf(Error);
    expect(Buffer.byteLength(failureBody(event, BYOASN_ID, error as Error))).toBeLessThan(4096);
    expect((error as Error).message).toMatch(/^Asn: AWS could not provision ASN 64496 in ipam-0123456789abcdef0: Ünverifiable "signature"\. Ünverifiable [^\n]*…$/);
  });

  test('stays under 4096 bytes when a saved refusal with a huge AWS message fails after the window', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is busy. '.repeat(2000), 400, 2, ['ambiguous']));
    const request = byoasnCreate();
    const response = await onEvent(request);
    expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThan(2048);
    const event = isCompleteEvent(request, response);
    clockAt(CONSISTENCY_WINDOW_MS);

    const error = await isComplete(event).catch((e: Error) => e);

    expect((error as Error).message).toMatch(/^Asn: could not create ASN 64496 in ipam-0123456789abcdef0: ProvisionIpamByoasn failed with IncorrectState: The ASN is busy\. .*…/);
    expect(Buffer.byteLength(failureBody(event, BYOASN_ID, error as Error))).toBeLessThan(4096);
  });

  test('stays under 4096 bytes when onEvent fails naming hundreds of blocking associations', async () => {
    givenAsns(byoasn('provisioned'));
    givenCidrs(...Array.from({ length: 300 }, (_, i) => byoipCidr([association('associated', { Cidr: `10.${Math.floor(i / 250)}.${i % 250}.0/24` })], { Cidr: `10.${Math.floor(i / 250)}.${i % 250}.0/24` })));
    ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN has associations.'));
    const event = byoasnDelete();

    const error = await onEvent(event).catch((e: Error) => e);

    expect((error as Error).message).toMatch(/^Asn: cannot deprovision ASN 64496 from ipam-0123456789abcdef0: it is still associated with 10\.0\.0\.0\/24 \(associated\), /);
    expect(Buffer.byteLength(failureBody(event, BYOASN_ID, error as Error))).toBeLessThan(4096);
  });

  test('stays under 4096 bytes when onEvent fails on several authorization problems at once (a multi-line reason)', async () => {
    givenAsns();
    const event = byoasnCreate({ AuthorizationMessage: authorizationMessage(OTHER_ASN, '210987654321', '20200101'), AuthorizationSignature: '+'.repeat(2000) });

    const error = await onEvent(event).catch((e: Error) => e);

    expect((error as Error).message.split('\n').length).toBeGreaterThan(1);
    expect(Buffer.byteLength(failureBody(event, CREATE_FAILED_MARKER, error as Error))).toBeLessThan(4096);
  });
});

// ===========================================================================================================
// Logging
// ===========================================================================================================

describe('logging', () => {
  test('never writes the signature (nor the response URL) to the logs, on success or failure', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });
    await onEvent(byoasnCreate());
    await onEvent(byoasnUpdate({ Asn: OTHER_ASN, AuthorizationSignature: OTHER_SIGNATURE }, {})).catch(() => undefined);
    await onEvent(byoasnCreate({ AuthorizationSignature: `${SIGNATURE}+` })).catch(() => undefined);

    expect(logs.text()).not.toContain(SIGNATURE.slice(0, 40));
    expect(logs.text()).not.toContain(OTHER_SIGNATURE.slice(0, 40));
    expect(logs.text()).not.toContain('X-Amz-Signature=secret');
    expect(logs.text()).toContain('"AuthorizationSignature":"***"');
  });

  test('puts RequestId, LogicalResourceId, PhysicalResourceId and ResourceType on every line, also those of DescribeStacks', async () => {
    givenAsns();

    await onEvent(byoasnDelete());

    const records = logs.records();
    expect(records).toContainEqual(expect.objectContaining({ message: 'CloudFormation DescribeStacks succeeded', status: 'UPDATE_IN_PROGRESS' }));
    for (const record of records) {
      expect(record).toMatchObject({
        service: 'cdk-ipam-byoasn',
        RequestId: 'a1b2c3d4-0000-4000-8000-000000000001',
        LogicalResourceId: 'Asn',
        PhysicalResourceId: BYOASN_ID,
        ResourceType: 'Custom::IpamByoasn',
      });
    }
  });

  test('writes one line per AWS call with the action, the parameters and the outcome, and one per state seen', async () => {
    givenAsns(byoasn('provisioned'));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    await onEvent(byoasnDelete());

    const records = logs.records();
    expect(records).toContainEqual(expect.objectContaining({
      message: 'EC2 DescribeIpamByoasn succeeded', action: 'DescribeIpamByoasn', params: { MaxResults: 100 }, outcome: 'success', count: 1,
    }));
    expect(records).toContainEqual(expect.objectContaining({
      message: 'EC2 DeprovisionIpamByoasn succeeded', action: 'DeprovisionIpamByoasn', params: { IpamId: IPAM_ID, Asn: ASN }, outcome: 'success', state: 'pending-deprovision',
    }));
    expect(records).toContainEqual(expect.objectContaining({ message: `ASN 64496 is provisioned in ${IPAM_ID}`, state: 'provisioned' }));
  });

  test('logs the response with its handover', async () => {
    givenAsns(byoasn('pending-provision'));

    await onEvent(byoasnCreate());

    expect(logs.records()).toContainEqual(expect.objectContaining({
      message: 'onEvent Create response', response: { PhysicalResourceId: BYOASN_ID, Next: { Goal: 'created', Acted: true, At: T0 } },
    }));
  });

  test('logs the parameters of ProvisionIpamByoasn with the signature redacted', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

    await onEvent(byoasnCreate());

    expect(logs.records()).toContainEqual(expect.objectContaining({
      action: 'ProvisionIpamByoasn',
      params: { IpamId: IPAM_ID, Asn: ASN, AsnAuthorizationContext: { Message: authorizationMessage(), Signature: '***' } },
    }));
  });

  test('logs a failed AWS call as a warning with its code and status', async () => {
    givenAsns(byoasn('provisioned'));
    givenCidrs();
    ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'nope'));

    await onEvent(byoasnDelete()).catch(() => undefined);

    expect(logs.records()).toContainEqual(expect.objectContaining({
      level: 'WARN', action: 'DeprovisionIpamByoasn', outcome: 'error', errorName: 'IncorrectState', httpStatusCode: 400,
    }));
    expect(logs.records()).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'onEvent Delete failed' }));
  });

  test('does not keep the keys of an earlier request', async () => {
    givenAsns();
    await onEvent(byoasnDelete());
    await onEvent({ ...byoasnDelete(byoasnPhysicalId(IPAM_ID, OTHER_ASN)), RequestId: 'second' });

    const last = logs.records().slice(-1)[0];
    expect(last).toMatchObject({ RequestId: 'second', PhysicalResourceId: byoasnPhysicalId(IPAM_ID, OTHER_ASN) });
  });

  test('reads no BYOIP CIDRs to provision (only to explain a refused deprovisioning)', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

    await onEvent(byoasnCreate());

    expect(ec2).toHaveReceivedCommandTimes(DescribeByoipCidrsCommand, 0);
  });
});

// ===========================================================================================================
// Found in review
// ===========================================================================================================

describe('review findings', () => {
  test('scrubs a signature that AWS quotes in a refusal that is waited on, from the handover and every log line', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', `Signature ${SIGNATURE} is in use.`, 400, 2, ['ambiguous']));

    const response = await onEvent(byoasnCreate());

    expect(response.Next?.Refused).toBe(createFailure('IncorrectState: Signature *** is in use.'));
    expect(logs.text()).not.toContain(SIGNATURE);
  });

  test('scrubs it from the warning of a repeated Provision from isComplete, too', async () => {
    givenAsns(byoasn('deprovisioned'));
    ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', `Signature ${SIGNATURE} is in use.`));

    await expect(poll(byoasnCreate(), handover(BYOASN_ID, { Goal: 'created', Acted: false }))).resolves.toEqual({ IsComplete: false });

    expect(logs.text()).not.toContain(SIGNATURE);
    expectLog('WARN', 'ProvisionIpamByoasn was refused (IncorrectState: Signature *** is in use.): most likely the request of an earlier poll, not visible yet; waiting for it');
  });

  describe('an operation in flight across the upgrade (an isComplete event of the previous version, with Data.State)', () => {
    const legacy = (request: CustomResourceEvent, state: string, extra: object = {}) =>
      ({ ...request, PhysicalResourceId: BYOASN_ID, Data: { ...dataOf(state) }, ...extra }) as unknown as Parameters<typeof isComplete>[0];

    test('provisions once the deprovisioning it waited for has ended', async () => {
      givenAsns(byoasn('deprovisioned'));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

      await expect(isComplete(legacy(byoasnCreate(), 'pending-deprovision'))).resolves.toEqual({ IsComplete: false });

      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
    });

    test('deprovisions once the provisioning it waited for has ended', async () => {
      givenAsns(byoasn('provisioned'));
      givenCidrs();
      ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

      await expect(isComplete(legacy(byoasnDelete(), 'pending-provision'))).resolves.toEqual({ IsComplete: false });

      expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 1);
    });

    test('waits, without acting, for a deprovisioning it made', async () => {
      givenAsns(byoasn('provisioned'));

      await expect(isComplete(legacy(byoasnDelete(), 'pending-deprovision'))).resolves.toEqual({ IsComplete: false });

      expectNoMutation();
    });

    test("keeps reading a lingering failed record as stale, from the previous version's Superseded", async () => {
      clockAt(30_000);
      givenAsns(byoasn('failed-provision', { StatusMessage: 'Old failure.' }));
      const event = legacy(byoasnCreate(), 'pending-provision', { Superseded: { State: 'failed-provision', StatusMessage: 'Old failure.', At: T0 } });

      await expect(isComplete(event)).resolves.toEqual({ IsComplete: false });
    });
  });
});
