/**
 * Kills mutants of lambda/index.ts (issue 13): the keys that identify the request on every log line, and the
 * time the entry point keeps back from the Lambda context's remaining time.
 */
import { AdvertiseByoipCidrCommand } from '@aws-sdk/client-ec2';
import 'aws-sdk-client-mock-jest';
import { WORST_CASE_CALL_MS } from '../../lambda/ec2';
import { DEADLINE_MARGIN_MS, LambdaContext, onEvent } from '../../lambda/index';
import { ADVERTISEMENT_RESOURCE_TYPE } from '../../lib/private/contract';
import { AMAZON_ADVERTISEMENT_ID, advertisementCreate, advertisementDelete, byoipCidr, mockedEc2 } from './events';

const { ec2, logs, givenCidrs } = mockedEc2();

/** A Lambda context with this much time left. */
const remaining = (ms: number): LambdaContext => ({ getRemainingTimeInMillis: () => ms });

describe('the keys of every log line', () => {
  test("name a Create's physical id as not chosen yet, and a Delete's by the id it was given", async () => {
    givenCidrs(byoipCidr([], { State: 'provisioned' }));
    ec2.on(AdvertiseByoipCidrCommand).resolves({});
    const create = advertisementCreate({ Asn: 'AWS' });

    await onEvent(create);

    const createLines = logs.records();
    expect(createLines.length).toBeGreaterThan(0);
    for (const line of createLines) {
      expect(line).toEqual(expect.objectContaining({
        RequestId: create.RequestId, LogicalResourceId: 'Advert', PhysicalResourceId: '(none yet)', ResourceType: ADVERTISEMENT_RESOURCE_TYPE,
      }));
    }

    await onEvent(advertisementDelete(AMAZON_ADVERTISEMENT_ID));

    const deleteLines = logs.records().slice(createLines.length);
    expect(deleteLines.length).toBeGreaterThan(0);
    for (const line of deleteLines) {
      expect(line).toEqual(expect.objectContaining({ PhysicalResourceId: AMAZON_ADVERTISEMENT_ID }));
    }
  });
});

describe("the invocation's deadline", () => {
  beforeEach(() => {
    givenCidrs(byoipCidr([], { State: 'provisioned' }));
    ec2.on(AdvertiseByoipCidrCommand).resolves({});
  });

  test(`keeps ${DEADLINE_MARGIN_MS} ms of the remaining time back: with only a call's worst case beyond that margin, the call is left to isComplete`, async () => {
    const response = await onEvent(advertisementCreate({ Asn: 'AWS' }), remaining(WORST_CASE_CALL_MS + DEADLINE_MARGIN_MS));

    expect(response.Next).toEqual(expect.objectContaining({ Goal: 'created', Acted: false }));
    expect(ec2).toHaveReceivedCommandTimes(AdvertiseByoipCidrCommand, 0);
  });

  test('makes the call when the remaining time covers the margin, the worst case of the call and the answer', async () => {
    const response = await onEvent(advertisementCreate({ Asn: 'AWS' }), remaining(WORST_CASE_CALL_MS + DEADLINE_MARGIN_MS + 20_000));

    expect(response.Next).toEqual(expect.objectContaining({ Goal: 'created', Acted: true }));
    expect(ec2).toHaveReceivedCommandTimes(AdvertiseByoipCidrCommand, 1);
  });
});
