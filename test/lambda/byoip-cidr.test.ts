import {
  ByoipCidr,
  ByoipCidrState,
  DeprovisionByoipCidrCommand,
  DescribeByoipCidrsCommand,
  ProvisionByoipCidrCommand,
} from '@aws-sdk/client-ec2';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import 'aws-sdk-client-mock-jest';
import { ALLOW_DOCUMENTATION_VALUES_ENV, byoipCidrPhysicalId } from '../../lib/private/contract';
import { CONSISTENCY_WINDOW_MS } from '../../lambda/common';
import type { CustomResourceEvent, Handover, IsCompleteResponse, OnEventResponse } from '../../lambda/common';
import { isComplete, onEvent } from '../../lambda/index';
import { MAX_DATA_BYTES } from '../../lambda/limits';
import {
  ACCOUNT,
  ASN,
  BYOIP_CIDR_ID,
  CIDR,
  CREATE_FAILED_MARKER,
  OTHER_ASN,
  OTHER_CIDR,
  OTHER_SIGNATURE,
  POOL_ID,
  SIGNATURE,
  association,
  byoipCidr,
  byoipCidrCreate,
  byoipCidrDelete,
  byoipCidrUpdate,
  cidrAuthorizationMessage,
  cloudFormationFailureBody,
  cloudFormationSuccessBody,
  ec2Error,
  isCompleteEvent,
  mockedEc2,
  networkError,
} from './events';

const { ec2, cfn, logs, givenCidrs, givenCidrsInTurn, givenStackStatus } = mockedEc2();

/** `Date.now()` when onEvent answers in these tests: the `At` of every handover. */
const T0 = Date.UTC(2025, 5, 2, 9, 30, 0);

function clockAt(elapsed: number): void {
  jest.spyOn(Date, 'now').mockReturnValue(T0 + elapsed);
}

beforeEach(() => clockAt(0));

const NEW_ID = byoipCidrPhysicalId(OTHER_CIDR);
const EXPIRED = cidrAuthorizationMessage(CIDR, ACCOUNT, '20200101');
const EXPIRED_MESSAGE = 'Range: authorizationContext.message expired on 20200101; the expiry date must be today or later. Sign a new message with a later date.';

/** The range as DescribeByoipCidrs lists it, in a state, without associations. */
const range = (state: string, overrides: Partial<ByoipCidr> = {}) => byoipCidr([], { State: state as ByoipCidr['State'], ...overrides });

/** The attributes of the range. */
function dataOf(state: string, overrides: Partial<Record<'Cidr' | 'StatusMessage' | 'PoolId', string>> = {}) {
  return { Cidr: CIDR, State: state, StatusMessage: '', PoolId: '', ...overrides };
}

const provisionedData = dataOf('provisioned', { StatusMessage: POOL_ID, PoolId: POOL_ID });

function handover(physicalId: string, next: Omit<Handover, 'At'>): OnEventResponse {
  return { PhysicalResourceId: physicalId, Next: { ...next, At: T0 } };
}

function expectNoMutation(): void {
  expect(ec2).toHaveReceivedCommandTimes(ProvisionByoipCidrCommand, 0);
  expect(ec2).toHaveReceivedCommandTimes(DeprovisionByoipCidrCommand, 0);
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

function timeoutError(): Error {
  return Object.assign(new Error('Connection timed out after 20000 ms'), { name: 'TimeoutError', $metadata: { attempts: 10 } });
}

const PASSING_FAILURES: Array<[string, () => Error]> = [
  ['throttling (RequestLimitExceeded, 503)', () => ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503, 10, Array(9).fill('throttled'))],
  ['an HTTP 500', () => ec2Error('InternalError', 'An internal error has occurred.', 500, 10, Array(9).fill('ambiguous'))],
  ['a dropped connection (no status)', () => networkError()],
  ['a timeout (TimeoutError)', timeoutError],
];

const existsMessage = (state = 'provisioned') =>
  `Range: BYOIP CIDR ${CIDR} is already ${state} in this account and Region. Set adoptExisting: true to manage it with this stack (deleting the resource will then deprovision it), or deprovision it first.`;
const createFailure = (awsText: string) => `Range: could not create BYOIP CIDR ${CIDR}: ProvisionByoipCidr failed with ${awsText}`;
const removeFailure = (awsText: string) => `Range: could not remove BYOIP CIDR ${CIDR}: DeprovisionByoipCidr failed with ${awsText}`;
const advertisedMessage = (state: string, said = '') =>
  `Range: cannot deprovision BYOIP CIDR ${CIDR}: it is ${state}. AWS does not deprovision an advertised range: withdraw it first (delete the ByoipCidrAdvertisement, or WithdrawByoipCidr), then delete again.${said}`;
const associatedMessage = (named: string, said = '') =>
  `Range: cannot deprovision BYOIP CIDR ${CIDR}: it is still associated with ${named}. Delete the ByoasnCidrAssociation resources of these ASNs (or disassociate them with DisassociateIpamByoasn) first, then delete again.${said}`;
const allocatedMessage = (awsText: string, state = 'provisioned') =>
  `Range: AWS refused to deprovision BYOIP CIDR ${CIDR} (state ${state}), which is neither advertised nor associated with an ASN: addresses of the range may still be allocated (Elastic IPs, or an IPAM pool's allocations): release them first, then delete again. AWS said: ${awsText}`;
const removeFailedMessage = (status: string) =>
  `Range: AWS could not deprovision BYOIP CIDR ${CIDR} (state failed-deprovision); release every address of the range (Elastic IPs, IPAM pool allocations) and deprovision it (DeprovisionByoipCidr), then delete again. AWS's status message: ${status}`;
const blockedMessage = (status: string) =>
  `Range: BYOIP CIDR ${CIDR} is in state failed-deprovision; release every address of the range and deprovision it (DeprovisionByoipCidr) before provisioning it again. AWS's status message: ${status}`;
const ALLOCATED = () => ec2Error('IncorrectState', 'The CIDR 203.0.113.0/24 has 2 allocated addresses (Elastic IP addresses or IPAM pool allocations). Release them first.');

function failureBody(event: CustomResourceEvent, physicalId: string, error: Error): string {
  const body = JSON.parse(cloudFormationFailureBody(event, physicalId, error)) as Record<string, unknown>;
  return JSON.stringify({ ...body, Data: (event as { Data?: unknown }).Data });
}

// ===========================================================================================================
// CREATE
// ===========================================================================================================

describe('create', () => {
  test('provisions an absent range with its authorization context, and hands isComplete "created, acted" in Next, without Data', async () => {
    givenCidrs();
    ec2.on(ProvisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-provision') });

    const response = await onEvent(byoipCidrCreate());

    expect(response).toEqual(handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true }));
    expect(ec2).toHaveReceivedCommandTimes(ProvisionByoipCidrCommand, 1);
    // No Description or NetworkBorderGroup when they are '': AWS then uses its defaults.
    expect(ec2.commandCalls(ProvisionByoipCidrCommand)[0].args[0].input).toEqual({
      Cidr: CIDR,
      CidrAuthorizationContext: { Message: cidrAuthorizationMessage(), Signature: SIGNATURE },
      PubliclyAdvertisable: true,
    });
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
  });

  // CloudFormation sends strings; a boolean false (a direct invocation) means the same.
  test.each(['false', false])('passes the description, the network border group and PubliclyAdvertisable false (%p) when given', async (advertisable) => {
    givenCidrs();
    ec2.on(ProvisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-provision', { Cidr: '2001:db8:1000::/56' }) });
    const cidr = '2001:db8:1000::/56';

    await onEvent(byoipCidrCreate({ Cidr: cidr, Description: 'office range', NetworkBorderGroup: 'us-east-1-lax-1', PubliclyAdvertisable: advertisable as string }));

    expect(ec2.commandCalls(ProvisionByoipCidrCommand)[0].args[0].input).toEqual({
      Cidr: cidr,
      CidrAuthorizationContext: { Message: cidrAuthorizationMessage(cidr), Signature: SIGNATURE },
      PubliclyAdvertisable: false,
      Description: 'office range',
      NetworkBorderGroup: 'us-east-1-lax-1',
    });
  });

  test('waits for a provisioning already in progress without calling AWS again', async () => {
    givenCidrs(range('pending-provision'));

    await expect(onEvent(byoipCidrCreate())).resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true }));
    expectNoMutation();
    expectLog('INFO', `BYOIP CIDR ${CIDR} is pending-provision: waiting for the request in progress to end`);
  });

  test.each(['provisioned', 'provisioned-not-publicly-advertisable', 'pending-advertising', 'advertised', 'pending-withdrawal'])(
    'refuses a range that is already %s, and adopts it with AdoptExisting true', async (state) => {
      givenCidrs(range(state));

      await expectError(onEvent(byoipCidrCreate()), existsMessage(state));
      await expect(onEvent(byoipCidrCreate({ AdoptExisting: 'true' }))).resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true }));
      expectNoMutation();
    });

  test('waits for a deprovisioning to end, leaving the provisioning to isComplete (not acted)', async () => {
    givenCidrs(range('pending-deprovision'));

    await expect(onEvent(byoipCidrCreate())).resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: false }));
    expectNoMutation();
  });

  test("refuses a range in failed-deprovision with AWS's status message", async () => {
    givenCidrs(range('failed-deprovision', { StatusMessage: 'Addresses are allocated.' }));

    await expectError(onEvent(byoipCidrCreate()), blockedMessage('Addresses are allocated.'));
    expectNoMutation();
  });

  test('refuses a state it does not know without changing anything', async () => {
    givenCidrs(range('quarantined'));

    await expectError(onEvent(byoipCidrCreate()), `Range: BYOIP CIDR ${CIDR} is in state 'quarantined', which this handler does not know; nothing was changed. AWS's status message: (AWS gave no status message)`);
    expectNoMutation();
  });

  test('ignores other ranges', async () => {
    givenCidrs(range('provisioned', { Cidr: OTHER_CIDR }));
    ec2.on(ProvisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-provision') });

    await expect(onEvent(byoipCidrCreate())).resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true }));
  });

  test("fails at once with AWS's message when ProvisionByoipCidr is refused, keeping the signature out", async () => {
    givenCidrs();
    ec2.on(ProvisionByoipCidrCommand).rejects(ec2Error('InvalidParameterValue', `The signature ${SIGNATURE} does not verify.`));

    await expectError(onEvent(byoipCidrCreate()), createFailure('InvalidParameterValue: The signature *** does not verify.'));
  });

  test('leaves the call to isComplete when ProvisionByoipCidr is still throttled after the retries: nothing was applied', async () => {
    givenCidrs();
    ec2.on(ProvisionByoipCidrCommand).rejects(PASSING_FAILURES[0][1]());

    await expect(onEvent(byoipCidrCreate())).resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: false }));
  });

  describe('validation, before any AWS call', () => {
    test.each([
      ['a CIDR not in canonical form', { Cidr: '203.0.113.00/24' }, /^Range: cidr '203\.0\.113\.00\/24' is not an IPv4 or IPv6 CIDR/],
      ['an IPv4 prefix longer than /24', { Cidr: '203.0.113.0/25' }, /^Range: cidr '203\.0\.113\.0\/25' is a \/25; BYOIP accepts IPv4 prefixes of \/24 or shorter/],
      ['a publicly advertisable IPv6 /56', { Cidr: '2001:db8:1000::/56' }, /BYOIP accepts publicly advertisable IPv6 prefixes of \/48 or shorter/],
      ['a private range', { Cidr: '10.0.0.0/24' }, /overlaps 10\.0\.0\.0\/8, which is private/],
      ['a PubliclyAdvertisable that is not a boolean', { PubliclyAdvertisable: 'yes' }, /^Range: PubliclyAdvertisable must be 'true' or 'false'; got "yes"\.$/],
      ['PubliclyAdvertisable false for an IPv4 range', { PubliclyAdvertisable: 'false' }, /^Range: PubliclyAdvertisable 'false' applies to IPv6 ranges only; AWS advertises IPv4 range '203\.0\.113\.0\/24' publicly\. Leave it out \(or 'true'\)\.$/],
      ['a WaitForProvisioning that is not a boolean', { WaitForProvisioning: 'maybe' }, /^Range: WaitForProvisioning must be 'true' or 'false'; got "maybe"\.$/],
    ])('refuses %s', async (_, props, message) => {
      await expectError(onEvent(byoipCidrCreate(props)), expect.stringMatching(message));
      expect(ec2.calls()).toHaveLength(0);
    });

    test('refuses a documentation range unless CDK_IPAM_BYOASN_ALLOW_DOCUMENTATION_VALUES is true', async () => {
      delete process.env[ALLOW_DOCUMENTATION_VALUES_ENV];

      await expectError(onEvent(byoipCidrCreate()), expect.stringMatching(/^Range: cidr '203\.0\.113\.0\/24' overlaps 203\.0\.113\.0\/24, TEST-NET-3/));
      expect(ec2.calls()).toHaveLength(0);
    });
  });

  describe('the authorization context, checked right before ProvisionByoipCidr and only there', () => {
    test('lists every problem at once, without echoing the signature, and provisions nothing', async () => {
      givenCidrs();
      const event = byoipCidrCreate({ AuthorizationMessage: cidrAuthorizationMessage(OTHER_CIDR, '210987654321'), AuthorizationSignature: 'a+b=' });

      await expectError(onEvent(event), [
        `Range: authorizationContext.message authorizes CIDR '${OTHER_CIDR}', but this resource's CIDR is '${CIDR}'. Sign a message for '${CIDR}'.`,
        `Range: authorizationContext.message names account 210987654321, but the stack deploys to account ${ACCOUNT}. Sign a message for account ${ACCOUNT}.`,
        "Range: authorizationContext.signature must be a non-empty string of the characters A-Z a-z 0-9 - _ ~ (base64 with '+=/' replaced by '-_~' and no newlines); got 4 characters including \"+\", \"=\".",
      ].join('\n'));
      expectNoMutation();
    });

    test('refuses an ASN authorization message (kind cidr)', async () => {
      givenCidrs();

      await expectError(onEvent(byoipCidrCreate({ AuthorizationMessage: `1|aws|${ACCOUNT}|${ASN}|20991231|SHA256|RSAPSS` })),
        `Range: authorizationContext.message authorizes CIDR '${ASN}', but this resource's CIDR is '${CIDR}'. Sign a message for '${CIDR}'.`);
    });

    test('refuses an expired message before provisioning', async () => {
      givenCidrs();

      await expectError(onEvent(byoipCidrCreate({ AuthorizationMessage: EXPIRED })), EXPIRED_MESSAGE);
      expectNoMutation();
    });

    test('refuses it in isComplete too, before the provisioning that onEvent left to it', async () => {
      givenCidrs(range('deprovisioned'));

      await expectError(poll(byoipCidrCreate({ AuthorizationMessage: EXPIRED }), handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: false })), EXPIRED_MESSAGE);
      expectNoMutation();
    });

    test.each([
      ['adopts a provisioned range', [range('provisioned')], { AdoptExisting: 'true' }],
      ['waits for a provisioning in progress', [range('pending-provision')], {}],
    ])('%s with an expired message', async (_, records, props) => {
      givenCidrs(...records);

      await expect(onEvent(byoipCidrCreate({ ...props, AuthorizationMessage: EXPIRED }))).resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true }));
    });
  });
});

describe('isComplete after create', () => {
  const created = handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true });

  test('completes with the attributes, the pool id taken from the status message, once the range is provisioned', async () => {
    givenCidrs(range('provisioned', { StatusMessage: POOL_ID }));

    await expect(poll(byoipCidrCreate(), created)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
    expectNoMutation();
  });

  test.each([
    ['an IPv6 pool', 'ipv6pool-ec2-0a95217e154b65493', 'ipv6pool-ec2-0a95217e154b65493'],
    ['a pool id inside a sentence', `Provisioned into ${POOL_ID}.`, POOL_ID],
    ['no pool id', 'Provisioned.', ''],
    ['a pool of another kind', 'ipam-pool-0123456789abcdef0', ''],
  ])('reads the PoolId from a status message with %s', async (_, status, poolId) => {
    givenCidrs(range('provisioned-not-publicly-advertisable', { StatusMessage: status }));

    await expect(poll(byoipCidrCreate(), created)).resolves.toEqual({
      IsComplete: true, Data: dataOf('provisioned-not-publicly-advertisable', { StatusMessage: status, PoolId: poolId }),
    });
  });

  test('waits while the range is pending-provision', async () => {
    givenCidrs(range('pending-provision'));

    await expect(poll(byoipCidrCreate(), created)).resolves.toEqual({ IsComplete: false });
  });

  test('waits while our provisioning is not visible yet', async () => {
    givenCidrs();

    await expect(poll(byoipCidrCreate(), created)).resolves.toEqual({ IsComplete: false });
  });

  describe('with WaitForProvisioning false', () => {
    test.each(['false', false])('completes once AWS has accepted the provisioning: pending-provision, without a pool id yet (%p)', async (wait) => {
      givenCidrs();
      ec2.on(ProvisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-provision') });
      const event = byoipCidrCreate({ WaitForProvisioning: wait as string });
      const response = await onEvent(event);
      givenCidrs(range('pending-provision'));

      await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: dataOf('pending-provision') });
    });

    test('still waits while the provisioning is not visible, and still fails on failed-provision', async () => {
      const event = byoipCidrCreate({ WaitForProvisioning: 'false' });
      givenCidrs();
      await expect(poll(event, created)).resolves.toEqual({ IsComplete: false });
      givenCidrs(range('failed-provision', { StatusMessage: 'The ROA does not authorize AS16509.' }));
      await expectError(poll(event, created), `Range: AWS could not provision BYOIP CIDR ${CIDR}: The ROA does not authorize AS16509.`);
    });
  });

  test("fails with AWS's status message on failed-provision", async () => {
    givenCidrs(range('failed-provision', { StatusMessage: 'The RIR record has no matching certificate.' }));

    await expectError(poll(byoipCidrCreate(), created), `Range: AWS could not provision BYOIP CIDR ${CIDR}: The RIR record has no matching certificate.`);
  });

  test('provisions once a deprovisioning that onEvent waited for has ended', async () => {
    givenCidrs(range('deprovisioned'));
    ec2.on(ProvisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-provision') });

    await expect(poll(byoipCidrCreate(), handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: false }))).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandTimes(ProvisionByoipCidrCommand, 1);
  });

  test.each(PASSING_FAILURES)('answers "not complete" when the read fails after %s', async (_, failure) => {
    ec2.on(DescribeByoipCidrsCommand).rejects(failure());

    await expect(poll(byoipCidrCreate(), created)).resolves.toEqual({ IsComplete: false });
  });
});

// ===========================================================================================================
// UPDATE
// ===========================================================================================================

describe('update', () => {
  test.each([
    ['the authorization context', { AuthorizationMessage: EXPIRED, AuthorizationSignature: OTHER_SIGNATURE }],
    ['WaitForProvisioning', { WaitForProvisioning: 'false' }],
    ['AdoptExisting', { AdoptExisting: 'true' }],
    ['PubliclyAdvertisable from absent to its default', { PubliclyAdvertisable: '' }],
  ])('changes nothing, and calls nothing, when only %s changes', async (_, props) => {
    const event = byoipCidrUpdate(props);

    const response = await onEvent(event);

    expect(response).toEqual(handover(BYOIP_CIDR_ID, { Goal: 'unchanged', Acted: false }));
    expectNoMutation();
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
    givenCidrs(range('advertised', { StatusMessage: POOL_ID }));
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: dataOf('advertised', { StatusMessage: POOL_ID, PoolId: POOL_ID }) });
  });

  describe('refuses what AWS cannot change in place', () => {
    test.each([
      ['description', { Description: 'new' }, {}, "description (from '' to 'new')"],
      ['networkBorderGroup', { NetworkBorderGroup: 'us-east-1-lax-1' }, {}, "networkBorderGroup (from '' to 'us-east-1-lax-1')"],
      ['publiclyAdvertisable', { Cidr: OTHER_CIDR, PubliclyAdvertisable: 'false' }, { Cidr: OTHER_CIDR }, "publiclyAdvertisable (from 'true' to 'false')"],
      ['all three', { Description: 'b', NetworkBorderGroup: 'x', PubliclyAdvertisable: 'false', Cidr: OTHER_CIDR }, { Description: 'a', Cidr: OTHER_CIDR },
        "publiclyAdvertisable (from 'true' to 'false'), networkBorderGroup (from '' to 'x'), description (from 'a' to 'b')"],
    ])('%s', async (_, props, oldProps, what) => {
      const cidr = (props as { Cidr?: string }).Cidr ?? CIDR;

      await expectError(onEvent(byoipCidrUpdate(props, oldProps, byoipCidrPhysicalId(cidr))),
        `Range: cannot change ${what} of BYOIP CIDR ${cidr}: AWS sets them when it provisions a range and has no call to change them. To change them, release the range and bring it again: deploy once without this ByoipCidr (and what depends on it), then again with the new values. Nothing was changed.`);
      expect(ec2.calls()).toHaveLength(0);
    });

    test('goes back without a change when the stack rolls that update back', async () => {
      givenStackStatus('UPDATE_ROLLBACK_IN_PROGRESS');

      await expect(onEvent(byoipCidrUpdate({}, { Description: 'new' }))).resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'unchanged', Acted: false }));
      expectNoMutation();
      expectLog('INFO', "the stack is UPDATE_ROLLBACK_IN_PROGRESS: description (from 'new' to '') go back to the values AWS has; nothing to change");
    });

    test("refuses, naming the cause, when the stack's status cannot be read", async () => {
      cfn.on(DescribeStacksCommand).rejects(ec2Error('AccessDenied', 'not allowed', 403));

      await expectError(onEvent(byoipCidrUpdate({ Description: 'new' })),
        `Range: this update changes description (from '' to 'new') of BYOIP CIDR ${CIDR}, which AWS cannot change in place; whether it is the rollback of an earlier update (which may go back) depends on the stack's status, which could not be read: AccessDenied: not allowed. Nothing was changed.`);
      expectNoMutation();
    });
  });

  describe('requires replacement when the CIDR changes', () => {
    const replacement = (props = {}) => byoipCidrUpdate({ Cidr: OTHER_CIDR, ...props }, {});

    test('provisions the new range (with a description change too) and answers with its physical id, checking the authorization against it', async () => {
      givenCidrs(range('provisioned'));
      ec2.on(ProvisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-provision', { Cidr: OTHER_CIDR }) });

      await expectError(onEvent(replacement({ Description: 'new', AuthorizationMessage: cidrAuthorizationMessage(CIDR) })), expect.stringContaining(`authorizes CIDR '${CIDR}', but this resource's CIDR is '${OTHER_CIDR}'`));
      expectNoMutation();

      const response = await onEvent(replacement({ Description: 'new' }));

      expect(response).toEqual(handover(NEW_ID, { Goal: 'created', Acted: true }));
      expect(ec2).toHaveReceivedCommandWith(ProvisionByoipCidrCommand, { Cidr: OTHER_CIDR, Description: 'new' });
    });

    test('refuses a new range that exists, unless adopted', async () => {
      givenCidrs(range('provisioned', { Cidr: OTHER_CIDR }));

      await expectError(onEvent(replacement()), `Range: BYOIP CIDR ${OTHER_CIDR} is already provisioned in this account and Region. Set adoptExisting: true to manage it with this stack (deleting the resource will then deprovision it), or deprovision it first.`);
      await expect(onEvent(replacement({ AdoptExisting: 'true', AuthorizationMessage: EXPIRED }))).resolves.toEqual(handover(NEW_ID, { Goal: 'created', Acted: true }));
    });
  });

  describe('rolling back a replacement that failed (the old physical id, OldResourceProperties name the new range)', () => {
    const rollback = byoipCidrUpdate({ AuthorizationMessage: EXPIRED }, { Cidr: OTHER_CIDR, Description: 'other' }, BYOIP_CIDR_ID);
    const cleaning = handover(BYOIP_CIDR_ID, { Goal: 'unchanged', Acted: false, Orphan: NEW_ID });
    const attempted = (state: string) => range(state, { Cidr: OTHER_CIDR });

    test('deprovisions the new range that it started, complete once AWS has accepted that, then reports the old one', async () => {
      givenStackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
      givenCidrsInTurn(
        [range('provisioned', { StatusMessage: POOL_ID }), attempted('pending-provision')], // onEvent
        [range('provisioned', { StatusMessage: POOL_ID }), attempted('pending-provision')], // poll 1: wait
        [range('provisioned', { StatusMessage: POOL_ID }), attempted('provisioned')], // poll 2: deprovision
        [range('provisioned', { StatusMessage: POOL_ID }), attempted('pending-deprovision')], // poll 3: accepted: gone
        [range('provisioned', { StatusMessage: POOL_ID }), attempted('pending-deprovision')], // ... then the old range
      );
      ec2.on(DeprovisionByoipCidrCommand).resolves({ ByoipCidr: attempted('pending-deprovision') });

      const response = await onEvent(rollback);
      expect(response).toEqual(cleaning);
      expectNoMutation();

      await expect(poll(rollback, response)).resolves.toEqual({ IsComplete: false });
      await expect(poll(rollback, response)).resolves.toEqual({ IsComplete: false });
      await expect(poll(rollback, response)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
      expect(ec2).toHaveReceivedCommandTimes(DeprovisionByoipCidrCommand, 1);
      expect(ec2).toHaveReceivedCommandWith(DeprovisionByoipCidrCommand, { Cidr: OTHER_CIDR });
      expect(ec2).toHaveReceivedCommandTimes(ProvisionByoipCidrCommand, 0);
    });
  });
});

// ===========================================================================================================
// DELETE
// ===========================================================================================================

describe('delete', () => {
  test('deprovisions a provisioned range and hands over "deleted, acted"; isComplete completes once AWS has accepted it', async () => {
    givenCidrs(range('provisioned', { StatusMessage: POOL_ID }));
    ec2.on(DeprovisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-deprovision') });
    const event = byoipCidrDelete();

    const response = await onEvent(event);

    expect(response).toEqual(handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: true }));
    expect(ec2).toHaveReceivedCommandWith(DeprovisionByoipCidrCommand, { Cidr: CIDR });
    // Deprovisioning can take a day: pending-deprovision is done.
    givenCidrs(range('pending-deprovision'));
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true });
  });

  test('does not look at the authorization (an expired message, a documentation range)', async () => {
    delete process.env[ALLOW_DOCUMENTATION_VALUES_ENV];
    givenCidrs(range('provisioned'));
    ec2.on(DeprovisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-deprovision') });

    await expect(onEvent(byoipCidrDelete(BYOIP_CIDR_ID, { AuthorizationMessage: EXPIRED }))).resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: true }));
  });

  test("ignores a physical id that is not ours (the provider's create-failed marker)", async () => {
    await expect(onEvent(byoipCidrDelete(CREATE_FAILED_MARKER))).resolves.toEqual({ PhysicalResourceId: CREATE_FAILED_MARKER });
    expect(ec2.calls()).toHaveLength(0);
  });

  test.each([
    ['not listed', []],
    ['deprovisioned', [range('deprovisioned')]],
    ['failed-provision', [range('failed-provision')]],
  ])('has nothing to delete when the range is %s', async (_, records) => {
    givenCidrs(...records);

    await expect(onEvent(byoipCidrDelete())).resolves.toEqual({ PhysicalResourceId: BYOIP_CIDR_ID });
    expectNoMutation();
  });

  test('completes at once when a deprovisioning is already under way', async () => {
    givenCidrs(range('pending-deprovision'));
    const event = byoipCidrDelete();

    const response = await onEvent(event);

    expect(response).toEqual(handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: true }));
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true });
    expectNoMutation();
  });

  test("fails on failed-deprovision with AWS's status message", async () => {
    givenCidrs(range('failed-deprovision', { StatusMessage: 'Ensure that all EIPs from the range have been deallocated.' }));

    await expectError(onEvent(byoipCidrDelete()), removeFailedMessage('Ensure that all EIPs from the range have been deallocated.'));
  });

  describe('checks what blocks the deprovisioning before making it', () => {
    test.each(['advertised', 'pending-advertising', 'pending-withdrawal'])('a range that is %s: withdraw it first', async (state) => {
      givenCidrs(range(state));

      await expectError(onEvent(byoipCidrDelete()), advertisedMessage(state));
      expectNoMutation();
    });

    test('ASN associations left, named; disassociated and failed-association ones do not count', async () => {
      givenCidrs(byoipCidr([
        association('disassociated'),
        association('associated'),
        association('failed-association', { Asn: OTHER_ASN }),
        association('pending-association', { Asn: '64498' }),
        association('failed-disassociation', { Asn: '64499' }),
      ]));

      await expectError(onEvent(byoipCidrDelete()), associatedMessage('ASN 64496 (associated), ASN 64498 (pending-association), ASN 64499 (failed-disassociation)'));
      expectNoMutation();
    });

    test('deprovisions when only released associations are left', async () => {
      givenCidrs(byoipCidr([association('disassociated'), association('failed-association', { Asn: OTHER_ASN })]));
      ec2.on(DeprovisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-deprovision') });

      await expect(onEvent(byoipCidrDelete())).resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: true }));
    });

    test('fails in isComplete too, when the range that onEvent waited for turns up associated', async () => {
      givenCidrs(byoipCidr([association('associated')]));

      await expectError(poll(byoipCidrDelete(), handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: false })), associatedMessage('ASN 64496 (associated)'));
      expectNoMutation();
    });
  });

  describe('when AWS refuses to deprovision', () => {
    test.each([
      ['IncorrectState', 'The CIDR has 2 allocated addresses.'],
      ['InvalidByoipCidr.InUse', 'The CIDR is in use.'],
      ['IncorrectState', 'no'],
    ])('says that addresses may still be allocated (%s: %s), quoting AWS', async (code, message) => {
      givenCidrs(range('provisioned'));
      ec2.on(DeprovisionByoipCidrCommand).rejects(ec2Error(code, message));

      await expectError(onEvent(byoipCidrDelete()), allocatedMessage(`${code}: ${message}`));
    });

    test.each([
      ['associat', 'The CIDR cannot be deprovisioned while addresses allocated from it are associated with instances.'],
      ['advertis', 'Elastic IP addresses of the advertised CIDR are still allocated.'],
    ])('takes a refusal that names allocations for allocations, though it also says %s', async (_, message) => {
      givenCidrs(range('provisioned'));
      ec2.on(DeprovisionByoipCidrCommand).rejects(ec2Error('IncorrectState', message));

      await expectError(onEvent(byoipCidrDelete()), allocatedMessage(`IncorrectState: ${message}`));
    });

    test('names what turned up since the read: an advertisement, or associations', async () => {
      givenCidrsInTurn([range('provisioned')], [range('advertised')]);
      ec2.on(DeprovisionByoipCidrCommand).rejects(ec2Error('IncorrectState', 'advertised'));
      await expectError(onEvent(byoipCidrDelete()), advertisedMessage('advertised', ' AWS said: IncorrectState: advertised'));

      givenCidrsInTurn([range('provisioned')], [byoipCidr([association('pending-association')])]);
      await expectError(onEvent(byoipCidrDelete()), associatedMessage('ASN 64496 (pending-association)', ' AWS said: IncorrectState: advertised'));
    });

    test.each([
      ['pending-deprovision', [range('pending-deprovision')]],
      ['deprovisioned', [range('deprovisioned')]],
      ['absent', []],
    ])('takes the refusal as done or under way when a read shows the range %s', async (_, records) => {
      givenCidrsInTurn([range('provisioned')], records);
      ec2.on(DeprovisionByoipCidrCommand).rejects(ec2Error('IncorrectState', 'The CIDR is not provisioned.'));

      await expect(onEvent(byoipCidrDelete())).resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: true }));
    });

    test('hands over Refused when an earlier attempt was ambiguous and the range still reads provisioned', async () => {
      givenCidrs(range('provisioned'));
      ec2.on(DeprovisionByoipCidrCommand).rejects(ec2Error('IncorrectState', 'already pending-deprovision', 400, 2, ['ambiguous']));

      await expect(onEvent(byoipCidrDelete())).resolves.toEqual(handover(BYOIP_CIDR_ID, {
        Goal: 'deleted', Acted: true, Refused: removeFailure('IncorrectState: already pending-deprovision'),
      }));
    });

    test("fails with AWS's own message on a permanent refusal", async () => {
      givenCidrs(range('provisioned'));
      ec2.on(DeprovisionByoipCidrCommand).rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403));

      await expectError(onEvent(byoipCidrDelete()), removeFailure('UnauthorizedOperation: You are not authorized to perform this operation.'));
    });

    test('hands the call to isComplete when it is still throttled after the retries', async () => {
      givenCidrs(range('provisioned'));
      ec2.on(DeprovisionByoipCidrCommand).rejects(PASSING_FAILURES[0][1]());

      await expect(onEvent(byoipCidrDelete())).resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: false }));
    });

    describe('in isComplete, where a refusal may be the repeat of an earlier poll', () => {
      const waited = handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: false });

      test('keeps waiting when the refusal does not name allocations', async () => {
        givenCidrs(range('provisioned'));
        ec2.on(DeprovisionByoipCidrCommand).rejects(ec2Error('IncorrectState', 'The CIDR is pending-deprovision.'));

        await expect(poll(byoipCidrDelete(), waited)).resolves.toEqual({ IsComplete: false });
        expectLog('WARN', 'DeprovisionByoipCidr was refused (IncorrectState: The CIDR is pending-deprovision.): most likely the request of an earlier poll, not visible yet; waiting for it');
      });

      test('fails when it names allocated addresses', async () => {
        givenCidrs(range('provisioned'));
        ec2.on(DeprovisionByoipCidrCommand).rejects(ALLOCATED());

        await expectError(poll(byoipCidrDelete(), waited), allocatedMessage(`IncorrectState: ${ALLOCATED().message}`));
      });
    });
  });
});

describe('isComplete after delete', () => {
  const deleted = handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: true });

  test('keeps waiting, without deprovisioning twice, while our request is not visible yet', async () => {
    givenCidrs(range('provisioned'));

    await expect(poll(byoipCidrDelete(), deleted)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test('deprovisions once a provisioning that onEvent waited for has ended', async () => {
    givenCidrs(range('provisioned'));
    ec2.on(DeprovisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-deprovision') });

    await expect(poll(byoipCidrDelete(), handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: false }))).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionByoipCidrCommand, 1);
  });

  test("fails with AWS's status message on failed-deprovision", async () => {
    givenCidrs(range('failed-deprovision', { StatusMessage: 'Addresses are allocated.' }));

    await expectError(poll(byoipCidrDelete(), deleted), removeFailedMessage('Addresses are allocated.'));
  });

  test.each(PASSING_FAILURES)('answers "not complete" when the read fails after %s', async (_, failure) => {
    ec2.on(DescribeByoipCidrsCommand).rejects(failure());

    await expect(poll(byoipCidrDelete(), deleted)).resolves.toEqual({ IsComplete: false });
  });

  test('answers "not complete" when the read that explains a refusal fails for a passing reason', async () => {
    givenCidrsInTurn([range('provisioned')]);
    ec2.on(DeprovisionByoipCidrCommand).rejects(ALLOCATED());
    ec2.on(DescribeByoipCidrsCommand).resolvesOnce({ ByoipCidrs: [range('provisioned')] }).rejects(networkError());

    await expect(poll(byoipCidrDelete(), handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: false }))).resolves.toEqual({ IsComplete: false });
  });
});

// ===========================================================================================================
// Every state
// ===========================================================================================================

describe('every BYOIP CIDR state', () => {
  const STATES = ['pending-provision', 'provisioned', 'provisioned-not-publicly-advertisable', 'failed-provision', 'pending-advertising',
    'advertised', 'pending-withdrawal', 'pending-deprovision', 'deprovisioned', 'failed-deprovision', 'quarantined'];

  const outcomeOf = (promise: Promise<OnEventResponse>) => promise.then(
    (r) => (r.Next ? `${r.Next.Goal}, ${r.Next.Acted ? 'acted' : 'not acted'}` : 'nothing to do'),
    () => 'refuses');
  const pollOutcome = (promise: Promise<IsCompleteResponse>) => promise.then((r) => (r.IsComplete ? 'completes' : 'waits'), () => 'fails');

  test('the table covers every state of the SDK', () => {
    expect(STATES.slice(0, -1).sort()).toEqual(Object.values(ByoipCidrState).sort());
  });

  test.each([
    // state, onEvent of a create, ProvisionByoipCidr calls, isComplete (acted), (acted, WaitForProvisioning false), (not acted)
    ['pending-provision', 'created, acted', 0, 'waits', 'completes', 'waits'],
    ['provisioned', 'refuses', 0, 'completes', 'completes', 'completes'],
    ['provisioned-not-publicly-advertisable', 'refuses', 0, 'completes', 'completes', 'completes'],
    ['failed-provision', 'created, acted', 1, 'fails', 'fails', 'fails'],
    ['pending-advertising', 'refuses', 0, 'completes', 'completes', 'completes'],
    ['advertised', 'refuses', 0, 'completes', 'completes', 'completes'],
    ['pending-withdrawal', 'refuses', 0, 'completes', 'completes', 'completes'],
    ['pending-deprovision', 'created, not acted', 0, 'waits', 'waits', 'waits'],
    ['deprovisioned', 'created, acted', 1, 'waits', 'waits', 'waits'],
    ['failed-deprovision', 'refuses', 0, 'fails', 'fails', 'fails'],
    ['quarantined', 'refuses', 0, 'waits', 'waits', 'waits'],
  ])('create when the range is %s: onEvent %s (%i Provision); isComplete %s, %s without waiting for provisioning, %s after waiting', async (state, outcome, provisions, acted, noWait, notActed) => {
    givenCidrs(range(state));
    ec2.on(ProvisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-provision') });

    await expect(outcomeOf(onEvent(byoipCidrCreate()))).resolves.toBe(outcome);
    expect(ec2).toHaveReceivedCommandTimes(ProvisionByoipCidrCommand, provisions);
    ec2.resetHistory();

    await expect(pollOutcome(poll(byoipCidrCreate(), handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true })))).resolves.toBe(acted);
    await expect(pollOutcome(poll(byoipCidrCreate({ WaitForProvisioning: 'false' }), handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true })))).resolves.toBe(noWait);
    expectNoMutation();
    await expect(pollOutcome(poll(byoipCidrCreate(), handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: false })))).resolves.toBe(notActed);
    expect(ec2).toHaveReceivedCommandTimes(ProvisionByoipCidrCommand, state === 'deprovisioned' ? 1 : 0);
  });

  test.each([
    // state, onEvent of a delete, DeprovisionByoipCidr calls, isComplete (acted), (not acted), Deprovision calls then
    ['pending-provision', 'deleted, not acted', 0, 'waits', 'waits', 0],
    ['provisioned', 'deleted, acted', 1, 'waits', 'waits', 1],
    ['provisioned-not-publicly-advertisable', 'deleted, acted', 1, 'waits', 'waits', 1],
    ['failed-provision', 'nothing to do', 0, 'completes', 'completes', 0],
    ['pending-advertising', 'refuses', 0, 'waits', 'fails', 0],
    ['advertised', 'refuses', 0, 'waits', 'fails', 0],
    ['pending-withdrawal', 'refuses', 0, 'waits', 'fails', 0],
    ['pending-deprovision', 'deleted, acted', 0, 'completes', 'completes', 0],
    ['deprovisioned', 'nothing to do', 0, 'completes', 'completes', 0],
    ['failed-deprovision', 'refuses', 0, 'fails', 'fails', 0],
    ['quarantined', 'deleted, not acted', 0, 'waits', 'waits', 0],
  ])('delete when the range is %s: onEvent %s (%i Deprovision); isComplete %s after acting, %s after waiting (%i Deprovision)', async (state, outcome, deprovisions, acted, notActed, later) => {
    givenCidrs(range(state));
    ec2.on(DeprovisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-deprovision') });

    await expect(outcomeOf(onEvent(byoipCidrDelete()))).resolves.toBe(outcome);
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionByoipCidrCommand, deprovisions);
    ec2.resetHistory();

    await expect(pollOutcome(poll(byoipCidrDelete(), handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: true })))).resolves.toBe(acted);
    expectNoMutation();
    await expect(pollOutcome(poll(byoipCidrDelete(), handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: false })))).resolves.toBe(notActed);
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionByoipCidrCommand, later);
  });
});

// ===========================================================================================================
// Lingering records
// ===========================================================================================================

describe('a deprovisioned record listed beside the live one', () => {
  const lingering = range('deprovisioned', { StatusMessage: 'ipv4pool-ec2-00000000000000001' });

  test('create refuses the live range behind it, and adopts it with AdoptExisting true', async () => {
    givenCidrs(lingering, range('provisioned', { StatusMessage: POOL_ID }));

    await expectError(onEvent(byoipCidrCreate()), existsMessage('provisioned'));
    expectLog('INFO', `2 records match BYOIP CIDR ${CIDR}; the live one wins`);
  });

  test('isComplete after create completes with the live record, and its pool id', async () => {
    givenCidrs(lingering, range('provisioned', { StatusMessage: POOL_ID }));

    await expect(poll(byoipCidrCreate(), handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true }))).resolves.toEqual({ IsComplete: true, Data: provisionedData });
  });

  test('create waits for the live provisioning behind it', async () => {
    givenCidrs(lingering, range('pending-provision'));

    await expect(onEvent(byoipCidrCreate())).resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true }));
    expectNoMutation();
  });

  test('delete deprovisions the live range behind it', async () => {
    givenCidrs(lingering, range('provisioned'));
    ec2.on(DeprovisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-deprovision') });

    await expect(onEvent(byoipCidrDelete())).resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: true }));
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionByoipCidrCommand, 1);
  });

  test('isComplete after delete keeps waiting for the live range behind it', async () => {
    givenCidrs(lingering, range('provisioned'));

    await expect(poll(byoipCidrDelete(), handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: true }))).resolves.toEqual({ IsComplete: false });
  });
});

// ===========================================================================================================
// Secrets and sizes
// ===========================================================================================================

describe('the signature', () => {
  test('never reaches the logs, Data or an error, also when AWS quotes it', async () => {
    givenCidrs();
    ec2.on(ProvisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-provision') });
    await onEvent(byoipCidrCreate());
    givenCidrs(range('provisioned', { StatusMessage: `${POOL_ID} (signed with ${SIGNATURE})` }));
    const done = await poll(byoipCidrCreate(), handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true }));
    const old = await onEvent(byoipCidrUpdate({ Description: 'x' }, { AuthorizationSignature: OTHER_SIGNATURE })).catch((e: Error) => e);
    ec2.on(ProvisionByoipCidrCommand).rejects(ec2Error('InvalidParameterValue', `Bad signature ${OTHER_SIGNATURE}`));
    givenCidrs();
    const refused = await onEvent(byoipCidrUpdate({ Cidr: OTHER_CIDR, AuthorizationSignature: OTHER_SIGNATURE })).catch((e: Error) => e);

    expect(JSON.stringify(done)).not.toContain(SIGNATURE.slice(0, 40));
    expect(done.Data).toEqual(dataOf('provisioned', { StatusMessage: `${POOL_ID} (signed with ***)`, PoolId: POOL_ID }));
    expect((old as Error).message).not.toContain(OTHER_SIGNATURE.slice(0, 40));
    expect((refused as Error).message).toBe(`Range: could not create BYOIP CIDR ${OTHER_CIDR}: ProvisionByoipCidr failed with InvalidParameterValue: Bad signature ***`);
    expect(logs.text()).not.toContain(SIGNATURE.slice(0, 40));
    expect(logs.text()).not.toContain(OTHER_SIGNATURE.slice(0, 40));
    expect(logs.records()).toContainEqual(expect.objectContaining({
      action: 'ProvisionByoipCidr',
      params: { Cidr: CIDR, CidrAuthorizationContext: { Message: cidrAuthorizationMessage(), Signature: '***' }, PubliclyAdvertisable: true },
    }));
  });
});

describe('the response to CloudFormation', () => {
  test('stays under 4096 bytes on success when the status message is huge, with the pool id still read', async () => {
    const huge = `${POOL_ID} ${'The range is provisioned. '.repeat(3000)}`;
    givenCidrs(range('provisioned', { StatusMessage: huge }));
    const event = byoipCidrCreate();

    const response = await poll(event, handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true }));

    expect(Buffer.byteLength(cloudFormationSuccessBody(event, BYOIP_CIDR_ID, response.Data))).toBeLessThan(4096);
    expect(Buffer.byteLength(JSON.stringify(response.Data))).toBeLessThanOrEqual(MAX_DATA_BYTES);
    expect(response.Data?.PoolId).toBe(POOL_ID);
    expect(response.Data?.StatusMessage).toMatch(/…$/);
  });

  test('stays under 4096 bytes when isComplete fails on a huge status message', async () => {
    givenCidrs(range('failed-provision', { StatusMessage: 'Ünverifiable "ROA".\n'.repeat(3000) }));
    const event = isCompleteEvent(byoipCidrCreate(), handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true }));

    const error = await isComplete(event).catch((e: Error) => e);

    expect(Buffer.byteLength(failureBody(event, BYOIP_CIDR_ID, error as Error))).toBeLessThan(4096);
  });

  test('stays under 4096 bytes when onEvent fails naming many blocking associations', async () => {
    givenCidrs(byoipCidr(Array.from({ length: 300 }, (_, i) => association('associated', { Asn: String(131072 + i) }))));
    const event = byoipCidrDelete();

    const error = await onEvent(event).catch((e: Error) => e);

    expect((error as Error).message).toMatch(/^Range: cannot deprovision BYOIP CIDR 203\.0\.113\.0\/24: it is still associated with ASN 131072 \(associated\), /);
    expect(Buffer.byteLength(failureBody(event, BYOIP_CIDR_ID, error as Error))).toBeLessThan(4096);
  });
});

describe('the waiting windows', () => {
  test('a refusal after an ambiguous attempt fails with the saved message once the window has passed', async () => {
    givenCidrs();
    ec2.on(ProvisionByoipCidrCommand).rejects(ec2Error('IncorrectState', 'The CIDR is already pending-provision.', 400, 2, ['ambiguous']));
    const request = byoipCidrCreate();
    const response = await onEvent(request);
    expect(response.Next).toMatchObject({ Refused: createFailure('IncorrectState: The CIDR is already pending-provision.') });

    await expect(poll(request, response)).resolves.toEqual({ IsComplete: false });
    clockAt(CONSISTENCY_WINDOW_MS);
    await expectError(poll(request, response), expect.stringContaining('no earlier attempt of it became visible'));
  });
});
