/**
 * Kills mutants of the physical-id parsers (issue 13): only canonical ids are ours, so a Delete of any other
 * id (a marker, an id of another version or resource type) touches nothing, and a canonical one is read.
 */
import { DescribeByoipCidrsCommand, DescribeIpamByoasnCommand } from '@aws-sdk/client-ec2';
import 'aws-sdk-client-mock-jest';
import { onEvent } from '../../lambda/index';
import { ASN, CIDR, IPAM_ID, associationDelete, byoasnDelete, mockedEc2 } from './events';

const { ec2, cfn, givenAsns, givenCidrs } = mockedEc2();

describe('IpamByoasn: <ipamId>|<asn>', () => {
  test.each([
    `x${IPAM_ID}|${ASN}`,
    `${IPAM_ID}x|${ASN}`,
    `ipam-0123456789ABCDEF0|${ASN}`,
    `pool-0123456789abcdef0|${ASN}`,
    `${IPAM_ID}|0${ASN}`,
    `${IPAM_ID}|x${ASN}`,
    `${IPAM_ID}|${ASN}x`,
    `${IPAM_ID}|${ASN}.0`,
    `${IPAM_ID}|12345678901`,
    `${IPAM_ID}|`,
    `|${ASN}`,
    `${IPAM_ID}|${ASN}|x`,
    `${IPAM_ID}`,
  ])('a Delete of %p touches nothing', async (id) => {
    await expect(onEvent(byoasnDelete(id))).resolves.toEqual({ PhysicalResourceId: id });
    expect(ec2.calls()).toHaveLength(0);
    expect(cfn.calls()).toHaveLength(0);
  });

  test.each([`${IPAM_ID}|0`, `${IPAM_ID}|1234567890`, `ipam-01234567|${ASN}`])('a Delete of the canonical %p reads the ASN', async (id) => {
    givenAsns();
    await expect(onEvent(byoasnDelete(id))).resolves.toEqual({ PhysicalResourceId: id });
    expect(ec2).toHaveReceivedCommandTimes(DescribeIpamByoasnCommand, 1);
  });
});

describe('ByoasnCidrAssociation: <asn>|<cidr>', () => {
  test.each([
    `0${ASN}|${CIDR}`,
    `x${ASN}|${CIDR}`,
    `${ASN}x|${CIDR}`,
    `12345678901|${CIDR}`,
    `${ASN}|203.0.113.0`,
    `${ASN}|`,
    `|${CIDR}`,
    `${ASN}|${CIDR}|x`,
    `${IPAM_ID}|${ASN}`,
  ])('a Delete of %p touches nothing', async (id) => {
    await expect(onEvent(associationDelete(id))).resolves.toEqual({ PhysicalResourceId: id });
    expect(ec2.calls()).toHaveLength(0);
    expect(cfn.calls()).toHaveLength(0);
  });

  test.each([`0|${CIDR}`, `1234567890|${CIDR}`, `${ASN}|${CIDR}`])('a Delete of the canonical %p reads the CIDR', async (id) => {
    givenCidrs();
    await expect(onEvent(associationDelete(id))).resolves.toEqual({ PhysicalResourceId: id });
    expect(ec2).toHaveReceivedCommandTimes(DescribeByoipCidrsCommand, 1);
  });
});
