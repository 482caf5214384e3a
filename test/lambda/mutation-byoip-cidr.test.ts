/**
 * Kills mutants of lambda/byoip-cidr.ts that the other tests let survive (issue 13).
 */
import { ByoipCidr } from '@aws-sdk/client-ec2';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import 'aws-sdk-client-mock-jest';
import type { Handover, OnEventResponse } from '../../lambda/common';
import { onEvent } from '../../lambda/index';
import {
  BYOIP_CIDR_ID,
  OTHER_CIDR,
  byoipCidr,
  byoipCidrUpdate,
  ec2Error,
  mockedEc2,
} from './events';

const { ec2, cfn, givenCidrs } = mockedEc2();

const T0 = Date.UTC(2025, 5, 2, 9, 30, 0);
beforeEach(() => {
  jest.spyOn(Date, 'now').mockReturnValue(T0);
});

const range = (state: string, overrides: Partial<ByoipCidr> = {}) => byoipCidr([], { State: state as ByoipCidr['State'], ...overrides });

function handover(physicalId: string, next: Omit<Handover, 'At'>): OnEventResponse {
  return { PhysicalResourceId: physicalId, Next: { ...next, At: T0 } };
}

describe('the rollback of a replacement (OldResourceProperties name the new range)', () => {
  test('is not an in-place change of the old range: it neither reads the stack status for one nor fails when it cannot', async () => {
    // The failed update gave the new range another description: going back changes the description only with
    // the CIDR, so there is nothing AWS would have to change in place.
    cfn.on(DescribeStacksCommand).rejects(ec2Error('AccessDenied', 'not allowed', 403));
    givenCidrs(range('provisioned'));
    const rollback = byoipCidrUpdate({}, { Cidr: OTHER_CIDR, Description: 'other' }, BYOIP_CIDR_ID);

    await expect(onEvent(rollback)).resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'unchanged', Acted: false }));
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
    expect(ec2.calls().map((call) => call.args[0].constructor.name)).toEqual(['DescribeByoipCidrsCommand']);
  });
});
