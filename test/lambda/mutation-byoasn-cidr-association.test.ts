/**
 * Kills mutants of lambda/byoasn-cidr-association.ts that the other tests let survive (issue 13).
 */
import { AssociateIpamByoasnCommand, DescribeByoipCidrsCommand, DisassociateIpamByoasnCommand } from '@aws-sdk/client-ec2';
import 'aws-sdk-client-mock-jest';
import type { CustomResourceEvent, Handover, IsCompleteResponse, OnEventResponse } from '../../lambda/common';
import { isComplete, onEvent } from '../../lambda/index';
import {
  ASN,
  ASSOCIATION_ID,
  CIDR,
  OTHER_ASN,
  association,
  associationCreate,
  associationDelete,
  associationUpdate,
  byoipCidr,
  ec2Error,
  isCompleteEvent,
  mockedEc2,
} from './events';

const { ec2, logs, givenCidrs } = mockedEc2();

const T0 = Date.UTC(2025, 5, 2, 9, 30, 0);
beforeEach(() => {
  jest.spyOn(Date, 'now').mockReturnValue(T0);
});

function handover(next: Omit<Handover, 'At'>, physicalId = ASSOCIATION_ID): OnEventResponse {
  return { PhysicalResourceId: physicalId, Next: { ...next, At: T0 } };
}

function poll(event: CustomResourceEvent, response: OnEventResponse): Promise<IsCompleteResponse> {
  return isComplete(isCompleteEvent(event, response));
}

function expectInfo(message: string, fields: Record<string, unknown> = {}): void {
  expect(logs.records()).toContainEqual(expect.objectContaining({ level: 'INFO', message, ...fields }));
}

const NOT_BYOIP_IN_THIS_REGION = `Prefix: CIDR ${CIDR} is not a BYOIP CIDR in this Region. Provision it as a BYOIP CIDR first (ProvisionByoipCidr; see "Bring your own IP addresses" in the Amazon VPC documentation) in this Region, then associate it with ASN 64496.`;

describe('a CIDR that is not a BYOIP CIDR', () => {
  const saved = process.env.AWS_REGION;
  afterEach(() => {
    if (saved === undefined) {
      delete process.env.AWS_REGION;
    } else {
      process.env.AWS_REGION = saved;
    }
  });

  test.each([
    ['not listed', []],
    ['listed only as failed-provision', [byoipCidr([association('associated')], { State: 'failed-provision' })]],
    ['listed only as deprovisioned', [byoipCidr([association('associated')], { State: 'deprovisioned' })]],
  ])('is refused when %s, naming "this Region" without AWS_REGION', async (_, cidrs) => {
    delete process.env.AWS_REGION;
    givenCidrs(...cidrs);

    await expect(onEvent(associationCreate())).rejects.toMatchObject({ message: NOT_BYOIP_IN_THIS_REGION });
    expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 0);
    expectInfo(`BYOIP CIDR ${CIDR} is not listed`, { cidr: CIDR });
  });

  test('names the Region when AWS_REGION is set', async () => {
    process.env.AWS_REGION = 'eu-west-1';
    givenCidrs();

    await expect(onEvent(associationCreate())).rejects.toMatchObject({ message: expect.stringContaining(`is not a BYOIP CIDR in Region eu-west-1. Provision`) });
  });

  test('a record without a state counts as live', async () => {
    givenCidrs({ Cidr: CIDR, AsnAssociations: [] });
    ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

    await expect(onEvent(associationCreate())).resolves.toEqual(handover({ Goal: 'created', Acted: true }));
  });
});

describe('the log lines of a read', () => {
  test('name the live record among several, its state, and the association', async () => {
    givenCidrs(
      byoipCidr([association('associated')], { State: 'deprovisioned' }),
      byoipCidr([association('associated', { StatusMessage: 'fine' })], { State: 'provisioned', StatusMessage: 'ok' }),
    );
    await onEvent(associationUpdate({ AdoptExisting: 'true' }));
    await poll(associationUpdate({ AdoptExisting: 'true' }), handover({ Goal: 'unchanged', Acted: false }));

    expectInfo(`2 BYOIP CIDR records match ${CIDR}; the live one wins`, { states: ['deprovisioned', 'provisioned'] });
    expectInfo(`BYOIP CIDR ${CIDR} is provisioned`, { cidr: CIDR, state: 'provisioned', statusMessage: 'ok' });
    expectInfo(`the association of ASN 64496 with ${CIDR} is associated`, { asn: ASN, cidr: CIDR, state: 'associated', statusMessage: 'fine' });
  });

  test('say when the ASN has no association with the CIDR, and name no record count for a single record', async () => {
    givenCidrs(byoipCidr([association('associated', { Asn: OTHER_ASN })]));
    await poll(associationUpdate({ AdoptExisting: 'true' }), handover({ Goal: 'unchanged', Acted: false }));

    expectInfo(`ASN 64496 has no association with ${CIDR}`, { asn: ASN, cidr: CIDR });
    expect(logs.records().map((r) => r.message)).not.toContainEqual(expect.stringContaining('records match'));
  });
});

describe('an in-place update', () => {
  test('of an association that is not listed completes with it as it is, without a call', async () => {
    givenCidrs(byoipCidr([]));
    const event = associationUpdate({ AdoptExisting: 'true' });

    await expect(poll(event, await onEvent(event))).resolves.toEqual({ IsComplete: true, Data: { Asn: ASN, Cidr: CIDR, State: '', StatusMessage: '' } });
    expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 0);
    expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 0);
  });
});

describe('an association that exists already', () => {
  test('is refused naming its state, e.g. advertised', async () => {
    givenCidrs(byoipCidr([association('advertised')]));

    await expect(onEvent(associationCreate())).rejects.toMatchObject({
      message: `Prefix: ASN 64496 is already associated with CIDR ${CIDR} (state advertised). Set adoptExisting: true to manage the association with this stack (deleting the resource will then disassociate it), or disassociate it first.`,
    });
  });
});

describe('a refused disassociation of an advertised CIDR', () => {
  test('says when the association itself is no longer listed', async () => {
    ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The CIDR is advertised.'));
    let read = 0;
    ec2.on(DescribeByoipCidrsCommand).callsFake(() => ({
      ByoipCidrs: [read++ === 0 ? byoipCidr([association('associated')], { State: 'advertised' }) : byoipCidr([], { State: 'advertised' })],
    }));

    await expect(onEvent(associationDelete())).rejects.toMatchObject({
      message: expect.stringContaining(`which is advertised (CIDR state advertised, association state not listed).`),
    });
  });
});

describe('a refused disassociation, judged by our own association only', () => {
  test("fails with AWS's own message when only another ASN's association with the CIDR is advertised", async () => {
    givenCidrs(byoipCidr([association('advertised', { Asn: OTHER_ASN }), association('associated')]));
    ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'Something else.'));

    await expect(onEvent(associationDelete())).rejects.toMatchObject({
      message: `Prefix: could not remove the association of ASN 64496 with ${CIDR}: DisassociateIpamByoasn failed with IncorrectState: Something else.`,
    });
  });
});

describe('an isComplete event of the previous version with a state this handler does not know', () => {
  const legacy = (state: string): OnEventResponse => ({ PhysicalResourceId: ASSOCIATION_ID, Data: { Asn: ASN, Cidr: CIDR, State: state, StatusMessage: '' } });

  test('a create associates once the association is absent', async () => {
    givenCidrs(byoipCidr([]));
    ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

    await expect(poll(associationCreate(), legacy('some-future-state'))).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 1);
  });

  test('a delete disassociates once the association is associated', async () => {
    givenCidrs(byoipCidr([association('associated')]));
    ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

    await expect(poll(associationDelete(), legacy('some-future-state'))).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 1);
  });
});
