/**
 * Kills mutants of lambda/byoip-cidr.ts that the other tests let survive (issue 13).
 */
import { ByoipCidr, DeprovisionByoipCidrCommand, ProvisionByoipCidrCommand } from '@aws-sdk/client-ec2';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import 'aws-sdk-client-mock-jest';
import type { CustomResourceEvent, Handover, IsCompleteResponse, OnEventResponse } from '../../lambda/common';
import { isComplete, onEvent } from '../../lambda/index';
import {
  BYOIP_CIDR_ID,
  CIDR,
  OTHER_CIDR,
  byoipCidr,
  byoipCidrCreate,
  byoipCidrDelete,
  byoipCidrUpdate,
  cidrAuthorizationMessage,
  ec2Error,
  isCompleteEvent,
  mockedEc2,
} from './events';
import { byoipCidrPhysicalId } from '../../lib/private/contract';

const { ec2, cfn, givenCidrs } = mockedEc2();

const T0 = Date.UTC(2025, 5, 2, 9, 30, 0);
beforeEach(() => {
  jest.spyOn(Date, 'now').mockReturnValue(T0);
});

const range = (state: string, overrides: Partial<ByoipCidr> = {}) => byoipCidr([], { State: state as ByoipCidr['State'], ...overrides });

function handover(physicalId: string, next: Omit<Handover, 'At'>): OnEventResponse {
  return { PhysicalResourceId: physicalId, Next: { ...next, At: T0 } };
}

function poll(event: CustomResourceEvent, response: OnEventResponse): Promise<IsCompleteResponse> {
  return isComplete(isCompleteEvent(event, response));
}

async function expectError(promise: Promise<unknown>, message: unknown): Promise<void> {
  await expect(promise).rejects.toMatchObject({ message });
}

function expectNoMutation(): void {
  expect(ec2).toHaveReceivedCommandTimes(ProvisionByoipCidrCommand, 0);
  expect(ec2).toHaveReceivedCommandTimes(DeprovisionByoipCidrCommand, 0);
}

/** A property value as a hand-written template or a direct invocation may give it: not the string CloudFormation sends. */
const raw = (value: unknown) => value as string;

const allocatedMessage = (awsText: string) =>
  `Range: AWS refused to deprovision BYOIP CIDR ${CIDR} (state provisioned), which is neither advertised nor associated with an ASN: addresses of the range may still be allocated (Elastic IPs, or an IPAM pool's allocations): release them first, then delete again. AWS said: ${awsText}`;
const inPlaceRefusal = (what: string, cidr = CIDR) =>
  `Range: cannot change ${what} of BYOIP CIDR ${cidr}: AWS sets them when it provisions a range and has no call to change them. To change them, release the range and bring it again: deploy once without this ByoipCidr (and what depends on it), then again with the new values. Nothing was changed.`;

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

// ===========================================================================================================
// Validation of the properties
// ===========================================================================================================

describe('the flags PubliclyAdvertisable and WaitForProvisioning', () => {
  test('take their defaults when left out: the range is provisioned publicly advertisable', async () => {
    givenCidrs();
    ec2.on(ProvisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-provision') });

    await expect(onEvent(byoipCidrCreate({ PubliclyAdvertisable: undefined, WaitForProvisioning: undefined })))
      .resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true }));
    expect(ec2).toHaveReceivedCommandWith(ProvisionByoipCidrCommand, { Cidr: CIDR, PubliclyAdvertisable: true });
  });

  test('accept the boolean true as well as the string', async () => {
    givenCidrs();
    ec2.on(ProvisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-provision') });

    await expect(onEvent(byoipCidrCreate({ PubliclyAdvertisable: raw(true), WaitForProvisioning: raw(true) })))
      .resolves.toEqual(handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true }));
    expect(ec2).toHaveReceivedCommandWith(ProvisionByoipCidrCommand, { Cidr: CIDR, PubliclyAdvertisable: true });
  });

  test('take the boolean false for false: for an IPv4 range the refusal says it applies to IPv6 only', async () => {
    await expectError(onEvent(byoipCidrCreate({ PubliclyAdvertisable: raw(false) })),
      `Range: PubliclyAdvertisable 'false' applies to IPv6 ranges only; AWS advertises IPv4 range '${CIDR}' publicly. Leave it out (or 'true').`);
    expect(ec2.calls()).toHaveLength(0);
  });

  test('judge the CIDR as publicly advertisable when PubliclyAdvertisable is not a boolean, listing both problems', async () => {
    const cidr = '2001:db8:1000::/56';

    await expectError(onEvent(byoipCidrCreate({ Cidr: cidr, PubliclyAdvertisable: 'yes' })), [
      `Range: cidr '${cidr}' is a /56; BYOIP accepts publicly advertisable IPv6 prefixes of /48 or shorter (lengths 0-48).`,
      'Range: PubliclyAdvertisable must be \'true\' or \'false\'; got "yes".',
    ].join('\n'));
    expect(ec2.calls()).toHaveLength(0);
  });
});

describe('a Cidr that is not a string', () => {
  test('is refused as such, without a finding that takes it for an IPv4 range', async () => {
    // A list in the template: its text looks like an IPv4 CIDR, but it is no CIDR at all.
    const event = byoipCidrCreate({ Cidr: raw([CIDR]), AuthorizationMessage: cidrAuthorizationMessage(), PubliclyAdvertisable: 'false' });

    await expectError(onEvent(event), `Range: cidr must be a string such as '203.0.113.0/24' or '2001:db8:1000::/48'; got ${CIDR}.`);
    expect(ec2.calls()).toHaveLength(0);
  });
});

// ===========================================================================================================
// Update: the properties AWS fixes, compared with their defaults
// ===========================================================================================================

describe('an in-place update compares the fixed properties by their meaning', () => {
  test.each([
    ['a description left out before and empty now', { Description: '' }, { Description: undefined }],
    ['a network border group null before and empty now', { NetworkBorderGroup: '' }, { NetworkBorderGroup: raw(null) }],
    ['a description empty before and left out now', { Description: undefined }, { Description: '' }],
    ['PubliclyAdvertisable the boolean false before and the string now', { Cidr: OTHER_CIDR, PubliclyAdvertisable: 'false' }, { Cidr: OTHER_CIDR, PubliclyAdvertisable: raw(false) }],
  ])('changes nothing, and reads no stack status, for %s', async (_, props, oldProps) => {
    const physicalId = byoipCidrPhysicalId((props as { Cidr?: string }).Cidr ?? CIDR);

    await expect(onEvent(byoipCidrUpdate(props, oldProps, physicalId))).resolves.toEqual(handover(physicalId, { Goal: 'unchanged', Acted: false }));
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
    expect(ec2.calls()).toHaveLength(0);
  });

  test('refuses PubliclyAdvertisable going from true to the boolean false', async () => {
    const physicalId = byoipCidrPhysicalId(OTHER_CIDR);

    await expectError(onEvent(byoipCidrUpdate({ Cidr: OTHER_CIDR, PubliclyAdvertisable: raw(false) }, { Cidr: OTHER_CIDR, PubliclyAdvertisable: 'true' }, physicalId)),
      inPlaceRefusal("publiclyAdvertisable (from 'true' to 'false')", OTHER_CIDR));
    expectNoMutation();
  });

  test('reports the range with an empty State once it is no longer listed', async () => {
    const event = byoipCidrUpdate({ AdoptExisting: 'true' });
    const response = await onEvent(event);
    givenCidrs();

    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: { Cidr: CIDR, State: '', StatusMessage: '', PoolId: '' } });
    expectNoMutation();
  });
});

// ===========================================================================================================
// Delete: what AWS's refusal names
// ===========================================================================================================

describe('a refused deprovisioning whose blocker the read does not show yet', () => {
  beforeEach(() => givenCidrs(range('provisioned')));

  test('names the advertisement that AWS names', async () => {
    ec2.on(DeprovisionByoipCidrCommand).rejects(ec2Error('IncorrectState', 'The CIDR is being advertised.'));

    await expectError(onEvent(byoipCidrDelete()),
      `Range: AWS refused to deprovision BYOIP CIDR ${CIDR} because it is advertised (DescribeByoipCidrs does not show it yet). AWS does not deprovision an advertised range: withdraw it first (delete the ByoipCidrAdvertisement, or WithdrawByoipCidr), then delete again. AWS said: IncorrectState: The CIDR is being advertised.`);
  });

  test('names the ASN associations that AWS names', async () => {
    ec2.on(DeprovisionByoipCidrCommand).rejects(ec2Error('IncorrectState', 'The CIDR has ASN associations.'));

    await expectError(onEvent(byoipCidrDelete()),
      `Range: AWS refused to deprovision BYOIP CIDR ${CIDR} because ASNs are associated with it (DescribeByoipCidrs does not show them yet). Delete the ByoasnCidrAssociation resources of these ASNs (or disassociate them with DisassociateIpamByoasn) first, then delete again. AWS said: IncorrectState: The CIDR has ASN associations.`);
  });

  test('in isComplete, fails naming allocations when AWS names a single EIP of the range', async () => {
    ec2.on(DeprovisionByoipCidrCommand).rejects(ec2Error('IncorrectState', 'An EIP of the range is still in use.'));

    await expectError(poll(byoipCidrDelete(), handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: false })),
      allocatedMessage('IncorrectState: An EIP of the range is still in use.'));
  });
});

// ===========================================================================================================
// isComplete events of other shapes
// ===========================================================================================================

describe('an isComplete event of the previous version (Data.State, no Next) with a state this handler does not know', () => {
  test('provisions once the range is no longer listed: the previous onEvent had not provisioned it', async () => {
    givenCidrs();
    ec2.on(ProvisionByoipCidrCommand).resolves({ ByoipCidr: range('pending-provision') });
    const legacy: OnEventResponse = { PhysicalResourceId: BYOIP_CIDR_ID, Data: { Cidr: CIDR, State: 'quarantined', StatusMessage: '', PoolId: '' } };

    await expect(poll(byoipCidrCreate(), legacy)).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandTimes(ProvisionByoipCidrCommand, 1);
  });
});

describe('an isComplete event without ResourceProperties', () => {
  const withoutProperties = (event: CustomResourceEvent, response: OnEventResponse) => {
    const { ResourceProperties: _, ...rest } = isCompleteEvent(event, response);
    return rest as unknown as Parameters<typeof isComplete>[0];
  };

  test('still waits for a provisioning in progress (WaitForProvisioning taken as its default)', async () => {
    givenCidrs(range('pending-provision'));

    await expect(isComplete(withoutProperties(byoipCidrCreate(), handover(BYOIP_CIDR_ID, { Goal: 'created', Acted: true }))))
      .resolves.toEqual({ IsComplete: false });
  });

  test('still completes a delete once the deprovisioning is under way', async () => {
    givenCidrs(range('pending-deprovision'));

    await expect(isComplete(withoutProperties(byoipCidrDelete(), handover(BYOIP_CIDR_ID, { Goal: 'deleted', Acted: true }))))
      .resolves.toEqual({ IsComplete: true });
    expectNoMutation();
  });
});
