import { DescribeByoipCidrsCommand, DescribeIpamByoasnCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ALLOW_DOCUMENTATION_VALUES_ENV } from '../../lib/private/contract';
import { isComplete, onEvent } from '../../lambda/index';
import { ASSOCIATION_ID, BYOASN_ID, associationDelete, byoasnCreate, byoasnDelete, captureLogs, isCompleteEvent } from './events';

const ec2 = mockClient(EC2Client);

beforeEach(() => {
  ec2.reset();
  captureLogs();
  process.env[ALLOW_DOCUMENTATION_VALUES_ENV] = 'true';
});

afterEach(() => {
  jest.restoreAllMocks();
  delete process.env[ALLOW_DOCUMENTATION_VALUES_ENV];
});

describe('entry points', () => {
  const unknown = { ...byoasnCreate(), ResourceType: 'Custom::Unknown' };
  const message = "Unknown resource type 'Custom::Unknown': this handler serves Custom::IpamByoasn, Custom::ByoasnCidrAssociation, Custom::ByoipCidr and Custom::ByoipCidrAdvertisement.";

  test('onEvent refuses an unknown resource type, before any AWS call', async () => {
    await expect(onEvent(unknown)).rejects.toMatchObject({ message });
    expect(ec2.calls()).toHaveLength(0);
  });

  test('isComplete refuses an unknown resource type, before any AWS call', async () => {
    await expect(isComplete(isCompleteEvent(unknown, { PhysicalResourceId: 'x' }))).rejects.toMatchObject({ message });
    expect(ec2.calls()).toHaveLength(0);
  });

  test('sends Custom::IpamByoasn to the ASN handler', async () => {
    ec2.on(DescribeIpamByoasnCommand).resolves({ Byoasns: [] });

    await expect(onEvent(byoasnDelete())).resolves.toEqual({ PhysicalResourceId: BYOASN_ID });
    expect(ec2).toHaveReceivedCommandTimes(DescribeIpamByoasnCommand, 1);
    expect(ec2).toHaveReceivedCommandTimes(DescribeByoipCidrsCommand, 0);
  });

  test('sends Custom::ByoasnCidrAssociation to the association handler', async () => {
    ec2.on(DescribeByoipCidrsCommand).resolves({ ByoipCidrs: [] });

    await expect(onEvent(associationDelete())).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID });
    expect(ec2).toHaveReceivedCommandTimes(DescribeByoipCidrsCommand, 1);
    expect(ec2).toHaveReceivedCommandTimes(DescribeIpamByoasnCommand, 0);
  });

  test('refuses an unknown request type with the logical id in front', async () => {
    const event = { ...byoasnDelete(), RequestType: 'Replace' } as unknown as Parameters<typeof onEvent>[0];

    await expect(onEvent(event)).rejects.toMatchObject({ message: "Asn: unknown request type 'Replace'." });
    await expect(isComplete({ ...event, PhysicalResourceId: BYOASN_ID })).rejects.toMatchObject({ message: "Asn: unknown request type 'Replace'." });
  });
});
