import {
  AssociateIpamByoasnCommand,
  ByoipCidr,
  DescribeByoipCidrsCommand,
  DescribeIpamByoasnCommand,
  DisassociateIpamByoasnCommand,
} from '@aws-sdk/client-ec2';
import 'aws-sdk-client-mock-jest';
import { ALLOW_DOCUMENTATION_VALUES_ENV, associationPhysicalId } from '../../lib/private/contract';
import { STALE_RECORD_WINDOW_MS } from '../../lambda/common';
import type { CustomResourceEvent, IsCompleteResponse, OnEventResponse } from '../../lambda/common';
import { isComplete, onEvent } from '../../lambda/index';
import { MAX_AWS_TEXT_BYTES, MAX_DATA_BYTES } from '../../lambda/limits';
import {
  ASN,
  ASSOCIATION_ID,
  CIDR,
  CREATE_FAILED_MARKER,
  OTHER_ASN,
  OTHER_CIDR,
  association,
  associationCreate,
  associationDelete,
  associationUpdate,
  byoipCidr,
  cloudFormationFailureBody,
  cloudFormationSuccessBody,
  ec2Error,
  isCompleteEvent,
  mockedEc2,
} from './events';

const { ec2, logs, givenCidrs, givenCidrsInTurn } = mockedEc2();

/** Our CIDR, listed with the association of our ASN in this state (or with none). */
function givenAssociation(state: string | undefined, overrides: Parameters<typeof association>[1] = {}): void {
  givenCidrs(byoipCidr(state === undefined ? [] : [association(state, overrides)]));
}

function expectNoMutation(): void {
  expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 0);
  expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 0);
}

/** Expects a rejection with exactly this message (or one matching an asymmetric matcher). */
async function expectError(promise: Promise<unknown>, message: unknown): Promise<void> {
  await expect(promise).rejects.toMatchObject({ message });
}

function poll(event: CustomResourceEvent, response: OnEventResponse): Promise<IsCompleteResponse> {
  return isComplete(isCompleteEvent(event, response));
}

const data = (State: string, StatusMessage = '') => ({ Asn: ASN, Cidr: CIDR, State, StatusMessage });

// ===========================================================================================================
// CREATE
// ===========================================================================================================

describe('create', () => {
  test('associates the ASN with a provisioned BYOIP CIDR', async () => {
    givenAssociation(undefined);
    ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

    const response = await onEvent(associationCreate());

    expect(response).toEqual({ PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-association') });
    expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(AssociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR });
    expect(ec2).toHaveReceivedCommandWith(DescribeByoipCidrsCommand, { MaxResults: 100 });
    // Association state is only in DescribeByoipCidrs; the ASN listing is not needed.
    expect(ec2).toHaveReceivedCommandTimes(DescribeIpamByoasnCommand, 0);
  });

  test.each(['disassociated', 'failed-association'])('associates again when the association is %s', async (state) => {
    givenAssociation(state);
    ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

    await onEvent(associationCreate());

    expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 1);
  });

  test('ignores associations of other ASNs with the CIDR', async () => {
    givenCidrs(byoipCidr([association('associated', { Asn: OTHER_ASN })]));
    ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

    await onEvent(associationCreate());

    expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 1);
  });

  test('says to provision the CIDR first when it is not a BYOIP CIDR', async () => {
    givenCidrs(byoipCidr([], { Cidr: OTHER_CIDR }), byoipCidr([], { State: 'deprovisioned' }));
    process.env.AWS_REGION = 'us-east-1';

    try {
      await expectError(onEvent(associationCreate()),
        'Prefix: CIDR 203.0.113.0/24 is not a BYOIP CIDR in Region us-east-1. Provision it as a BYOIP CIDR first (ProvisionByoipCidr; see "Bring your own IP addresses" in the Amazon VPC documentation) in this Region, then associate it with ASN 64496.');
    } finally {
      delete process.env.AWS_REGION;
    }
    expectNoMutation();
  });

  test('compares CIDRs exactly', async () => {
    givenCidrs(byoipCidr([], { Cidr: '2001:db8:1000:0::/48' }));

    await expectError(onEvent(associationCreate({ Cidr: OTHER_CIDR })),
      'Prefix: CIDR 2001:db8:1000::/48 is not a BYOIP CIDR in this Region. Provision it as a BYOIP CIDR first (ProvisionByoipCidr; see "Bring your own IP addresses" in the Amazon VPC documentation) in this Region, then associate it with ASN 64496.');
  });

  test('waits for an association already in progress without calling AWS again', async () => {
    givenAssociation('pending-association');

    await expect(onEvent(associationCreate())).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-association') });
    expectNoMutation();
  });

  test.each(['associated', 'advertised'])('refuses an existing association (%s)', async (state) => {
    givenAssociation(state);

    await expectError(onEvent(associationCreate()),
      `Prefix: ASN 64496 is already associated with CIDR 203.0.113.0/24 (state ${state}). Set adoptExisting: true to manage the association with this stack (deleting the resource will then disassociate it), or disassociate it first.`);
    expectNoMutation();
  });

  test('adopts an existing association when AdoptExisting is true', async () => {
    givenAssociation('associated');

    await expect(onEvent(associationCreate({ AdoptExisting: 'true' }))).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID, Data: data('associated') });
    expectNoMutation();
  });

  test('waits for a disassociation to end instead of associating now', async () => {
    givenAssociation('pending-disassociation');

    await expect(onEvent(associationCreate())).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-disassociation') });
    expectNoMutation();
  });

  test("refuses an association in failed-disassociation with AWS's status message", async () => {
    givenAssociation('failed-disassociation', { StatusMessage: 'The CIDR is advertised.' });

    await expectError(onEvent(associationCreate()),
      'Prefix: the association of ASN 64496 with CIDR 203.0.113.0/24 is in state failed-disassociation; resolve the problem and disassociate it (DisassociateIpamByoasn) before associating it again. AWS\'s status message: The CIDR is advertised.');
    expectNoMutation();
  });

  test('waits, with a warning, on an unknown state', async () => {
    givenAssociation('quarantined');

    await expect(onEvent(associationCreate())).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID, Data: data('quarantined') });
    expectNoMutation();
    expect(logs.records()).toContainEqual(expect.objectContaining({
      level: 'WARN', message: "the association of ASN 64496 with 203.0.113.0/24 is in unknown state 'quarantined'; waiting for a known one",
    }));
  });

  test('reads every page of DescribeByoipCidrs (the CIDR is on page 3)', async () => {
    const pages: Record<string, { ByoipCidrs: ByoipCidr[]; NextToken?: string }> = {
      '': { ByoipCidrs: [byoipCidr([], { Cidr: '198.51.100.0/24' })], NextToken: 'page-2' },
      'page-2': { ByoipCidrs: [], NextToken: 'page-3' },
      'page-3': { ByoipCidrs: [byoipCidr([association('associated')])] },
    };
    ec2.on(DescribeByoipCidrsCommand).callsFake((input: { NextToken?: string }) => pages[input.NextToken ?? '']);

    await expect(onEvent(associationCreate({ AdoptExisting: 'true' }))).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID, Data: data('associated') });

    const calls = ec2.commandCalls(DescribeByoipCidrsCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([
      { MaxResults: 100, NextToken: undefined },
      { MaxResults: 100, NextToken: 'page-2' },
      { MaxResults: 100, NextToken: 'page-3' },
    ]);
  });

  describe('when AssociateIpamByoasn fails', () => {
    test('takes an "already associated" refusal as its own lost request when the association is now pending', async () => {
      givenCidrsInTurn([byoipCidr([])], [byoipCidr([association('pending-association')])]);
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is already associated with the CIDR.'));

      await expect(onEvent(associationCreate())).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-association') });
      expect(ec2).toHaveReceivedCommandTimes(DescribeByoipCidrsCommand, 2);
    });

    test("reports AWS's refusal when the state does not show the association", async () => {
      givenAssociation(undefined);
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error('InvalidParameterValue', 'The ASN is not provisioned.'));

      await expectError(onEvent(associationCreate()),
        'Prefix: could not associate ASN 64496 with CIDR 203.0.113.0/24: AssociateIpamByoasn failed with InvalidParameterValue: The ASN is not provisioned.');
    });

    test('waits for its own earlier attempt when the refusal came after retries and the read does not show it yet', async () => {
      givenAssociation(undefined);
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is already being associated with the CIDR.', 400, 2));

      await expect(onEvent(associationCreate())).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-association') });
      expect(logs.text()).toContain('after the SDK retried it: an earlier attempt may have been applied, not visible yet; waiting for it');
    });

    test('reports a permission refusal at once even after retries: nothing was applied', async () => {
      givenAssociation(undefined);
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error('UnauthorizedOperation', 'not allowed', 403, 2));

      await expectError(onEvent(associationCreate()),
        'Prefix: could not associate ASN 64496 with CIDR 203.0.113.0/24: AssociateIpamByoasn failed with UnauthorizedOperation: not allowed');
    });

    test('reports a server error at once, without re-reading', async () => {
      givenAssociation(undefined);
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error('ServiceUnavailable', 'Try later.', 503));

      await expectError(onEvent(associationCreate()),
        'Prefix: could not associate ASN 64496 with CIDR 203.0.113.0/24: AssociateIpamByoasn failed with ServiceUnavailable: Try later.');
      expect(ec2).toHaveReceivedCommandTimes(DescribeByoipCidrsCommand, 1);
    });
  });

  describe('validation, before any AWS call', () => {
    test('refuses a CIDR with host bits set', async () => {
      await expectError(onEvent(associationCreate({ Cidr: '203.0.113.1/24' })),
        "Prefix: cidr '203.0.113.1/24' has host bits set: the network address of this prefix is '203.0.113.0/24'.");
      expect(ec2.calls()).toHaveLength(0);
    });

    test('refuses a private CIDR and a private ASN at once', async () => {
      await expectError(onEvent(associationCreate({ Asn: '64512', Cidr: '10.0.0.0/24' })), [
        'Prefix: asn 64512 is a private ASN (RFC 6996) (64512-65534), not a public ASN. Allowed: 1-64495 (except 23456) or 131072-4199999999.',
        "Prefix: cidr '10.0.0.0/24' overlaps 10.0.0.0/8, which is private (RFC 1918); only public address space can be brought to AWS.",
      ].join('\n'));
      expect(ec2.calls()).toHaveLength(0);
    });

    test('refuses documentation values unless CDK_IPAM_BYOASN_ALLOW_DOCUMENTATION_VALUES is true', async () => {
      delete process.env[ALLOW_DOCUMENTATION_VALUES_ENV];

      await expectError(onEvent(associationCreate()), [
        'Prefix: asn 64496 is reserved for documentation (RFC 5398) (64496-64511): fine for examples, but AWS cannot provision it, and a deployment will refuse it. Use your own public ASN: 1-64495 (except 23456) or 131072-4199999999.',
        "Prefix: cidr '203.0.113.0/24' overlaps 203.0.113.0/24, TEST-NET-3, reserved for documentation (RFC 5737): fine for examples, but AWS cannot provision it, and a deployment will refuse it. Use a prefix that your organisation holds.",
      ].join('\n'));
      expect(ec2.calls()).toHaveLength(0);
    });

    test('accepts an IPv6 /56 (BYOIP takes it when not publicly advertisable)', async () => {
      givenCidrs(byoipCidr([], { Cidr: '2001:db8:1000:ff00::/56' }));
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

      await expect(onEvent(associationCreate({ Cidr: '2001:db8:1000:ff00::/56' }))).resolves.toMatchObject({ PhysicalResourceId: `${ASN}|2001:db8:1000:ff00::/56` });
    });
  });
});

describe('isComplete after create', () => {
  const created: OnEventResponse = { PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-association') };

  test.each(['associated', 'advertised'])('completes with the attributes once the association is %s', async (state) => {
    givenAssociation(state);

    await expect(poll(associationCreate(), created)).resolves.toEqual({ IsComplete: true, Data: data(state) });
  });

  test.each([
    ['pending-association', 'pending-association'],
    ['not visible yet (eventual consistency)', undefined],
    ['still disassociated (eventual consistency)', 'disassociated'],
    ['pending-disassociation', 'pending-disassociation'],
  ])('keeps waiting, without Data, while the association is %s', async (_, state) => {
    givenAssociation(state);

    await expect(poll(associationCreate(), created)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test("fails with AWS's status message on failed-association", async () => {
    givenAssociation('failed-association', { StatusMessage: 'The ASN is not provisioned in an IPAM.' });

    await expectError(poll(associationCreate(), created),
      'Prefix: AWS could not associate ASN 64496 with CIDR 203.0.113.0/24: The ASN is not provisioned in an IPAM.');
  });

  test("fails with AWS's status message on failed-disassociation", async () => {
    givenAssociation('failed-disassociation', { StatusMessage: 'stuck' });

    await expectError(poll(associationCreate(), created),
      'Prefix: AWS could not disassociate ASN 64496 from CIDR 203.0.113.0/24, so it cannot be associated again: stuck');
  });

  test('keeps waiting, with a warning, on an unknown state', async () => {
    givenAssociation('quarantined');

    await expect(poll(associationCreate(), created)).resolves.toEqual({ IsComplete: false });
    expect(logs.records()).toContainEqual(expect.objectContaining({ level: 'WARN' }));
  });

  test('fails when the CIDR is no longer a BYOIP CIDR', async () => {
    givenCidrs();

    await expectError(poll(associationCreate(), created), 'Prefix: CIDR 203.0.113.0/24 is no longer a BYOIP CIDR, so ASN 64496 cannot be associated with it.');
  });

  describe('after waiting for a disassociation or an unknown state', () => {
    test.each([
      ['pending-disassociation', 'disassociated'],
      ['pending-disassociation', undefined],
      ['quarantined', 'disassociated'],
    ])('associates once the association that was %s is %s', async (left, state) => {
      givenAssociation(state);
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

      await expect(poll(associationCreate(), { PhysicalResourceId: ASSOCIATION_ID, Data: data(left) })).resolves.toEqual({ IsComplete: false });
      expect(ec2).toHaveReceivedCommandWith(AssociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR });
    });

    test('keeps waiting when AWS refuses the association because an earlier poll already made it', async () => {
      givenAssociation('disassociated');
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is already being associated with the CIDR.'));

      await expect(poll(associationCreate(), { PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-disassociation') })).resolves.toEqual({ IsComplete: false });
      expect(logs.text()).toContain('most likely the request of an earlier poll, not visible yet; waiting for it');
    });

    test('fails at once when the association is refused for lack of permission', async () => {
      givenAssociation('disassociated');
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error('UnauthorizedOperation', 'not allowed', 403));

      await expect(poll(associationCreate(), { PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-disassociation') }))
        .rejects.toMatchObject({ message: expect.stringContaining('UnauthorizedOperation: not allowed') });
    });

    test('does not associate while the disassociation goes on', async () => {
      givenAssociation('pending-disassociation');

      await expect(poll(associationCreate(), { PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-disassociation') })).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
    });
  });

  describe('the attributes', () => {
    test('are all strings, even when AWS leaves fields out', async () => {
      givenCidrs(byoipCidr([{ Asn: ASN, State: 'associated' }]));

      const response = await poll(associationCreate(), created);

      expect(response.Data).toEqual(data('associated'));
      expect(Object.values(response.Data ?? {}).every((value) => typeof value === 'string')).toBe(true);
    });

    test('keep the CloudFormation response under 4096 bytes when the status message is huge', async () => {
      givenAssociation('associated', { StatusMessage: '€'.repeat(50000) });
      const event = associationCreate();

      const response = await poll(event, created);

      expect(Buffer.byteLength(cloudFormationSuccessBody(event, ASSOCIATION_ID, { ...created.Data, ...response.Data }))).toBeLessThan(4096);
      expect(Buffer.byteLength(JSON.stringify(response.Data))).toBeLessThanOrEqual(MAX_DATA_BYTES);
      expect(response.Data?.StatusMessage).toMatch(/^€+…$/);
    });

    test('keep a failure under 4096 bytes when the status message is huge', async () => {
      givenAssociation('failed-association', { StatusMessage: 'x'.repeat(100000) });
      const event = associationCreate();

      const error = await poll(event, created).catch((e: Error) => e);

      expect(Buffer.byteLength(cloudFormationFailureBody(event, ASSOCIATION_ID, error as Error))).toBeLessThan(4096);
    });
  });
});

// ===========================================================================================================
// UPDATE
// ===========================================================================================================

describe('update', () => {
  test('changes nothing when only adoptExisting changes', async () => {
    const event = associationUpdate({ AdoptExisting: 'true' }, { AdoptExisting: 'false' });

    await expect(onEvent(event)).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID });
    expect(ec2.calls()).toHaveLength(0);
  });

  test('reports the current attributes once an in-place update is done', async () => {
    givenAssociation('associated');
    const event = associationUpdate({ AdoptExisting: 'true' });

    await expect(poll(event, await onEvent(event))).resolves.toEqual({ IsComplete: true, Data: data('associated') });
    expectNoMutation();
  });

  test('treats a rollback (properties swapped back, physical id unchanged) as in place', async () => {
    const event = associationUpdate({}, { Cidr: OTHER_CIDR });

    await expect(onEvent(event)).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID });
    expect(ec2.calls()).toHaveLength(0);
  });

  describe('requires replacement', () => {
    test.each([
      ['the CIDR', { Asn: ASN, Cidr: OTHER_CIDR }, associationPhysicalId(ASN, OTHER_CIDR)],
      ['the ASN', { Asn: OTHER_ASN, Cidr: CIDR }, associationPhysicalId(OTHER_ASN, CIDR)],
    ])('associates anew and answers with the new physical id when %s changes', async (_, props, newId) => {
      givenCidrs(byoipCidr([association('associated')]), byoipCidr([], { Cidr: OTHER_CIDR }));
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

      const response = await onEvent(associationUpdate(props, {}));

      expect(response.PhysicalResourceId).toBe(newId);
      expect(ec2).toHaveReceivedCommandWith(AssociateIpamByoasnCommand, props);
      // The old association is left to the Delete that CloudFormation sends afterwards.
      expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 0);
    });

    test('takes back the old association when CloudFormation rolls a replacement back (properties swapped, the new id)', async () => {
      // The replacement succeeded (the resource is now ASN|OTHER_CIDR), another resource failed, and CloudFormation
      // sends an Update back to CIDR, whose association still exists: it is deleted only after success.
      givenCidrs(byoipCidr([association('associated')]), byoipCidr([association('associated', { Cidr: OTHER_CIDR })], { Cidr: OTHER_CIDR }));
      const event = associationUpdate({}, { Cidr: OTHER_CIDR }, associationPhysicalId(ASN, OTHER_CIDR));

      const response = await onEvent(event);

      expect(response).toEqual({ PhysicalResourceId: ASSOCIATION_ID, Data: data('associated') });
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: data('associated') });
      expectNoMutation();
    });

    test('validates the new properties before any AWS call', async () => {
      await expectError(onEvent(associationUpdate({ Cidr: '2001:db8:1000::1/48' }, {})),
        "Prefix: cidr '2001:db8:1000::1/48' has host bits set: the network address of this prefix is '2001:db8:1000::/48'.");
      expect(ec2.calls()).toHaveLength(0);
    });

    test('waits until the new association is associated', async () => {
      const newId = associationPhysicalId(ASN, OTHER_CIDR);
      const event = associationUpdate({ Cidr: OTHER_CIDR }, {});
      givenCidrs(byoipCidr([association('associated', { Cidr: OTHER_CIDR })], { Cidr: OTHER_CIDR }));

      await expect(poll(event, { PhysicalResourceId: newId, Data: { State: 'pending-association' } })).resolves.toEqual({
        IsComplete: true, Data: { Asn: ASN, Cidr: OTHER_CIDR, State: 'associated', StatusMessage: '' },
      });
    });
  });
});

// ===========================================================================================================
// DELETE
// ===========================================================================================================

describe('delete', () => {
  test("ignores a physical id that is not ours (the provider's create-failed marker)", async () => {
    const event = associationDelete(CREATE_FAILED_MARKER);

    const response = await onEvent(event);

    expect(response).toEqual({ PhysicalResourceId: CREATE_FAILED_MARKER });
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true });
    expect(ec2.calls()).toHaveLength(0);
  });

  test.each([
    ['the CIDR is gone', [] as ByoipCidr[]],
    ['the CIDR is deprovisioned', [byoipCidr([association('associated')], { State: 'deprovisioned' })]],
    ['the association is absent', [byoipCidr([])]],
    ['the association is disassociated', [byoipCidr([association('disassociated')])]],
    ['the association is failed-association', [byoipCidr([association('failed-association')])]],
  ])('deletes nothing when %s', async (_, cidrs) => {
    givenCidrs(...cidrs);
    const event = associationDelete();

    const response = await onEvent(event);

    expect(response).toEqual({ PhysicalResourceId: ASSOCIATION_ID });
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true });
    expectNoMutation();
  });

  test.each(['associated', 'advertised'])('disassociates an association that is %s', async (state) => {
    givenAssociation(state);
    ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

    const response = await onEvent(associationDelete());

    expect(response).toEqual({ PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-disassociation') });
    expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(DisassociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR });
  });

  test('deletes by the physical id, not by the properties', async () => {
    givenAssociation('associated');
    ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

    await onEvent(associationDelete(ASSOCIATION_ID, { Asn: OTHER_ASN, Cidr: OTHER_CIDR }));

    expect(ec2).toHaveReceivedCommandWith(DisassociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR });
  });

  test.each(['pending-association', 'pending-disassociation'])('waits while the association is %s, without calling AWS', async (state) => {
    givenAssociation(state);

    await expect(onEvent(associationDelete())).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID, Data: data(state) });
    expectNoMutation();
  });

  test("fails on failed-disassociation with AWS's status message", async () => {
    givenAssociation('failed-disassociation', { StatusMessage: 'The CIDR is advertised with the ASN.' });

    await expectError(onEvent(associationDelete()),
      'Prefix: AWS could not disassociate ASN 64496 from CIDR 203.0.113.0/24 (state failed-disassociation); resolve the problem and disassociate it (DisassociateIpamByoasn), then delete again. AWS\'s status message: The CIDR is advertised with the ASN.');
    expectNoMutation();
  });

  test('waits, with a warning, on an unknown state', async () => {
    givenAssociation('quarantined');

    await expect(onEvent(associationDelete())).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID, Data: data('quarantined') });
    expectNoMutation();
  });

  describe('when AWS refuses to disassociate', () => {
    test.each([
      ['IncorrectState', 400, 'advertised'],
      ['InvalidParameterValue', 400, 'pending-advertising'],
      ['InvalidParameter', 400, 'advertised'],
      ['InvalidCidr.Advertised', 409, 'advertised'],
    ])('says to withdraw the CIDR or switch its origin when it is advertised (%s)', async (code, status, cidrState) => {
      givenCidrs(byoipCidr([association('associated')], { State: cidrState as ByoipCidr['State'] }));
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error(code, 'The CIDR is advertised.', status));

      await expectError(onEvent(associationDelete()),
        `Prefix: cannot disassociate ASN 64496 from CIDR 203.0.113.0/24: the CIDR is advertised (state ${cidrState}), and AWS does not disassociate the ASN it is advertised with. Withdraw the CIDR first (WithdrawByoipCidr), or switch its origin to Amazon's ASN (AdvertiseByoipCidr with Asn AWS). AWS said: ${code}: The CIDR is advertised.`);
    });

    test("falls back to AWS's own message when the CIDR is not advertised", async () => {
      givenAssociation('associated');
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'Something else.'));

      await expectError(onEvent(associationDelete()),
        'Prefix: AWS refused to disassociate ASN 64496 from CIDR 203.0.113.0/24: IncorrectState: Something else.');
    });

    test('waits for its own earlier attempt when the refusal came after retries and the read still shows it associated', async () => {
      givenAssociation('associated');
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'Already pending-disassociation.', 400, 2));

      await expect(onEvent(associationDelete())).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-disassociation') });
    });

    test('still says to withdraw an advertised CIDR when the refusal came after retries', async () => {
      givenCidrs(byoipCidr([association('associated')], { State: 'advertised' }));
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The CIDR is advertised.', 400, 2));

      await expectError(onEvent(associationDelete()), expect.stringContaining('Withdraw the CIDR first'));
    });

    test('takes the refusal as its own lost request when the association is already being disassociated', async () => {
      givenCidrsInTurn([byoipCidr([association('associated')])], [byoipCidr([association('pending-disassociation')])]);
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'Not associated.'));

      await expect(onEvent(associationDelete())).resolves.toEqual({ PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-disassociation') });
    });

    test('reports a server error at once', async () => {
      givenAssociation('associated');
      ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('InternalError', 'Oops.', 500));

      await expectError(onEvent(associationDelete()),
        'Prefix: could not disassociate ASN 64496 from CIDR 203.0.113.0/24: DisassociateIpamByoasn failed with InternalError: Oops.');
      expect(ec2).toHaveReceivedCommandTimes(DescribeByoipCidrsCommand, 1);
    });
  });
});

describe('isComplete after delete', () => {
  const disassociating: OnEventResponse = { PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-disassociation') };

  test.each([
    ['disassociated', [byoipCidr([association('disassociated')])]],
    ['absent', [byoipCidr([])]],
    ['gone with its CIDR', []],
  ])('completes once the association is %s', async (_, cidrs) => {
    givenCidrs(...cidrs);

    await expect(poll(associationDelete(), disassociating)).resolves.toEqual({ IsComplete: true });
  });

  test.each(['pending-disassociation', 'pending-association'])('keeps waiting while the association is %s', async (state) => {
    givenAssociation(state);

    await expect(poll(associationDelete(), disassociating)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test('keeps waiting, without disassociating twice, while our request is not visible yet', async () => {
    givenAssociation('associated');

    await expect(poll(associationDelete(), disassociating)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test("fails with AWS's status message on failed-disassociation", async () => {
    givenAssociation('failed-disassociation', { StatusMessage: 'The CIDR is advertised with the ASN.' });

    await expectError(poll(associationDelete(), disassociating),
      'Prefix: AWS could not disassociate ASN 64496 from CIDR 203.0.113.0/24: The CIDR is advertised with the ASN.');
  });

  test('disassociates once an association that onEvent waited for has ended', async () => {
    givenAssociation('associated');
    ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

    await expect(poll(associationDelete(), { PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-association') })).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandWith(DisassociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR });
  });

  test('keeps waiting when AWS refuses the disassociation because an earlier poll already made it', async () => {
    givenAssociation('associated');
    ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The association is already pending-disassociation.'));

    await expect(poll(associationDelete(), { PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-association') })).resolves.toEqual({ IsComplete: false });
  });

  test('still fails, saying what to do, when the CIDR is advertised with the ASN', async () => {
    givenCidrs(byoipCidr([association('associated')], { State: 'advertised' }));
    ec2.on(DisassociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The CIDR is advertised.'));

    await expect(poll(associationDelete(), { PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-association') }))
      .rejects.toMatchObject({ message: expect.stringContaining('Withdraw the CIDR first') });
  });

  test('keeps waiting, with a warning, on an unknown state', async () => {
    givenAssociation('quarantined');

    await expect(poll(associationDelete(), disassociating)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });
});

// ===========================================================================================================
// One row per association state
// ===========================================================================================================

describe('every association state', () => {
  test.each([
    // state, what onEvent does, AssociateIpamByoasn calls
    [undefined, 'answers', 1],
    ['pending-association', 'answers', 0],
    ['associated', 'refuses', 0],
    ['failed-association', 'answers', 1],
    ['pending-disassociation', 'answers', 0],
    ['disassociated', 'answers', 1],
    ['failed-disassociation', 'refuses', 0],
    ['advertised', 'refuses', 0],
    ['quarantined', 'answers', 0],
  ])('create when the association is %s: onEvent %s, associating %i time(s)', async (state, outcome, associations) => {
    givenAssociation(state);
    ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

    await expect(onEvent(associationCreate()).then(() => 'answers', () => 'refuses')).resolves.toBe(outcome);
    expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, associations);
  });

  test.each([
    // state, what isComplete answers after our association
    ['pending-association', 'waits'],
    ['associated', 'completes'],
    ['failed-association', 'fails'],
    ['pending-disassociation', 'waits'],
    ['disassociated', 'waits'],
    ['failed-disassociation', 'fails'],
    ['advertised', 'completes'],
    ['quarantined', 'waits'],
  ])('isComplete after create when the association is %s: %s', async (state, outcome) => {
    givenAssociation(state);

    await expect(poll(associationCreate(), { PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-association') })
      .then((r) => (r.IsComplete ? 'completes' : 'waits'), () => 'fails')).resolves.toBe(outcome);
    expectNoMutation();
  });

  test.each([
    // state, what onEvent does, DisassociateIpamByoasn calls
    ['pending-association', 'waits', 0],
    ['associated', 'waits', 1],
    ['failed-association', 'succeeds', 0],
    ['pending-disassociation', 'waits', 0],
    ['disassociated', 'succeeds', 0],
    ['failed-disassociation', 'fails', 0],
    ['advertised', 'waits', 1],
    ['quarantined', 'waits', 0],
  ])('delete when the association is %s: onEvent %s, disassociating %i time(s)', async (state, outcome, disassociations) => {
    givenAssociation(state);
    ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

    await expect(onEvent(associationDelete()).then((r) => (r.Data ? 'waits' : 'succeeds'), () => 'fails')).resolves.toBe(outcome);
    expect(ec2).toHaveReceivedCommandTimes(DisassociateIpamByoasnCommand, disassociations);
  });

  test.each([
    // state, what isComplete answers after our disassociation
    ['pending-association', 'waits'],
    ['associated', 'waits'],
    ['failed-association', 'completes'],
    ['pending-disassociation', 'waits'],
    ['disassociated', 'completes'],
    ['failed-disassociation', 'fails'],
    ['advertised', 'waits'],
    ['quarantined', 'waits'],
  ])('isComplete after delete when the association is %s: %s', async (state, outcome) => {
    givenAssociation(state);

    await expect(poll(associationDelete(), { PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-disassociation') })
      .then((r) => (r.IsComplete ? 'completes' : 'waits'), () => 'fails')).resolves.toBe(outcome);
    expectNoMutation();
  });
});

// ===========================================================================================================
// A failed-association record that lingers from an earlier attempt
// ===========================================================================================================

describe('a failed-association record that lingers from an earlier attempt', () => {
  // AWS keeps listing a failed association. After our AssociateIpamByoasn, the eventually consistent
  // DescribeByoipCidrs may still show the old one for a while: that must not fail a deployment that succeeds.
  const OLD_MESSAGE = 'The ASN is not provisioned in an IPAM.';
  const lingering = association('failed-association', { StatusMessage: OLD_MESSAGE });
  /** When onEvent's AssociateIpamByoasn returned. */
  const AT = Date.UTC(2025, 5, 2, 9, 30, 0);
  const superseding: OnEventResponse = {
    PhysicalResourceId: ASSOCIATION_ID,
    Data: data('pending-association'),
    Superseded: { State: 'failed-association', StatusMessage: OLD_MESSAGE, At: AT },
  };

  /** Makes `Date.now()` (and only it) answer `AT + elapsed`; jest.restoreAllMocks() after each test undoes it. */
  function clockAt(elapsed: number): void {
    jest.spyOn(Date, 'now').mockReturnValue(AT + elapsed);
  }

  describe('onEvent', () => {
    test('returns the association it associated over as Superseded, a top-level field outside Data', async () => {
      clockAt(0);
      givenCidrs(byoipCidr([lingering]));
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

      const response = await onEvent(associationCreate());

      expect(response).toEqual(superseding);
      expect(response.Data).not.toHaveProperty('Superseded');
      expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 1);
      expect(ec2).toHaveReceivedCommandWith(AssociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR });
    });

    test.each([
      ['absent', undefined],
      ['disassociated', 'disassociated'],
    ])('returns no Superseded when the association was %s', async (_, state) => {
      clockAt(0);
      givenAssociation(state, { StatusMessage: 'old record' });
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

      const response = await onEvent(associationCreate());

      expect(response).toEqual({ PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-association') });
      expect(response).not.toHaveProperty('Superseded');
      expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 1);
    });

    test('returns no Superseded when only another ASN failed to associate with the CIDR', async () => {
      clockAt(0);
      givenCidrs(byoipCidr([association('failed-association', { Asn: OTHER_ASN, StatusMessage: OLD_MESSAGE })]));
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

      const response = await onEvent(associationCreate());

      expect(response).not.toHaveProperty('Superseded');
    });

    test('returns no Superseded when it associates nothing (an association in progress)', async () => {
      givenAssociation('pending-association');

      const response = await onEvent(associationCreate());

      expect(response).not.toHaveProperty('Superseded');
      expectNoMutation();
    });

    test('returns Superseded also when it takes a refused call as its own lost request', async () => {
      clockAt(0);
      givenCidrsInTurn([byoipCidr([lingering])], [byoipCidr([association('pending-association')])]);
      ec2.on(AssociateIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is already associated with the CIDR.'));

      await expect(onEvent(associationCreate())).resolves.toEqual(superseding);
    });

    test('caps the status message of Superseded', async () => {
      clockAt(0);
      givenAssociation('failed-association', { StatusMessage: '€'.repeat(50000) });
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });

      const response = await onEvent(associationCreate());

      expect(Buffer.byteLength(response.Superseded?.StatusMessage ?? '')).toBeLessThanOrEqual(MAX_AWS_TEXT_BYTES);
      expect(response.Superseded?.StatusMessage).toMatch(/^€+…$/);
    });

    test('returns Superseded when a replacement associates over the failed association of the new CIDR', async () => {
      clockAt(0);
      givenCidrs(byoipCidr([association('associated')]), byoipCidr([association('failed-association', { Cidr: OTHER_CIDR, StatusMessage: OLD_MESSAGE })], { Cidr: OTHER_CIDR }));
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association', { Cidr: OTHER_CIDR }) });

      const response = await onEvent(associationUpdate({ Cidr: OTHER_CIDR }, {}));

      expect(response).toEqual({
        PhysicalResourceId: associationPhysicalId(ASN, OTHER_CIDR),
        Data: { Asn: ASN, Cidr: OTHER_CIDR, State: 'pending-association', StatusMessage: '' },
        Superseded: { State: 'failed-association', StatusMessage: OLD_MESSAGE, At: AT },
      });
    });
  });

  describe('isComplete after create', () => {
    test('keeps waiting, without failing, while it reads the old association within the window', async () => {
      clockAt(30_000);
      givenCidrs(byoipCidr([lingering]));

      await expect(poll(associationCreate(), superseding)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'INFO',
        message: 'the association of ASN 64496 with 203.0.113.0/24 is failed-association with the status message of the record from before our AssociateIpamByoasn call 30 s ago: it looks like that old record (the Describe calls are eventually consistent); waiting for the new one',
      }));
    });

    test('still waits a millisecond before the window ends', async () => {
      clockAt(STALE_RECORD_WINDOW_MS - 1);
      givenCidrs(byoipCidr([lingering]));

      await expect(poll(associationCreate(), superseding)).resolves.toEqual({ IsComplete: false });
    });

    test("fails with AWS's status message on the same association once the window has passed", async () => {
      clockAt(STALE_RECORD_WINDOW_MS);
      givenCidrs(byoipCidr([lingering]));

      await expectError(poll(associationCreate(), superseding), `Prefix: AWS could not associate ASN 64496 with CIDR 203.0.113.0/24: ${OLD_MESSAGE}`);
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'INFO',
        message: 'the association of ASN 64496 with 203.0.113.0/24 is failed-association with the status message of the record from before our AssociateIpamByoasn call, but 120 s have passed: taking it as a new failure',
      }));
    });

    test('fails at once on a failed-association with a different status message', async () => {
      clockAt(1_000);
      givenAssociation('failed-association', { StatusMessage: 'The CIDR is not provisioned.' });

      await expectError(poll(associationCreate(), superseding), 'Prefix: AWS could not associate ASN 64496 with CIDR 203.0.113.0/24: The CIDR is not provisioned.');
    });

    test('fails at once without Superseded (onEvent associated over no failed association)', async () => {
      clockAt(1_000);
      givenCidrs(byoipCidr([lingering]));

      await expectError(poll(associationCreate(), { PhysicalResourceId: ASSOCIATION_ID, Data: data('pending-association') }),
        `Prefix: AWS could not associate ASN 64496 with CIDR 203.0.113.0/24: ${OLD_MESSAGE}`);
    });

    test('fails at once on failed-disassociation, whatever its status message', async () => {
      clockAt(1_000);
      givenAssociation('failed-disassociation', { StatusMessage: OLD_MESSAGE });

      await expectError(poll(associationCreate(), superseding),
        `Prefix: AWS could not disassociate ASN 64496 from CIDR 203.0.113.0/24, so it cannot be associated again: ${OLD_MESSAGE}`);
    });

    test('recognises the old association by its capped status message', async () => {
      clockAt(0);
      givenAssociation('failed-association', { StatusMessage: '€'.repeat(50000) });
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });
      const event = associationCreate();
      const response = await onEvent(event);
      clockAt(10_000);

      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
    });

    test('completes, with no Superseded in Data, once the stale reads give way to the new association', async () => {
      givenCidrsInTurn([byoipCidr([lingering])], [byoipCidr([lingering])], [byoipCidr([association('pending-association')])], [byoipCidr([association('associated')])]);
      ec2.on(AssociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-association') });
      const event = associationCreate();
      clockAt(0);
      const response = await onEvent(event);

      clockAt(10_000);
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      clockAt(20_000);
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      clockAt(30_000);
      const done = await poll(event, response);

      expect(done).toEqual({ IsComplete: true, Data: data('associated') });
      expect(done).not.toHaveProperty('Superseded');
      expect(cloudFormationSuccessBody(event, ASSOCIATION_ID, { ...response.Data, ...done.Data })).not.toContain('Superseded');
      expect(ec2).toHaveReceivedCommandTimes(AssociateIpamByoasnCommand, 1);
    });
  });

  describe('isComplete after a replacement', () => {
    const newId = associationPhysicalId(ASN, OTHER_CIDR);
    const newData = { Asn: ASN, Cidr: OTHER_CIDR, State: 'pending-association', StatusMessage: '' };
    const replacing: OnEventResponse = {
      PhysicalResourceId: newId,
      Data: newData,
      Superseded: { State: 'failed-association', StatusMessage: OLD_MESSAGE, At: AT },
    };
    const givenNewCidrWith = (...associations: Array<ReturnType<typeof association>>) =>
      givenCidrs(byoipCidr([association('associated')]), byoipCidr(associations, { Cidr: OTHER_CIDR }));

    test('keeps waiting while it reads the old association of the new CIDR within the window', async () => {
      clockAt(30_000);
      givenNewCidrWith(association('failed-association', { Cidr: OTHER_CIDR, StatusMessage: OLD_MESSAGE }));

      await expect(poll(associationUpdate({ Cidr: OTHER_CIDR }, {}), replacing)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
    });

    test("fails with AWS's status message on the same association once the window has passed", async () => {
      clockAt(STALE_RECORD_WINDOW_MS + 10_000);
      givenNewCidrWith(association('failed-association', { Cidr: OTHER_CIDR, StatusMessage: OLD_MESSAGE }));

      await expectError(poll(associationUpdate({ Cidr: OTHER_CIDR }, {}), replacing),
        `Prefix: AWS could not associate ASN 64496 with CIDR ${OTHER_CIDR}: ${OLD_MESSAGE}`);
    });

    test('fails at once on a failed-association with a different status message', async () => {
      clockAt(1_000);
      givenNewCidrWith(association('failed-association', { Cidr: OTHER_CIDR, StatusMessage: 'The CIDR is not provisioned.' }));

      await expectError(poll(associationUpdate({ Cidr: OTHER_CIDR }, {}), replacing),
        `Prefix: AWS could not associate ASN 64496 with CIDR ${OTHER_CIDR}: The CIDR is not provisioned.`);
    });

    test('fails at once without Superseded', async () => {
      clockAt(1_000);
      givenNewCidrWith(association('failed-association', { Cidr: OTHER_CIDR, StatusMessage: OLD_MESSAGE }));

      await expectError(poll(associationUpdate({ Cidr: OTHER_CIDR }, {}), { PhysicalResourceId: newId, Data: newData }),
        `Prefix: AWS could not associate ASN 64496 with CIDR ${OTHER_CIDR}: ${OLD_MESSAGE}`);
    });
  });
});

// ===========================================================================================================
// Logging
// ===========================================================================================================

describe('logging', () => {
  test('puts RequestId, LogicalResourceId, PhysicalResourceId and ResourceType on every line', async () => {
    givenAssociation('associated');
    ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

    await onEvent(associationDelete());

    const records = logs.records();
    expect(records.length).toBeGreaterThan(3);
    for (const record of records) {
      expect(record).toMatchObject({
        RequestId: 'a1b2c3d4-0000-4000-8000-000000000001',
        LogicalResourceId: 'Prefix',
        PhysicalResourceId: ASSOCIATION_ID,
        ResourceType: 'Custom::ByoasnCidrAssociation',
      });
    }
  });

  test('writes one line per state seen: the CIDR and the association', async () => {
    givenAssociation('associated');
    ec2.on(DisassociateIpamByoasnCommand).resolves({ AsnAssociation: association('pending-disassociation') });

    await onEvent(associationDelete());

    expect(logs.records()).toContainEqual(expect.objectContaining({ message: 'BYOIP CIDR 203.0.113.0/24 is provisioned', state: 'provisioned' }));
    expect(logs.records()).toContainEqual(expect.objectContaining({ message: 'the association of ASN 64496 with 203.0.113.0/24 is associated', state: 'associated' }));
    expect(logs.records()).toContainEqual(expect.objectContaining({
      action: 'DisassociateIpamByoasn', params: { Asn: ASN, Cidr: CIDR }, outcome: 'success', state: 'pending-disassociation',
    }));
  });
});
