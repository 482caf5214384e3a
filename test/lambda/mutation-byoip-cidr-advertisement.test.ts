/**
 * Kills mutants of lambda/byoip-cidr-advertisement.ts (issue 13): which physical ids are ours, the Region named
 * in the refusal of a CIDR that is not BYOIP, when an own ASN's association is checked, what an in-place update
 * reports when the CIDR is not (or not with this origin) advertised, and the legacy handover of a state the
 * handler does not know.
 */
import { AdvertiseByoipCidrCommand, AsnAssociation, ByoipCidr, WithdrawByoipCidrCommand } from '@aws-sdk/client-ec2';
import 'aws-sdk-client-mock-jest';
import type { Handover, IsCompleteResponse, OnEventResponse } from '../../lambda/common';
import { isComplete, onEvent } from '../../lambda/index';
import {
  ADVERTISEMENT_ID,
  ASN,
  CIDR,
  OTHER_ASN,
  POOL_ID,
  advertisementCreate,
  advertisementDelete,
  advertisementUpdate,
  association,
  byoipCidr,
  isCompleteEvent,
  mockedEc2,
} from './events';

const { ec2, logs, givenCidrs } = mockedEc2();

const T0 = Date.UTC(2025, 5, 2, 9, 30, 0);

beforeEach(() => {
  jest.spyOn(Date, 'now').mockReturnValue(T0);
});

/** The CIDR in a state, listed with these associations. */
const range = (state: string, associations: AsnAssociation[] = [], overrides: Partial<ByoipCidr> = {}) =>
  byoipCidr(associations, { State: state as ByoipCidr['State'], StatusMessage: POOL_ID, ...overrides });

function handover(physicalId: string, next: Omit<Handover, 'At'>): OnEventResponse {
  return { PhysicalResourceId: physicalId, Next: { ...next, At: T0 } };
}

function expectNoMutation(): void {
  expect(ec2).toHaveReceivedCommandTimes(AdvertiseByoipCidrCommand, 0);
  expect(ec2).toHaveReceivedCommandTimes(WithdrawByoipCidrCommand, 0);
}

describe('physical ids: only the canonical `<cidr>|<asn or AWS>` is ours', () => {
  test.each([
    ['a CIDR not in canonical form (upper case)', '2001:DB8:1000::/48|64496'],
    ['a CIDR not in canonical form (zeros written out)', '2001:db8:1000:0::/48|64496'],
    ['an ASN with a leading zero', `${CIDR}|064496`],
    ['an ASN with a prefix', `${CIDR}|AS64496`],
    ['an ASN with a suffix', `${CIDR}|64496x`],
    ['an ASN of eleven digits', `${CIDR}|12345678901`],
    ["Amazon's ASN in lower case", `${CIDR}|aws`],
  ])('a Delete ignores %s, with no AWS call, and its isComplete completes at once', async (_, physicalId) => {
    const event = advertisementDelete(physicalId);

    await expect(onEvent(event)).resolves.toEqual({ PhysicalResourceId: physicalId });
    await expect(isComplete(isCompleteEvent(event, handover(physicalId, { Goal: 'deleted', Acted: true })))).resolves.toEqual({ IsComplete: true });
    expect(ec2.calls()).toHaveLength(0);
  });

  test.each([
    ['0', `${CIDR}|0`],
    ['a ten-digit ASN', `${CIDR}|4294967295`],
  ])('a Delete reads and withdraws the advertisement of a canonical id with ASN %s', async (_, physicalId) => {
    const asn = physicalId.split('|')[1];
    givenCidrs(range('advertised', [association('advertised', { Asn: asn })]));
    ec2.on(WithdrawByoipCidrCommand).resolves({});

    await expect(onEvent(advertisementDelete(physicalId))).resolves.toEqual(handover(physicalId, { Goal: 'deleted', Acted: true }));
    expect(ec2).toHaveReceivedCommandWith(WithdrawByoipCidrCommand, { Cidr: CIDR });
  });
});

describe('the refusal of a CIDR that is not a BYOIP CIDR names the Region', () => {
  const saved = process.env.AWS_REGION;
  afterEach(() => {
    if (saved === undefined) {
      delete process.env.AWS_REGION;
    } else {
      process.env.AWS_REGION = saved;
    }
  });

  test('as "this Region" when AWS_REGION is not set', async () => {
    delete process.env.AWS_REGION;
    givenCidrs();

    await expect(onEvent(advertisementCreate())).rejects.toMatchObject({ message: expect.stringContaining(`CIDR ${CIDR} is not a BYOIP CIDR in this Region, so it cannot be advertised.`) });
  });

  test('by its name when AWS_REGION is set', async () => {
    process.env.AWS_REGION = 'eu-west-1';
    givenCidrs();

    await expect(onEvent(advertisementCreate())).rejects.toMatchObject({ message: expect.stringContaining(`CIDR ${CIDR} is not a BYOIP CIDR in Region eu-west-1, so it cannot be advertised.`) });
  });
});

describe("an own ASN's association is checked only while the CIDR is not advertised", () => {
  test.each([
    ['pending-advertising', true],
    ['pending-withdrawal', false],
  ])('a Create waits for a CIDR that is %s, whatever its associations show', async (state, acted) => {
    givenCidrs(range(state, [association('associated', { Asn: OTHER_ASN })]));

    await expect(onEvent(advertisementCreate())).resolves.toEqual(handover(ADVERTISEMENT_ID, { Goal: 'created', Acted: acted }));
    expectNoMutation();
  });

  test('a Create refuses a CIDR in a state the handler does not know as such, not for the association', async () => {
    givenCidrs(range('quarantined'));

    await expect(onEvent(advertisementCreate())).rejects.toMatchObject({ message: expect.stringContaining("is in state 'quarantined', which this handler does not know") });
    expectNoMutation();
  });
});

describe('isComplete of an in-place update reports the advertisement as it is', () => {
  const poll = (): Promise<IsCompleteResponse> => {
    const event = advertisementUpdate({ NetworkBorderGroup: 'us-east-1-lax-1' });
    return isComplete(isCompleteEvent(event, handover(ADVERTISEMENT_ID, { Goal: 'unchanged', Acted: false })));
  };

  test("with an empty State, and the CIDR's status message, when the CIDR is advertised with another origin", async () => {
    givenCidrs(range('advertised', [association('associated'), association('advertised', { Asn: OTHER_ASN })]));

    await expect(poll()).resolves.toEqual({ IsComplete: true, Data: { Cidr: CIDR, Asn: ASN, State: '', StatusMessage: POOL_ID } });
    expect(logs.records()).toContainEqual(expect.objectContaining({ cidr: CIDR, state: 'advertised', origin: OTHER_ASN }));
    expectNoMutation();
  });

  test('with an empty State and status message when the CIDR is not listed', async () => {
    givenCidrs();

    await expect(poll()).resolves.toEqual({ IsComplete: true, Data: { Cidr: CIDR, Asn: ASN, State: '', StatusMessage: '' } });
  });
});

describe('isComplete of a handover from an earlier version (the state onEvent left in Data)', () => {
  test('advertises when onEvent left the CIDR in a state the handler does not know, and it is provisioned now', async () => {
    givenCidrs(range('provisioned', [association('associated')]));
    ec2.on(AdvertiseByoipCidrCommand).resolves({});
    const event = isCompleteEvent(advertisementCreate(), { PhysicalResourceId: ADVERTISEMENT_ID, Data: { State: 'quarantined' } });

    await expect(isComplete(event)).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandWith(AdvertiseByoipCidrCommand, { Cidr: CIDR, Asn: ASN });
  });

  test('waits without a call when onEvent left the CIDR being advertised and it is provisioned now (the call not visible yet)', async () => {
    givenCidrs(range('provisioned', [association('associated')]));
    const event = isCompleteEvent(advertisementCreate(), { PhysicalResourceId: ADVERTISEMENT_ID, Data: { State: 'pending-advertising' } });

    await expect(isComplete(event)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });
});
