/**
 * Kills mutants of lambda/ipam-byoasn.ts that the other tests let survive (issue 13).
 */
import { DeprovisionIpamByoasnCommand, ProvisionIpamByoasnCommand } from '@aws-sdk/client-ec2';
import 'aws-sdk-client-mock-jest';
import { byoasnPhysicalId } from '../../lib/private/contract';
import type { CustomResourceEvent, Handover, IsCompleteResponse, OnEventResponse } from '../../lambda/common';
import { isComplete, onEvent } from '../../lambda/index';
import {
  ASN,
  BYOASN_ID,
  CIDR,
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

const { ec2, logs, givenAsns, givenCidrs, givenStackStatus } = mockedEc2();

const T0 = Date.UTC(2025, 5, 2, 9, 30, 0);
beforeEach(() => {
  jest.spyOn(Date, 'now').mockReturnValue(T0);
});

const NEW_ID = byoasnPhysicalId(IPAM_ID, OTHER_ASN);

function handover(physicalId: string, next: Omit<Handover, 'At'>): OnEventResponse {
  return { PhysicalResourceId: physicalId, Next: { ...next, At: T0 } };
}

function poll(event: CustomResourceEvent, response: OnEventResponse): Promise<IsCompleteResponse> {
  return isComplete(isCompleteEvent(event, response));
}

describe('isComplete asking whether it may take back an existing ASN', () => {
  test('refuses it, naming the state it read, when the stack is not rolling back', async () => {
    givenStackStatus('UPDATE_IN_PROGRESS');
    givenAsns(byoasn('provisioned'), byoasn('pending-deprovision', { Asn: OTHER_ASN }));
    const event = byoasnUpdate({ Asn: OTHER_ASN }, {});

    await expect(poll(event, handover(NEW_ID, { Goal: 'created', Acted: true, Ask: 'may-take-back' }))).rejects.toMatchObject({
      message: `Asn: ASN 64497 is already pending-deprovision in ${IPAM_ID}. Set adoptExisting: true to manage it with this stack (deleting the resource will then deprovision it), or deprovision it first.`,
    });
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 0);
  });
});

describe('an in-place update', () => {
  test.each([
    ['not listed', [], { State: '', StatusMessage: '' }],
    ['pending-provision', [byoasn('pending-provision', { StatusMessage: 'working' })], { State: 'pending-provision', StatusMessage: 'working' }],
    ['deprovisioned', [byoasn('deprovisioned')], { State: 'deprovisioned', StatusMessage: '' }],
  ])('of an ASN that is %s completes with the ASN as it is, without a call', async (_, records, data) => {
    givenAsns(...records);
    const event = byoasnUpdate({ AdoptExisting: 'true' });

    const response = await onEvent(event);
    expect(response).toEqual(handover(BYOASN_ID, { Goal: 'unchanged', Acted: false }));
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: { Asn: ASN, IpamId: IPAM_ID, ...data } });
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 0);
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 0);
  });
});

describe('the associations that block a deprovisioning', () => {
  test('are named by the CIDR of their BYOIP record when the association does not repeat it, and logged', async () => {
    givenAsns(byoasn('provisioned'));
    givenCidrs(
      byoipCidr([{ Asn: ASN, State: 'associated' }]),
      byoipCidr([{ Asn: ASN, State: 'pending-association' }], { Cidr: '198.51.100.0/24' }),
      byoipCidr([{ Asn: OTHER_ASN, State: 'associated' }], { Cidr: '192.0.2.0/24' }),
    );
    ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN has associations.'));

    await expect(onEvent(byoasnDelete())).rejects.toMatchObject({
      message: expect.stringContaining(`it is still associated with ${CIDR} (associated), 198.51.100.0/24 (pending-association). Delete`),
    });
    expect(logs.records()).toContainEqual(expect.objectContaining({
      level: 'INFO',
      message: 'ASN 64496 has 2 association(s)',
      associations: [`${CIDR} (associated)`, '198.51.100.0/24 (pending-association)'],
    }));
  });
});

describe('the log lines of a read', () => {
  test('say when the ASN is not listed', async () => {
    givenAsns();
    await onEvent(byoasnDelete());

    expect(logs.records()).toContainEqual(expect.objectContaining({ level: 'INFO', message: 'ASN 64496 is not listed' }));
  });

  test('give one line per record, and no "not listed" line, when it is', async () => {
    givenAsns(byoasn('deprovisioned'), byoasn('provisioned', { IpamId: 'ipam-0fedcba9876543210', StatusMessage: 'fine' }));
    await onEvent(byoasnDelete());

    const messages = logs.records().map((r) => r.message);
    expect(messages).not.toContain('ASN 64496 is not listed');
    expect(logs.records()).toContainEqual(expect.objectContaining({ message: `ASN 64496 is deprovisioned in ${IPAM_ID}`, asn: ASN, ipamId: IPAM_ID, state: 'deprovisioned' }));
    expect(logs.records()).toContainEqual(expect.objectContaining({ message: 'ASN 64496 is provisioned in ipam-0fedcba9876543210', state: 'provisioned', statusMessage: 'fine' }));
  });
});

describe('an isComplete event of the previous version with a state this handler does not know', () => {
  const legacy = (state: string): OnEventResponse => ({ PhysicalResourceId: BYOASN_ID, Data: { Asn: ASN, IpamId: IPAM_ID, State: state, StatusMessage: '' } });

  test('a create provisions once the ASN is absent: onEvent had waited for that state to end', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

    await expect(poll(byoasnCreate(), legacy('some-future-state'))).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
  });

  test('a delete deprovisions once the ASN is provisioned: onEvent had waited for that state to end', async () => {
    givenAsns(byoasn('provisioned'));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    await expect(poll(byoasnDelete(), legacy('some-future-state'))).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 1);
  });
});

describe('a malformed event', () => {
  test('without ResourceProperties still fails with a HandlerError that names the resource, and logs it', async () => {
    const event = { ...byoasnCreate(), ResourceProperties: undefined } as unknown as CustomResourceEvent;

    await expect(onEvent(event)).rejects.toMatchObject({ name: 'HandlerError', message: expect.stringMatching(/^Asn: TypeError: /) });
    expect(logs.records()).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'onEvent Create failed' }));
  });
});
