/**
 * Kills mutants of lambda/lifecycle.ts that the other tests let survive, through the ASN resource's handler.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DeprovisionIpamByoasnCommand, DescribeIpamByoasnCommand, ProvisionIpamByoasnCommand } from '@aws-sdk/client-ec2';
import 'aws-sdk-client-mock-jest';
import { byoasnPhysicalId } from '../../lib/private/contract';
import type { CustomResourceEvent, Handover, IsCompleteResponse, OnEventResponse } from '../../lambda/common';
import { WORST_CASE_CALL_MS } from '../../lambda/ec2';
import { DEADLINE_MARGIN_MS, isComplete, onEvent } from '../../lambda/index';
import {
  ASN,
  BYOASN_ID,
  CIDR,
  CREATE_FAILED_MARKER,
  IPAM_ID,
  OTHER_ASN,
  byoasn,
  byoasnCreate,
  byoasnDelete,
  byoasnUpdate,
  byoipCidr,
  ec2Error,
  isCompleteEvent,
  mockedEc2,
} from './events';

const { ec2, cfn, givenAsns, givenCidrs, givenStackStatus } = mockedEc2();

const T0 = Date.UTC(2025, 5, 2, 9, 30, 0);
beforeEach(() => {
  jest.spyOn(Date, 'now').mockReturnValue(T0);
});

const NEW_ID = byoasnPhysicalId(IPAM_ID, OTHER_ASN);

/** What lifecycle.ts keeps back, beyond one call's worst case, to answer after the call (ANSWER_RESERVE_MS). */
const ANSWER_RESERVE_MS = 15_000;

function handover(physicalId: string, next: Omit<Handover, 'At'>): OnEventResponse {
  return { PhysicalResourceId: physicalId, Next: { ...next, At: T0 } };
}

function poll(event: CustomResourceEvent, response: OnEventResponse): Promise<IsCompleteResponse> {
  return isComplete(isCompleteEvent(event, response));
}

/** An isComplete event whose `Next` is exactly `next` (also values our onEvent never hands over). */
function pollWithNext(event: CustomResourceEvent, physicalId: string, next: unknown): Promise<IsCompleteResponse> {
  return isComplete({ ...event, PhysicalResourceId: physicalId, Next: next } as never);
}

/** The invocation's clock stands still, so that the time left is exactly what the Lambda context says. */
function freezeInvocationClock(): void {
  jest.spyOn(performance, 'now').mockReturnValue(1_000);
}

const withTimeLeft = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

const PROVISIONED_DATA = { Asn: ASN, IpamId: IPAM_ID, State: 'provisioned', StatusMessage: '' };

describe('the time left for a mutating call', () => {
  test('exactly the worst case of a call plus the reserve to answer is enough: onEvent provisions itself', async () => {
    freezeInvocationClock();
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

    const response = await onEvent(byoasnCreate(), withTimeLeft(WORST_CASE_CALL_MS + ANSWER_RESERVE_MS + DEADLINE_MARGIN_MS));

    expect(response).toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: true }));
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
  });

  test('one millisecond less is not: isComplete provisions instead', async () => {
    freezeInvocationClock();
    givenAsns();

    const response = await onEvent(byoasnCreate(), withTimeLeft(WORST_CASE_CALL_MS + ANSWER_RESERVE_MS + DEADLINE_MARGIN_MS - 1));

    expect(response).toEqual(handover(BYOASN_ID, { Goal: 'created', Acted: false }));
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 0);
  });

  test('the worst case of a call alone, without the reserve to answer, is not enough to deprovision', async () => {
    freezeInvocationClock();
    givenAsns(byoasn('provisioned'));
    givenCidrs();

    const response = await onEvent(byoasnDelete(), withTimeLeft(WORST_CASE_CALL_MS + DEADLINE_MARGIN_MS));

    expect(response).toEqual(handover(BYOASN_ID, { Goal: 'deleted', Acted: false }));
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 0);
  });
});

describe('errors that fail the request keep AWS error as their cause', () => {
  test("a replacement that finds the new ASN provisioned, when DescribeStacks is denied", async () => {
    givenAsns(byoasn('provisioned', { Asn: OTHER_ASN }));
    cfn.on(DescribeStacksCommand).rejects(ec2Error('AccessDenied', 'not allowed', 403));

    await expect(onEvent(byoasnUpdate({ Asn: OTHER_ASN }))).rejects.toMatchObject({
      name: 'HandlerError',
      message: expect.stringContaining("whether this update may take it back depends on the stack's status, which could not be read: AccessDenied: not allowed"),
      cause: expect.objectContaining({ name: 'AccessDenied', message: 'not allowed' }),
    });
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 0);
  });

  test('onEvent, when AWS refuses the parameters of the provisioning', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('InvalidParameterValue', 'bad signature'));

    await expect(onEvent(byoasnCreate())).rejects.toMatchObject({
      message: 'Asn: could not create ASN 64496 in ipam-0123456789abcdef0: ProvisionIpamByoasn failed with InvalidParameterValue: bad signature',
      cause: expect.objectContaining({ name: 'InvalidParameterValue' }),
    });
  });

  test('onEvent, when associations block the deprovisioning', async () => {
    givenAsns(byoasn('provisioned'));
    givenCidrs(byoipCidr([{ Asn: ASN, State: 'associated' }]));
    ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN has associations.'));

    await expect(onEvent(byoasnDelete())).rejects.toMatchObject({
      message: expect.stringContaining(`it is still associated with ${CIDR} (associated)`),
      cause: expect.objectContaining({ name: 'IncorrectState' }),
    });
  });

  test('onEvent, when the deprovisioning is denied', async () => {
    givenAsns(byoasn('provisioned'));
    givenCidrs();
    ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('UnauthorizedOperation', 'no permission', 403));

    await expect(onEvent(byoasnDelete())).rejects.toMatchObject({
      message: 'Asn: could not remove ASN 64496 in ipam-0123456789abcdef0: DeprovisionIpamByoasn failed with UnauthorizedOperation: no permission',
      cause: expect.objectContaining({ name: 'UnauthorizedOperation' }),
    });
  });

  test('isComplete, when the provisioning it makes is denied', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('UnauthorizedOperation', 'no permission', 403));

    await expect(poll(byoasnCreate(), handover(BYOASN_ID, { Goal: 'created', Acted: false }))).rejects.toMatchObject({
      message: 'Asn: could not create ASN 64496 in ipam-0123456789abcdef0: ProvisionIpamByoasn failed with UnauthorizedOperation: no permission',
      cause: expect.objectContaining({ name: 'UnauthorizedOperation' }),
    });
  });

  test('isComplete, when associations block the deprovisioning it makes', async () => {
    givenAsns(byoasn('provisioned'));
    givenCidrs(byoipCidr([{ Asn: ASN, State: 'associated' }]));
    ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN has associations.'));

    await expect(poll(byoasnDelete(), handover(BYOASN_ID, { Goal: 'deleted', Acted: false }))).rejects.toMatchObject({
      message: expect.stringContaining(`it is still associated with ${CIDR} (associated)`),
      cause: expect.objectContaining({ name: 'IncorrectState' }),
    });
  });

  test('isComplete, when AWS refuses the parameters of the provisioning it makes', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('InvalidParameterValue', 'bad signature'));

    await expect(poll(byoasnCreate(), handover(BYOASN_ID, { Goal: 'created', Acted: false }))).rejects.toMatchObject({
      message: 'Asn: could not create ASN 64496 in ipam-0123456789abcdef0: ProvisionIpamByoasn failed with InvalidParameterValue: bad signature',
      cause: expect.objectContaining({ name: 'InvalidParameterValue' }),
    });
  });
});

describe('isComplete asking whether it may take back an existing ASN', () => {
  test('does not ask the stack while the ASN is not listed, and keeps waiting for the provisioning', async () => {
    givenStackStatus('UPDATE_IN_PROGRESS');
    givenAsns();

    await expect(poll(byoasnUpdate({ Asn: OTHER_ASN }), handover(NEW_ID, { Goal: 'created', Acted: true, Ask: 'may-take-back' })))
      .resolves.toEqual({ IsComplete: false });
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 0);
  });
});

describe('the orphan of a failed replacement', () => {
  test('is deprovisioned by isComplete without asking the stack again when onEvent already knew it rolls back', async () => {
    givenStackStatus('UPDATE_IN_PROGRESS');
    givenAsns(byoasn('provisioned'), byoasn('provisioned', { Asn: OTHER_ASN }));
    givenCidrs();
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision', { Asn: OTHER_ASN }) });

    await expect(poll(byoasnUpdate({}, { Asn: OTHER_ASN }), handover(BYOASN_ID, { Goal: 'unchanged', Acted: false, Orphan: NEW_ID })))
      .resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandWith(DeprovisionIpamByoasnCommand, { IpamId: IPAM_ID, Asn: OTHER_ASN });
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
  });
});

describe('isComplete of a delete', () => {
  test("completes at once when the physical id is not one of this resource type's", async () => {
    await expect(pollWithNext(byoasnDelete(CREATE_FAILED_MARKER), CREATE_FAILED_MARKER, { Goal: 'deleted', Acted: true, At: T0 }))
      .resolves.toEqual({ IsComplete: true });
    expect(ec2).toHaveReceivedCommandTimes(DescribeIpamByoasnCommand, 0);
  });

  test('that must confirm the absence deprovisions the ASN that shows up, even after a call of its own', async () => {
    givenAsns(byoasn('provisioned'));
    givenCidrs();
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    await expect(poll(byoasnDelete(), handover(BYOASN_ID, { Goal: 'deleted', Acted: true, ConfirmAbsence: true })))
      .resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandWith(DeprovisionIpamByoasnCommand, { IpamId: IPAM_ID, Asn: ASN });
  });
});

describe('onEvent of a delete without a physical id', () => {
  test('answers with an empty physical id and deletes nothing', async () => {
    const event = { ...byoasnDelete(), PhysicalResourceId: undefined } as unknown as CustomResourceEvent;

    await expect(onEvent(event)).resolves.toEqual({ PhysicalResourceId: '' });
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 0);
  });
});

describe('isComplete of a create', () => {
  test('fails, naming the physical id, when that is not one of this resource type', async () => {
    await expect(pollWithNext(byoasnCreate(), CREATE_FAILED_MARKER, { Goal: 'created', Acted: true, At: T0 })).rejects.toMatchObject({
      name: 'HandlerError',
      message: `Asn: '${CREATE_FAILED_MARKER}' is not a physical id of this resource type.`,
    });
  });

  test('fails with the failure AWS reports when there was no failed record before its call', async () => {
    givenAsns(byoasn('failed-provision', { StatusMessage: 'signature invalid' }));

    await expect(poll(byoasnCreate(), handover(BYOASN_ID, { Goal: 'created', Acted: true }))).rejects.toMatchObject({
      name: 'HandlerError',
      message: expect.stringMatching(/^Asn: .*signature invalid/),
    });
  });
});

describe('a failed record that isComplete reads within the consistency window', () => {
  test('is not taken for the record that the create call replaced when its state differs, even with the same status message', async () => {
    givenAsns(byoasn('failed-provision', { StatusMessage: 'signature invalid' }));
    const response = handover(BYOASN_ID, { Goal: 'created', Acted: true, Superseded: { State: 'pending-provision', StatusMessage: 'signature invalid' } });

    await expect(poll(byoasnCreate(), response)).rejects.toMatchObject({
      name: 'HandlerError',
      message: expect.stringMatching(/^Asn: .*signature invalid/),
    });
  });

  test('is taken for the record that the create call replaced when state and status message are the same: waits', async () => {
    givenAsns(byoasn('failed-provision', { StatusMessage: 'signature invalid' }));
    const response = handover(BYOASN_ID, { Goal: 'created', Acted: true, Superseded: { State: 'failed-provision', StatusMessage: 'signature invalid' } });

    await expect(poll(byoasnCreate(), response)).resolves.toEqual({ IsComplete: false });
  });
});

describe('an isComplete event whose Next is not a handover of this version', () => {
  test('null: waits as for a create that has acted', async () => {
    givenAsns(byoasn('provisioned'));

    await expect(pollWithNext(byoasnCreate(), BYOASN_ID, null)).resolves.toEqual({ IsComplete: true, Data: PROVISIONED_DATA });
  });

  test('with a goal it does not know: waits as for a create that has acted', async () => {
    givenAsns(byoasn('provisioned'));

    await expect(pollWithNext(byoasnCreate(), BYOASN_ID, { Goal: 'something-else', Acted: true, At: T0 }))
      .resolves.toEqual({ IsComplete: true, Data: PROVISIONED_DATA });
  });

  test('with a time that is not a finite number: waits as for a create that has acted, and does not provision', async () => {
    givenAsns();

    await expect(pollWithNext(byoasnCreate(), BYOASN_ID, { Goal: 'created', Acted: false, At: Number.POSITIVE_INFINITY }))
      .resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 0);
  });
});
