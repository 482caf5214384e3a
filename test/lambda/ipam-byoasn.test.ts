import {
  Byoasn,
  DeprovisionIpamByoasnCommand,
  DescribeByoipCidrsCommand,
  DescribeIpamByoasnCommand,
  ProvisionIpamByoasnCommand,
} from '@aws-sdk/client-ec2';
import 'aws-sdk-client-mock-jest';
import { ALLOW_DOCUMENTATION_VALUES_ENV, byoasnPhysicalId } from '../../lib/private/contract';
import { STALE_RECORD_WINDOW_MS } from '../../lambda/common';
import type { CustomResourceEvent, IsCompleteResponse, OnEventResponse } from '../../lambda/common';
import { isComplete, onEvent } from '../../lambda/index';
import { MAX_AWS_TEXT_BYTES, MAX_DATA_BYTES } from '../../lambda/limits';
import {
  ACCOUNT,
  ASN,
  BYOASN_ID,
  CREATE_FAILED_MARKER,
  IPAM_ID,
  OTHER_ASN,
  OTHER_CIDR,
  OTHER_IPAM_ID,
  OTHER_SIGNATURE,
  PUBLIC_ASN,
  SIGNATURE,
  association,
  authorizationMessage,
  byoasn,
  byoasnCreate,
  byoasnDelete,
  byoasnUpdate,
  byoipCidr,
  cloudFormationFailureBody,
  cloudFormationSuccessBody,
  ec2Error,
  isCompleteEvent,
  mockedEc2,
} from './events';

const { ec2, logs, givenAsns, givenAsnsInTurn, givenCidrs } = mockedEc2();

function expectNoMutation(): void {
  expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 0);
  expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 0);
}

/** Expects a rejection with exactly this message (or one matching an asymmetric matcher). */
async function expectError(promise: Promise<unknown>, message: unknown): Promise<void> {
  await expect(promise).rejects.toMatchObject({ message });
}

function poll(event: CustomResourceEvent, response: OnEventResponse): Promise<IsCompleteResponse> {
  return isComplete(isCompleteEvent(event, response));
}

const provisionedData = { Asn: ASN, IpamId: IPAM_ID, State: 'provisioned', StatusMessage: '' };

// ===========================================================================================================
// CREATE
// ===========================================================================================================

describe('create', () => {
  test('provisions an absent ASN with its authorization context', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

    const response = await onEvent(byoasnCreate());

    expect(response).toEqual({
      PhysicalResourceId: BYOASN_ID,
      Data: { Asn: ASN, IpamId: IPAM_ID, State: 'pending-provision', StatusMessage: '' },
    });
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(ProvisionIpamByoasnCommand, {
      IpamId: IPAM_ID,
      Asn: ASN,
      AsnAuthorizationContext: { Message: authorizationMessage(), Signature: SIGNATURE },
    });
  });

  test.each(['deprovisioned', 'failed-provision'])('provisions again an ASN whose record says %s (it counts as absent)', async (state) => {
    givenAsns(byoasn(state, { StatusMessage: 'old record' }));
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

    const response = await onEvent(byoasnCreate());

    expect(response.PhysicalResourceId).toBe(BYOASN_ID);
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
  });

  test('waits for a provisioning already in progress in this IPAM without calling AWS again', async () => {
    givenAsns(byoasn('pending-provision'));

    const response = await onEvent(byoasnCreate());

    expect(response).toEqual({ PhysicalResourceId: BYOASN_ID, Data: { Asn: ASN, IpamId: IPAM_ID, State: 'pending-provision', StatusMessage: '' } });
    expectNoMutation();
  });

  test('refuses an ASN that is already provisioned in this IPAM', async () => {
    givenAsns(byoasn('provisioned'));

    await expectError(onEvent(byoasnCreate()),
      `Asn: ASN 64496 is already provisioned in ${IPAM_ID}. Set adoptExisting: true to manage it with this stack (deleting the resource will then deprovision it), or deprovision it first.`);
    expectNoMutation();
  });

  test('adopts an ASN that is already provisioned in this IPAM when AdoptExisting is true', async () => {
    givenAsns(byoasn('provisioned'));

    const response = await onEvent(byoasnCreate({ AdoptExisting: 'true' }));

    expect(response).toEqual({ PhysicalResourceId: BYOASN_ID, Data: provisionedData });
    expectNoMutation();
  });

  describe('when another IPAM holds the ASN', () => {
    test.each(['pending-provision', 'provisioned', 'pending-deprovision', 'failed-deprovision'])('refuses it when it is %s there, naming that IPAM', async (state) => {
      givenAsns(byoasn(state, { IpamId: OTHER_IPAM_ID }));

      await expectError(onEvent(byoasnCreate({ AdoptExisting: 'true' })),
        `Asn: ASN 64496 is already in another IPAM, ${OTHER_IPAM_ID} (state ${state}); an ASN can be in only one IPAM at a time. Deprovision it from ${OTHER_IPAM_ID} first, or use ${OTHER_IPAM_ID} as ipamId.`);
      expectNoMutation();
    });

    test.each(['deprovisioned', 'failed-provision'])('provisions anyway when its record there says %s', async (state) => {
      givenAsns(byoasn(state, { IpamId: OTHER_IPAM_ID }));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

      await onEvent(byoasnCreate());

      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
    });
  });

  test('waits for a deprovisioning in this IPAM to end instead of provisioning now', async () => {
    givenAsns(byoasn('pending-deprovision'));

    const response = await onEvent(byoasnCreate());

    expect(response).toEqual({ PhysicalResourceId: BYOASN_ID, Data: { Asn: ASN, IpamId: IPAM_ID, State: 'pending-deprovision', StatusMessage: '' } });
    expectNoMutation();
  });

  test("refuses an ASN in failed-deprovision with AWS's status message", async () => {
    givenAsns(byoasn('failed-deprovision', { StatusMessage: 'The ASN is still in use.' }));

    await expectError(onEvent(byoasnCreate()),
      `Asn: ASN 64496 is in state failed-deprovision in ${IPAM_ID}; resolve the problem and deprovision it (DeprovisionIpamByoasn) before provisioning it again. AWS's status message: The ASN is still in use.`);
    expectNoMutation();
  });

  test('refuses an unknown state without changing anything', async () => {
    givenAsns(byoasn('quarantined', { StatusMessage: 'new in 2030' }));

    await expectError(onEvent(byoasnCreate()),
      `Asn: ASN 64496 is in state 'quarantined' in ${IPAM_ID}, which this handler does not know; nothing was changed. AWS's status message: new in 2030`);
    expectNoMutation();
  });

  test('reads every page of DescribeIpamByoasn (the ASN is on page 3)', async () => {
    const pages: Record<string, { Byoasns: Byoasn[]; NextToken?: string }> = {
      '': { Byoasns: [byoasn('provisioned', { Asn: '64500' })], NextToken: 'page-2' },
      'page-2': { Byoasns: [byoasn('provisioned', { Asn: '64501' })], NextToken: 'page-3' },
      'page-3': { Byoasns: [byoasn('provisioned')] },
    };
    ec2.on(DescribeIpamByoasnCommand).callsFake((input: { NextToken?: string }) => pages[input.NextToken ?? '']);

    await expectError(onEvent(byoasnCreate()), expect.stringContaining('is already provisioned'));

    const calls = ec2.commandCalls(DescribeIpamByoasnCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([
      { MaxResults: 100, NextToken: undefined },
      { MaxResults: 100, NextToken: 'page-2' },
      { MaxResults: 100, NextToken: 'page-3' },
    ]);
  });

  test('surfaces a failed read with the logical id in front, before any change', async () => {
    ec2.on(DescribeIpamByoasnCommand).rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403));

    await expectError(onEvent(byoasnCreate()), 'Asn: UnauthorizedOperation: You are not authorized to perform this operation.');
    expectNoMutation();
  });

  describe('when ProvisionIpamByoasn fails', () => {
    test('takes an "already provisioned" refusal as its own lost request when the ASN is now pending-provision here', async () => {
      givenAsnsInTurn([], [byoasn('pending-provision')]);
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is already provisioned.'));

      const response = await onEvent(byoasnCreate());

      expect(response).toEqual({ PhysicalResourceId: BYOASN_ID, Data: { Asn: ASN, IpamId: IPAM_ID, State: 'pending-provision', StatusMessage: '' } });
      expect(ec2).toHaveReceivedCommandTimes(DescribeIpamByoasnCommand, 2);
    });

    test('takes it as its own request when the ASN is already provisioned here (any 4xx code)', async () => {
      givenAsnsInTurn([], [byoasn('provisioned')]);
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('InvalidAsn.InUse', 'in use', 400));

      const response = await onEvent(byoasnCreate());

      expect(response).toEqual({ PhysicalResourceId: BYOASN_ID, Data: provisionedData });
    });

    test("reports AWS's refusal when the state does not show the ASN in this IPAM", async () => {
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('InvalidParameterValue', 'The signature is not valid for the ASN.'));

      await expectError(onEvent(byoasnCreate()),
        `Asn: could not provision ASN 64496 in ${IPAM_ID}: ProvisionIpamByoasn failed with InvalidParameterValue: The signature is not valid for the ASN.`);
      expect(ec2).toHaveReceivedCommandTimes(DescribeIpamByoasnCommand, 2);
    });

    test('waits for its own earlier attempt when the refusal came after retries and the read does not show it yet', async () => {
      // Attempt 1 was applied but its answer lost; attempt 2 was refused; reads are not consistent yet.
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN 64496 is already pending-provision.', 400, 2));

      const response = await onEvent(byoasnCreate());

      expect(response).toEqual({ PhysicalResourceId: BYOASN_ID, Data: { Asn: ASN, IpamId: IPAM_ID, State: 'pending-provision', StatusMessage: '' } });
      expect(logs.text()).toContain('after the SDK retried it: an earlier attempt may have been applied, not visible yet; waiting for it');
    });

    test.each(['UnauthorizedOperation', 'ResourceLimitExceeded'])('reports %s at once even after retries: nothing was applied', async (code) => {
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error(code, 'refused', 400, 3));

      await expectError(onEvent(byoasnCreate()), `Asn: could not provision ASN 64496 in ${IPAM_ID}: ProvisionIpamByoasn failed with ${code}: refused`);
    });

    test('reports the refusal when the re-read shows the ASN in another IPAM, even after retries', async () => {
      givenAsnsInTurn([], [byoasn('pending-provision', { IpamId: OTHER_IPAM_ID })]);
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'already provisioned', 400, 2));

      await expectError(onEvent(byoasnCreate()), expect.stringContaining(`ASN 64496 is already in another IPAM, ${OTHER_IPAM_ID}`));
    });

    test('reports a server error at once, without re-reading', async () => {
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('InternalError', 'An internal error has occurred.', 500));

      await expectError(onEvent(byoasnCreate()),
        `Asn: could not provision ASN 64496 in ${IPAM_ID}: ProvisionIpamByoasn failed with InternalError: An internal error has occurred.`);
      expect(ec2).toHaveReceivedCommandTimes(DescribeIpamByoasnCommand, 1);
    });

    test('keeps the signature out of the error when AWS quotes it back', async () => {
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('InvalidParameterValue', `Signature ${SIGNATURE} does not verify.`));

      await expectError(onEvent(byoasnCreate()),
        `Asn: could not provision ASN 64496 in ${IPAM_ID}: ProvisionIpamByoasn failed with InvalidParameterValue: Signature *** does not verify.`);
      expect(logs.text()).not.toContain(SIGNATURE);
    });
  });

  describe('validation, before any AWS call', () => {
    test('refuses a private ASN', async () => {
      await expectError(onEvent(byoasnCreate({ Asn: '64512', AuthorizationMessage: authorizationMessage('64512') })),
        'Asn: asn 64512 is a private ASN (RFC 6996) (64512-65534), not a public ASN. Allowed: 1-64495 (except 23456) or 131072-4199999999.');
      expect(ec2.calls()).toHaveLength(0);
    });

    test('refuses an IPAM id that is not one', async () => {
      await expectError(onEvent(byoasnCreate({ IpamId: 'ipam-xyz' })),
        "Asn: ipamId 'ipam-xyz' is not an IPAM id; expected 'ipam-' followed by 17 (or, for old ids, 8) lower-case hexadecimal digits, e.g. 'ipam-0123456789abcdef0' (CfnIPAM.attrIpamId).");
      expect(ec2.calls()).toHaveLength(0);
    });

    test('lists every problem of the authorization context at once, without echoing the signature', async () => {
      const event = byoasnCreate({ AuthorizationMessage: authorizationMessage(OTHER_ASN, '210987654321'), AuthorizationSignature: 'a+b=' });

      await expectError(onEvent(event), [
        "Asn: authorizationContext.message authorizes ASN '64497', but this resource's ASN is '64496'. Sign a message for '64496'.",
        `Asn: authorizationContext.message names account 210987654321, but the stack deploys to account ${ACCOUNT}. Sign a message for account ${ACCOUNT}.`,
        "Asn: authorizationContext.signature must be a non-empty string of the characters A-Z a-z 0-9 - _ ~ (base64 with '+=/' replaced by '-_~' and no newlines); got 4 characters including \"+\", \"=\".",
      ].join('\n'));
      expect(ec2.calls()).toHaveLength(0);
    });

    test("takes the stack's account from the ServiceToken, and skips the check when it is not a Lambda ARN", async () => {
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });
      const event = { ...byoasnCreate({ AuthorizationMessage: authorizationMessage(ASN, '210987654321') }), ServiceToken: 'not-an-arn' };

      await onEvent(event);

      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
    });

    test('refuses an expired authorization message', async () => {
      await expectError(onEvent(byoasnCreate({ AuthorizationMessage: authorizationMessage(ASN, ACCOUNT, '20200101') })),
        'Asn: authorizationContext.message expired on 20200101; the expiry date must be today or later. Sign a new message with a later date.');
      expect(ec2.calls()).toHaveLength(0);
    });

    test('logs a warning, and goes on, when the message expires within 7 days', async () => {
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });
      const soon = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000).toISOString().slice(0, 10).replace(/-/g, '');

      await onEvent(byoasnCreate({ AuthorizationMessage: authorizationMessage(ASN, ACCOUNT, soon) }));

      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'WARN',
        message: `Asn: authorizationContext.message expires on ${soon}, within 7 days; a deployment after that date will be refused.`,
      }));
    });

    test('refuses a documentation ASN unless CDK_IPAM_BYOASN_ALLOW_DOCUMENTATION_VALUES is true', async () => {
      delete process.env[ALLOW_DOCUMENTATION_VALUES_ENV];

      await expectError(onEvent(byoasnCreate()),
        'Asn: asn 64496 is reserved for documentation (RFC 5398) (64496-64511): fine for examples, but AWS cannot provision it, and a deployment will refuse it. Use your own public ASN: 1-64495 (except 23456) or 131072-4199999999.');
      expect(ec2.calls()).toHaveLength(0);
    });

    test('accepts a public ASN without the variable', async () => {
      delete process.env[ALLOW_DOCUMENTATION_VALUES_ENV];
      givenAsns();
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision', { Asn: PUBLIC_ASN }) });

      const response = await onEvent(byoasnCreate({ Asn: PUBLIC_ASN }));

      expect(response.PhysicalResourceId).toBe(byoasnPhysicalId(IPAM_ID, PUBLIC_ASN));
    });
  });
});

describe('isComplete after create', () => {
  const created: OnEventResponse = { PhysicalResourceId: BYOASN_ID, Data: { Asn: ASN, IpamId: IPAM_ID, State: 'pending-provision', StatusMessage: '' } };

  test('fails at once, instead of waiting for a provisioning that cannot come, when the ASN turns up in another IPAM', async () => {
    givenAsns(byoasn('pending-provision', { IpamId: OTHER_IPAM_ID }));

    await expectError(poll(byoasnCreate(), created), expect.stringContaining(`ASN 64496 is already in another IPAM, ${OTHER_IPAM_ID}`));
    expectNoMutation();
  });

  test('completes with the attributes once the ASN is provisioned', async () => {
    givenAsns(byoasn('provisioned'));

    await expect(poll(byoasnCreate(), created)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
  });

  test.each([
    ['pending-provision', byoasn('pending-provision')],
    ['not listed yet (eventual consistency)', undefined],
    ['still listed as deprovisioned (eventual consistency)', byoasn('deprovisioned')],
    ['pending-deprovision', byoasn('pending-deprovision')],
  ])('keeps waiting, without Data, while the ASN is %s', async (_, record) => {
    givenAsns(...(record ? [record] : []));

    await expect(poll(byoasnCreate(), created)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test("fails with AWS's status message on failed-provision", async () => {
    givenAsns(byoasn('failed-provision', { StatusMessage: 'The ASN is not registered to the certificate in the RIR record.' }));

    await expectError(poll(byoasnCreate(), created),
      `Asn: AWS could not provision ASN 64496 in ${IPAM_ID}: The ASN is not registered to the certificate in the RIR record.`);
  });

  test("fails with AWS's status message on failed-deprovision", async () => {
    givenAsns(byoasn('failed-deprovision', { StatusMessage: 'busy' }));

    await expectError(poll(byoasnCreate(), created),
      `Asn: AWS could not deprovision ASN 64496 from ${IPAM_ID}, so it cannot be provisioned again: busy`);
  });

  test('says so when AWS gives no status message', async () => {
    givenAsns(byoasn('failed-provision'));

    await expectError(poll(byoasnCreate(), created), `Asn: AWS could not provision ASN 64496 in ${IPAM_ID}: (AWS gave no status message)`);
  });

  test('keeps waiting, with a warning, on an unknown state', async () => {
    givenAsns(byoasn('quarantined'));

    await expect(poll(byoasnCreate(), created)).resolves.toEqual({ IsComplete: false });
    expect(logs.records()).toContainEqual(expect.objectContaining({
      level: 'WARN', message: `ASN 64496 is in unknown state 'quarantined' in ${IPAM_ID}; waiting for a known one`,
    }));
  });

  test('ignores records of other ASNs and of other IPAMs', async () => {
    givenAsns(byoasn('provisioned', { Asn: OTHER_ASN }), byoasn('deprovisioned', { IpamId: OTHER_IPAM_ID }), byoasn('provisioned'));

    await expect(poll(byoasnCreate(), created)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
  });

  describe('after waiting for a deprovisioning', () => {
    const waited: OnEventResponse = { PhysicalResourceId: BYOASN_ID, Data: { Asn: ASN, IpamId: IPAM_ID, State: 'pending-deprovision', StatusMessage: '' } };

    test.each([['deprovisioned', [byoasn('deprovisioned')]], ['absent', []]])('provisions once the ASN is %s', async (_, records) => {
      givenAsns(...records);
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

      await expect(poll(byoasnCreate(), waited)).resolves.toEqual({ IsComplete: false });
      expect(ec2).toHaveReceivedCommandWith(ProvisionIpamByoasnCommand, {
        IpamId: IPAM_ID, Asn: ASN, AsnAuthorizationContext: { Message: authorizationMessage(), Signature: SIGNATURE },
      });
    });

    test('keeps waiting while the deprovisioning goes on', async () => {
      givenAsns(byoasn('pending-deprovision'));

      await expect(poll(byoasnCreate(), waited)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
    });

    test('keeps waiting when AWS refuses the provisioning because an earlier poll already made it', async () => {
      // Eventually consistent reads: this poll still sees "deprovisioned" after an earlier poll's request.
      givenAsns(byoasn('deprovisioned'));
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN 64496 is already pending-provision.'));

      await expect(poll(byoasnCreate(), waited)).resolves.toEqual({ IsComplete: false });
      expect(logs.text()).toContain('most likely the request of an earlier poll, not visible yet; waiting for it');
    });

    test.each(['UnauthorizedOperation', 'ResourceLimitExceeded'])('fails at once when the provisioning is refused with %s, which no waiting cures', async (code) => {
      givenAsns(byoasn('deprovisioned'));
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error(code, 'refused'));

      await expectError(poll(byoasnCreate(), waited), expect.stringContaining(`ProvisionIpamByoasn failed with ${code}: refused`));
    });

    test('refuses to provision when another IPAM took the ASN meanwhile', async () => {
      givenAsns(byoasn('deprovisioned'), byoasn('pending-provision', { IpamId: OTHER_IPAM_ID }));

      await expectError(poll(byoasnCreate(), waited),
        `Asn: ASN 64496 is already in another IPAM, ${OTHER_IPAM_ID} (state pending-provision); an ASN can be in only one IPAM at a time. Deprovision it from ${OTHER_IPAM_ID} first, or use ${OTHER_IPAM_ID} as ipamId.`);
      expectNoMutation();
    });
  });

  describe('the attributes', () => {
    test('keep the signature out of the status message and the log lines when AWS quotes it', async () => {
      givenAsns(byoasn('provisioned', { StatusMessage: `Verified signature ${SIGNATURE}.` }));

      const response = await poll(byoasnCreate(), created);

      expect(response.Data?.StatusMessage).toBe('Verified signature ***.');
      expect(logs.text()).not.toContain(SIGNATURE);
    });

    test('are all strings, even when AWS leaves fields out, and never hold the signature', async () => {
      givenAsns({ Asn: ASN, IpamId: IPAM_ID, State: 'provisioned' });

      const response = await poll(byoasnCreate(), created);

      expect(response.Data).toEqual(provisionedData);
      expect(Object.values(response.Data ?? {}).every((value) => typeof value === 'string')).toBe(true);
      expect(JSON.stringify(response)).not.toContain(SIGNATURE);
    });

    test('keep the CloudFormation response under 4096 bytes when the status message is huge', async () => {
      const huge = 'The RIR record could not be verified. '.repeat(3000);
      givenAsns(byoasn('provisioned', { StatusMessage: huge }));
      const event = byoasnCreate();

      const response = await poll(event, created);

      const body = cloudFormationSuccessBody(event, BYOASN_ID, { ...created.Data, ...response.Data });
      expect(Buffer.byteLength(body)).toBeLessThan(4096);
      expect(Buffer.byteLength(JSON.stringify(response.Data))).toBeLessThanOrEqual(MAX_DATA_BYTES);
      expect(response.Data?.StatusMessage).toMatch(/^The RIR record could not be verified\. .*…$/);
    });

    test('keep a failure under 4096 bytes when the status message is huge', async () => {
      givenAsns(byoasn('failed-provision', { StatusMessage: 'Ünverifiable signature. '.repeat(3000) }));
      const event = byoasnCreate();

      const error = await poll(event, created).catch((e: Error) => e);

      expect(error).toBeInstanceOf(Error);
      expect(Buffer.byteLength(cloudFormationFailureBody(event, BYOASN_ID, error as Error))).toBeLessThan(4096);
      expect((error as Error).message).toMatch(/^Asn: AWS could not provision ASN 64496 in ipam-0123456789abcdef0: Ünverifiable signature\. .*…$/);
    });
  });
});

// ===========================================================================================================
// UPDATE
// ===========================================================================================================

describe('update', () => {
  test('changes nothing when only the authorization context changes', async () => {
    const event = byoasnUpdate(
      { AuthorizationMessage: authorizationMessage(ASN, ACCOUNT, '20981231'), AuthorizationSignature: OTHER_SIGNATURE },
      {});

    await expect(onEvent(event)).resolves.toEqual({ PhysicalResourceId: BYOASN_ID });
    expect(ec2.calls()).toHaveLength(0);
  });

  test('changes nothing when only adoptExisting changes', async () => {
    await expect(onEvent(byoasnUpdate({ AdoptExisting: 'true' }, { AdoptExisting: 'false' }))).resolves.toEqual({ PhysicalResourceId: BYOASN_ID });
    expect(ec2.calls()).toHaveLength(0);
  });

  test('does not check the authorization context of an in-place update', async () => {
    const event = byoasnUpdate({ AuthorizationMessage: authorizationMessage(ASN, ACCOUNT, '20200101') }, {});

    await expect(onEvent(event)).resolves.toEqual({ PhysicalResourceId: BYOASN_ID });
  });

  test('still refuses an invalid ASN in an in-place update', async () => {
    const event = byoasnUpdate({ Asn: '64496.5' }, {});

    await expectError(onEvent(event),
      "Asn: asn must be in asplain notation; got asdot '64496.5'. Use 4226809861 instead.");
    expect(ec2.calls()).toHaveLength(0);
  });

  test('reports the current attributes once an in-place update is done', async () => {
    givenAsns(byoasn('provisioned'));
    const event = byoasnUpdate({ AdoptExisting: 'true' });

    await expect(poll(event, await onEvent(event))).resolves.toEqual({ IsComplete: true, Data: provisionedData });
    expectNoMutation();
  });

  test('refuses to move the same ASN to another IPAM, explaining the two-step migration', async () => {
    await expectError(onEvent(byoasnUpdate({ IpamId: OTHER_IPAM_ID }, {})),
      `Asn: cannot move ASN 64496 from ${IPAM_ID} to ${OTHER_IPAM_ID} in one deployment: CloudFormation would provision it in ${OTHER_IPAM_ID} before deprovisioning it from ${IPAM_ID}, and AWS refuses to provision an ASN that is still in another IPAM. Migrate in two deployments: first deploy without this IpamByoasn (and its ByoasnCidrAssociations) so that the ASN is deprovisioned from ${IPAM_ID}, then deploy again with ipamId ${OTHER_IPAM_ID}.`);
    expect(ec2.calls()).toHaveLength(0);
  });

  test('treats a rollback (properties swapped back, physical id unchanged) as in place', async () => {
    // CloudFormation rolls a failed update back with the recorded physical id and the old properties.
    const event = byoasnUpdate({}, { Asn: OTHER_ASN }, BYOASN_ID);

    await expect(onEvent(event)).resolves.toEqual({ PhysicalResourceId: BYOASN_ID });
    expect(ec2.calls()).toHaveLength(0);
  });

  describe('requires replacement', () => {
    const newId = byoasnPhysicalId(IPAM_ID, OTHER_ASN);

    test('provisions the new ASN and answers with its physical id when the ASN changes', async () => {
      givenAsns(byoasn('provisioned'));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision', { Asn: OTHER_ASN }) });

      const response = await onEvent(byoasnUpdate({ Asn: OTHER_ASN }, {}));

      expect(response).toEqual({ PhysicalResourceId: newId, Data: { Asn: OTHER_ASN, IpamId: IPAM_ID, State: 'pending-provision', StatusMessage: '' } });
      expect(ec2).toHaveReceivedCommandWith(ProvisionIpamByoasnCommand, {
        IpamId: IPAM_ID, Asn: OTHER_ASN, AsnAuthorizationContext: { Message: authorizationMessage(OTHER_ASN), Signature: SIGNATURE },
      });
      // The old ASN is left to the Delete that CloudFormation sends afterwards.
      expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 0);
    });

    test('provisions the new ASN in the new IPAM when both change', async () => {
      givenAsns(byoasn('provisioned'));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision', { Asn: OTHER_ASN, IpamId: OTHER_IPAM_ID }) });

      const response = await onEvent(byoasnUpdate({ Asn: OTHER_ASN, IpamId: OTHER_IPAM_ID }, {}));

      expect(response.PhysicalResourceId).toBe(byoasnPhysicalId(OTHER_IPAM_ID, OTHER_ASN));
      expect(ec2).toHaveReceivedCommandWith(ProvisionIpamByoasnCommand, { IpamId: OTHER_IPAM_ID, Asn: OTHER_ASN });
    });

    test('checks the authorization context against the new ASN before any AWS call', async () => {
      const event = byoasnUpdate({ Asn: OTHER_ASN, AuthorizationMessage: authorizationMessage(ASN) }, {});

      await expectError(onEvent(event),
        "Asn: authorizationContext.message authorizes ASN '64496', but this resource's ASN is '64497'. Sign a message for '64497'.");
      expect(ec2.calls()).toHaveLength(0);
    });

    test('takes back the old ASN when CloudFormation rolls a replacement back (properties swapped, the new id)', async () => {
      // The replacement succeeded (the resource is now 64497), another resource failed, and CloudFormation sends
      // an Update back to 64496, which still exists: it is deleted only once the whole update has succeeded.
      givenAsns(byoasn('provisioned'), byoasn('provisioned', { Asn: OTHER_ASN }));
      const event = byoasnUpdate({}, { Asn: OTHER_ASN }, newId);

      const response = await onEvent(event);

      expect(response).toEqual({ PhysicalResourceId: BYOASN_ID, Data: provisionedData });
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: provisionedData });
      expectNoMutation();
      expect(logs.records()).toContainEqual(expect.objectContaining({
        message: `ASN 64496 in ${IPAM_ID} is provisioned: adopting it (an Update takes back an ASN that is already provisioned here, as a rollback of a replacement needs)`,
      }));
    });

    test('still refuses a new ASN that another IPAM holds', async () => {
      givenAsns(byoasn('provisioned'), byoasn('provisioned', { Asn: OTHER_ASN, IpamId: OTHER_IPAM_ID }));

      await expectError(onEvent(byoasnUpdate({ Asn: OTHER_ASN, AdoptExisting: 'true' }, {})), expect.stringContaining(`Asn: ASN 64497 is already in another IPAM, ${OTHER_IPAM_ID}`));
      expectNoMutation();
    });

    test('waits until the new ASN is provisioned', async () => {
      const event = byoasnUpdate({ Asn: OTHER_ASN }, {});
      const response: OnEventResponse = { PhysicalResourceId: newId, Data: { Asn: OTHER_ASN, IpamId: IPAM_ID, State: 'pending-provision', StatusMessage: '' } };
      givenAsnsInTurn([byoasn('provisioned'), byoasn('pending-provision', { Asn: OTHER_ASN })], [byoasn('provisioned'), byoasn('provisioned', { Asn: OTHER_ASN })]);

      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: true, Data: { Asn: OTHER_ASN, IpamId: IPAM_ID, State: 'provisioned', StatusMessage: '' } });
    });

    test("fails with AWS's status message when the new ASN fails to provision", async () => {
      const event = byoasnUpdate({ Asn: OTHER_ASN }, {});
      givenAsns(byoasn('failed-provision', { Asn: OTHER_ASN, StatusMessage: 'no RIR record' }));

      await expectError(poll(event, { PhysicalResourceId: newId, Data: { State: 'pending-provision' } }),
        `Asn: AWS could not provision ASN 64497 in ${IPAM_ID}: no RIR record`);
    });
  });
});

// ===========================================================================================================
// DELETE
// ===========================================================================================================

describe('delete', () => {
  test("ignores a physical id that is not ours (the provider's create-failed marker)", async () => {
    const event = byoasnDelete(CREATE_FAILED_MARKER);

    const response = await onEvent(event);

    expect(response).toEqual({ PhysicalResourceId: CREATE_FAILED_MARKER });
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true });
    expect(ec2.calls()).toHaveLength(0);
  });

  test.each([
    ['absent', []],
    ['deprovisioned', [byoasn('deprovisioned')]],
    ['failed-provision', [byoasn('failed-provision')]],
    ['only in another IPAM', [byoasn('provisioned', { IpamId: OTHER_IPAM_ID })]],
  ])('deletes nothing when the ASN is %s', async (_, records) => {
    givenAsns(...records);
    const event = byoasnDelete();

    const response = await onEvent(event);

    expect(response).toEqual({ PhysicalResourceId: BYOASN_ID });
    await expect(poll(event, response)).resolves.toEqual({ IsComplete: true });
    expectNoMutation();
  });

  test('deprovisions a provisioned ASN', async () => {
    givenAsns(byoasn('provisioned'));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    const response = await onEvent(byoasnDelete());

    expect(response).toEqual({ PhysicalResourceId: BYOASN_ID, Data: { Asn: ASN, IpamId: IPAM_ID, State: 'pending-deprovision', StatusMessage: '' } });
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(DeprovisionIpamByoasnCommand, { IpamId: IPAM_ID, Asn: ASN });
  });

  test('deletes by the physical id, not by the properties', async () => {
    givenAsns(byoasn('provisioned'));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    await onEvent(byoasnDelete(BYOASN_ID, { Asn: OTHER_ASN, IpamId: OTHER_IPAM_ID }));

    expect(ec2).toHaveReceivedCommandWith(DeprovisionIpamByoasnCommand, { IpamId: IPAM_ID, Asn: ASN });
  });

  test('does not validate the properties (a documentation ASN can always be deleted)', async () => {
    delete process.env[ALLOW_DOCUMENTATION_VALUES_ENV];
    givenAsns();

    await expect(onEvent(byoasnDelete(BYOASN_ID, { AuthorizationSignature: '' }))).resolves.toEqual({ PhysicalResourceId: BYOASN_ID });
  });

  test.each(['pending-provision', 'pending-deprovision'])('waits while the ASN is %s, without calling AWS', async (state) => {
    givenAsns(byoasn(state));

    const response = await onEvent(byoasnDelete());

    expect(response).toEqual({ PhysicalResourceId: BYOASN_ID, Data: { Asn: ASN, IpamId: IPAM_ID, State: state, StatusMessage: '' } });
    expectNoMutation();
  });

  test("fails on failed-deprovision with AWS's status message", async () => {
    givenAsns(byoasn('failed-deprovision', { StatusMessage: 'Internal failure' }));

    await expectError(onEvent(byoasnDelete()),
      `Asn: AWS could not deprovision ASN 64496 from ${IPAM_ID} (state failed-deprovision); resolve the problem and deprovision it (DeprovisionIpamByoasn), then delete again. AWS's status message: Internal failure`);
    expectNoMutation();
  });

  test('waits, with a warning, on an unknown state', async () => {
    givenAsns(byoasn('quarantined'));

    const response = await onEvent(byoasnDelete());

    expect(response.Data?.State).toBe('quarantined');
    expectNoMutation();
  });

  describe('when AWS refuses to deprovision', () => {
    test.each([
      ['IncorrectState', 400],
      ['InvalidParameterValue', 400],
      ['InvalidParameter', 400],
      ['InvalidAsn.Associated', 400],
    ])('names the associated CIDRs (%s)', async (code, status) => {
      givenAsns(byoasn('provisioned'));
      givenCidrs(
        byoipCidr([association('associated')]),
        byoipCidr([association('pending-association', { Cidr: OTHER_CIDR }), association('associated', { Asn: OTHER_ASN, Cidr: OTHER_CIDR })], { Cidr: OTHER_CIDR }),
        byoipCidr([association('disassociated', { Cidr: '198.51.100.0/24' })], { Cidr: '198.51.100.0/24' }),
      );
      ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error(code, 'The ASN has associations.', status));

      await expectError(onEvent(byoasnDelete()),
        `Asn: cannot deprovision ASN 64496 from ${IPAM_ID}: it is still associated with 203.0.113.0/24 (associated), 2001:db8:1000::/48 (pending-association). Delete the ByoasnCidrAssociation resources of these CIDRs (or disassociate them with DisassociateIpamByoasn) first. AWS said: ${code}: The ASN has associations.`);
      expect(ec2).toHaveReceivedCommandWith(DescribeByoipCidrsCommand, { MaxResults: 100 });
    });

    test("falls back to AWS's own message when no association explains it", async () => {
      givenAsns(byoasn('provisioned'));
      givenCidrs(byoipCidr([]));
      ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403));

      await expectError(onEvent(byoasnDelete()),
        `Asn: AWS refused to deprovision ASN 64496 from ${IPAM_ID}: UnauthorizedOperation: You are not authorized to perform this operation.`);
    });

    test('takes the refusal as its own lost request when the ASN is already being deprovisioned', async () => {
      givenAsnsInTurn([byoasn('provisioned')], [byoasn('pending-deprovision')]);
      ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is not provisioned.'));

      await expect(onEvent(byoasnDelete())).resolves.toEqual({ PhysicalResourceId: BYOASN_ID, Data: { Asn: ASN, IpamId: IPAM_ID, State: 'pending-deprovision', StatusMessage: '' } });
      expect(ec2).toHaveReceivedCommandTimes(DescribeByoipCidrsCommand, 0);
    });

    test('reports a server error at once', async () => {
      givenAsns(byoasn('provisioned'));
      ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('InternalError', 'An internal error has occurred.', 500));

      await expectError(onEvent(byoasnDelete()),
        `Asn: could not deprovision ASN 64496 from ${IPAM_ID}: DeprovisionIpamByoasn failed with InternalError: An internal error has occurred.`);
      expect(ec2).toHaveReceivedCommandTimes(DescribeIpamByoasnCommand, 1);
    });
  });
});

describe('isComplete after delete', () => {
  const deprovisioning: OnEventResponse = { PhysicalResourceId: BYOASN_ID, Data: { Asn: ASN, IpamId: IPAM_ID, State: 'pending-deprovision', StatusMessage: '' } };

  test.each([
    ['deprovisioned', [byoasn('deprovisioned')]],
    ['absent', []],
    ['failed-provision', [byoasn('failed-provision')]],
  ])('completes once the ASN is %s', async (_, records) => {
    givenAsns(...records);

    await expect(poll(byoasnDelete(), deprovisioning)).resolves.toEqual({ IsComplete: true });
  });

  test.each(['pending-deprovision', 'pending-provision'])('keeps waiting while the ASN is %s', async (state) => {
    givenAsns(byoasn(state));

    await expect(poll(byoasnDelete(), deprovisioning)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test('keeps waiting, without deprovisioning twice, while our request is not visible yet', async () => {
    givenAsns(byoasn('provisioned'));

    await expect(poll(byoasnDelete(), deprovisioning)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test("fails with AWS's status message on failed-deprovision", async () => {
    givenAsns(byoasn('failed-deprovision', { StatusMessage: 'The ASN is associated with a CIDR.' }));

    await expectError(poll(byoasnDelete(), deprovisioning), `Asn: AWS could not deprovision ASN 64496 from ${IPAM_ID}: The ASN is associated with a CIDR.`);
  });

  test('keeps waiting, with a warning, on an unknown state', async () => {
    givenAsns(byoasn('quarantined'));

    await expect(poll(byoasnDelete(), deprovisioning)).resolves.toEqual({ IsComplete: false });
    expectNoMutation();
  });

  test('deprovisions once a provisioning that onEvent waited for has ended', async () => {
    givenAsns(byoasn('provisioned'));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });
    const waited: OnEventResponse = { PhysicalResourceId: BYOASN_ID, Data: { Asn: ASN, IpamId: IPAM_ID, State: 'pending-provision', StatusMessage: '' } };

    await expect(poll(byoasnDelete(), waited)).resolves.toEqual({ IsComplete: false });
    expect(ec2).toHaveReceivedCommandWith(DeprovisionIpamByoasnCommand, { IpamId: IPAM_ID, Asn: ASN });
  });

  test('keeps waiting when AWS refuses the deprovisioning because an earlier poll already made it', async () => {
    // This poll still reads "provisioned", but an earlier poll's DeprovisionIpamByoasn is under way.
    givenAsns(byoasn('provisioned'));
    givenCidrs();
    ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN 64496 is already pending-deprovision.'));
    const waited: OnEventResponse = { PhysicalResourceId: BYOASN_ID, Data: { Asn: ASN, IpamId: IPAM_ID, State: 'pending-provision', StatusMessage: '' } };

    await expect(poll(byoasnDelete(), waited)).resolves.toEqual({ IsComplete: false });
  });

  test('onEvent waits for its own earlier attempt when the deprovisioning was refused after retries and reads lag', async () => {
    givenAsns(byoasn('provisioned'));
    givenCidrs();
    ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'already pending-deprovision', 400, 2));

    const response = await onEvent(byoasnDelete());

    expect(response).toEqual({ PhysicalResourceId: BYOASN_ID, Data: { Asn: ASN, IpamId: IPAM_ID, State: 'pending-deprovision', StatusMessage: '' } });
  });

  test('onEvent reports a refused deprovisioning after a single attempt', async () => {
    givenAsns(byoasn('provisioned'));
    givenCidrs();
    ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'no', 400, 1));

    await expectError(onEvent(byoasnDelete()), `Asn: AWS refused to deprovision ASN 64496 from ${IPAM_ID}: IncorrectState: no`);
  });

  test('still fails, naming them, when associations block the deprovisioning that onEvent waited to make', async () => {
    givenAsns(byoasn('provisioned'));
    givenCidrs(byoipCidr([association('associated')]));
    ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN has associations.'));
    const waited: OnEventResponse = { PhysicalResourceId: BYOASN_ID, Data: { Asn: ASN, IpamId: IPAM_ID, State: 'pending-provision', StatusMessage: '' } };

    await expectError(poll(byoasnDelete(), waited), expect.stringContaining('it is still associated with 203.0.113.0/24 (associated)'));
  });

  test('completes at once when onEvent found nothing to delete', async () => {
    await expect(poll(byoasnDelete(), { PhysicalResourceId: BYOASN_ID })).resolves.toEqual({ IsComplete: true });
    expect(ec2.calls()).toHaveLength(0);
  });
});

// ===========================================================================================================
// One row per ASN state
// ===========================================================================================================

describe('every ASN state', () => {
  test.each([
    // state, what onEvent does, ProvisionIpamByoasn calls
    ['pending-provision', 'answers', 0],
    ['provisioned', 'refuses', 0],
    ['failed-provision', 'answers', 1],
    ['pending-deprovision', 'answers', 0],
    ['deprovisioned', 'answers', 1],
    ['failed-deprovision', 'refuses', 0],
  ])('create when the ASN is %s: onEvent %s, provisioning %i time(s)', async (state, outcome, provisions) => {
    givenAsns(byoasn(state));
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

    await expect(onEvent(byoasnCreate()).then(() => 'answers', () => 'refuses')).resolves.toBe(outcome);
    expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, provisions);
  });

  test.each([
    // state, what isComplete answers after our provisioning
    ['pending-provision', 'waits'],
    ['provisioned', 'completes'],
    ['failed-provision', 'fails'],
    ['pending-deprovision', 'waits'],
    ['deprovisioned', 'waits'],
    ['failed-deprovision', 'fails'],
  ])('isComplete after create when the ASN is %s: %s', async (state, outcome) => {
    givenAsns(byoasn(state));
    const response: OnEventResponse = { PhysicalResourceId: BYOASN_ID, Data: { State: 'pending-provision' } };

    await expect(poll(byoasnCreate(), response).then((r) => (r.IsComplete ? 'completes' : 'waits'), () => 'fails')).resolves.toBe(outcome);
    expectNoMutation();
  });

  test.each([
    // state, what onEvent does, DeprovisionIpamByoasn calls
    ['pending-provision', 'waits', 0],
    ['provisioned', 'waits', 1],
    ['failed-provision', 'succeeds', 0],
    ['pending-deprovision', 'waits', 0],
    ['deprovisioned', 'succeeds', 0],
    ['failed-deprovision', 'fails', 0],
  ])('delete when the ASN is %s: onEvent %s, deprovisioning %i time(s)', async (state, outcome, deprovisions) => {
    givenAsns(byoasn(state));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    await expect(onEvent(byoasnDelete()).then((r) => (r.Data ? 'waits' : 'succeeds'), () => 'fails')).resolves.toBe(outcome);
    expect(ec2).toHaveReceivedCommandTimes(DeprovisionIpamByoasnCommand, deprovisions);
  });

  test.each([
    // state, what isComplete answers after our deprovisioning
    ['pending-provision', 'waits'],
    ['provisioned', 'waits'],
    ['failed-provision', 'completes'],
    ['pending-deprovision', 'waits'],
    ['deprovisioned', 'completes'],
    ['failed-deprovision', 'fails'],
  ])('isComplete after delete when the ASN is %s: %s', async (state, outcome) => {
    givenAsns(byoasn(state));
    const response: OnEventResponse = { PhysicalResourceId: BYOASN_ID, Data: { State: 'pending-deprovision' } };

    await expect(poll(byoasnDelete(), response).then((r) => (r.IsComplete ? 'completes' : 'waits'), () => 'fails')).resolves.toBe(outcome);
    expectNoMutation();
  });
});

// ===========================================================================================================
// A failed-provision record that lingers from an earlier attempt
// ===========================================================================================================

describe('a failed-provision record that lingers from an earlier attempt', () => {
  // AWS lists failed-provision records for 7 days. After our ProvisionIpamByoasn, the eventually consistent
  // DescribeIpamByoasn may still show the old record for a while: that must not fail a deployment that succeeds.
  const OLD_MESSAGE = 'The certificate in the RIR record does not match the signature.';
  const lingering = byoasn('failed-provision', { StatusMessage: OLD_MESSAGE });
  /** When onEvent's ProvisionIpamByoasn returned. */
  const AT = Date.UTC(2025, 5, 2, 9, 30, 0);
  const pendingData = { Asn: ASN, IpamId: IPAM_ID, State: 'pending-provision', StatusMessage: '' };
  const superseding: OnEventResponse = {
    PhysicalResourceId: BYOASN_ID,
    Data: pendingData,
    Superseded: { State: 'failed-provision', StatusMessage: OLD_MESSAGE, At: AT },
  };

  /** Makes `Date.now()` (and only it) answer `AT + elapsed`; jest.restoreAllMocks() after each test undoes it. */
  function clockAt(elapsed: number): void {
    jest.spyOn(Date, 'now').mockReturnValue(AT + elapsed);
  }

  describe('onEvent', () => {
    test('returns the record it provisioned over as Superseded, a top-level field outside Data', async () => {
      clockAt(0);
      givenAsns(lingering);
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

      const response = await onEvent(byoasnCreate());

      expect(response).toEqual(superseding);
      expect(response.Data).not.toHaveProperty('Superseded');
      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
      expect(ec2).toHaveReceivedCommandWith(ProvisionIpamByoasnCommand, {
        IpamId: IPAM_ID, Asn: ASN, AsnAuthorizationContext: { Message: authorizationMessage(), Signature: SIGNATURE },
      });
    });

    test.each([
      ['absent', []],
      ['deprovisioned', [byoasn('deprovisioned', { StatusMessage: 'old record' })]],
      ['failed-provision only in another IPAM', [byoasn('failed-provision', { IpamId: OTHER_IPAM_ID, StatusMessage: OLD_MESSAGE })]],
    ])('returns no Superseded when the ASN was %s', async (_, records) => {
      clockAt(0);
      givenAsns(...records);
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

      const response = await onEvent(byoasnCreate());

      expect(response).toEqual({ PhysicalResourceId: BYOASN_ID, Data: pendingData });
      expect(response).not.toHaveProperty('Superseded');
      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
    });

    test('returns no Superseded when it provisions nothing (a provisioning in progress)', async () => {
      givenAsns(byoasn('pending-provision'));

      const response = await onEvent(byoasnCreate());

      expect(response).not.toHaveProperty('Superseded');
      expectNoMutation();
    });

    test('returns Superseded also when it takes a refused call as its own lost request', async () => {
      clockAt(0);
      givenAsnsInTurn([lingering], [byoasn('pending-provision')]);
      ec2.on(ProvisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'The ASN is already provisioned.'));

      await expect(onEvent(byoasnCreate())).resolves.toEqual(superseding);
    });

    test('keeps the signature out of Superseded when the old status message quotes it', async () => {
      clockAt(0);
      givenAsns(byoasn('failed-provision', { StatusMessage: `Signature ${SIGNATURE} does not verify.` }));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

      const response = await onEvent(byoasnCreate());

      expect(response.Superseded).toEqual({ State: 'failed-provision', StatusMessage: 'Signature *** does not verify.', At: AT });
      expect(JSON.stringify(response)).not.toContain(SIGNATURE);
    });

    test('caps the status message of Superseded', async () => {
      clockAt(0);
      givenAsns(byoasn('failed-provision', { StatusMessage: 'Ünverifiable signature. '.repeat(3000) }));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

      const response = await onEvent(byoasnCreate());

      expect(Buffer.byteLength(response.Superseded?.StatusMessage ?? '')).toBeLessThanOrEqual(MAX_AWS_TEXT_BYTES);
      expect(response.Superseded?.StatusMessage).toMatch(/^Ünverifiable signature\. .*…$/);
    });

    test('returns Superseded when a replacement provisions the new ASN over its failed record', async () => {
      clockAt(0);
      givenAsns(byoasn('provisioned'), byoasn('failed-provision', { Asn: OTHER_ASN, StatusMessage: OLD_MESSAGE }));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision', { Asn: OTHER_ASN }) });

      const response = await onEvent(byoasnUpdate({ Asn: OTHER_ASN }, {}));

      expect(response).toEqual({
        PhysicalResourceId: byoasnPhysicalId(IPAM_ID, OTHER_ASN),
        Data: { Asn: OTHER_ASN, IpamId: IPAM_ID, State: 'pending-provision', StatusMessage: '' },
        Superseded: { State: 'failed-provision', StatusMessage: OLD_MESSAGE, At: AT },
      });
    });
  });

  describe('isComplete after create', () => {
    test('keeps waiting, without failing, while it reads the old record within the window', async () => {
      clockAt(30_000);
      givenAsns(lingering);

      await expect(poll(byoasnCreate(), superseding)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'INFO',
        message: `ASN 64496 in ${IPAM_ID} is failed-provision with the status message of the record from before our ProvisionIpamByoasn call 30 s ago: it looks like that old record (the Describe calls are eventually consistent); waiting for the new one`,
      }));
    });

    test('still waits a millisecond before the window ends', async () => {
      clockAt(STALE_RECORD_WINDOW_MS - 1);
      givenAsns(lingering);

      await expect(poll(byoasnCreate(), superseding)).resolves.toEqual({ IsComplete: false });
    });

    test("fails with AWS's status message on the same record once the window has passed", async () => {
      clockAt(STALE_RECORD_WINDOW_MS);
      givenAsns(lingering);

      await expectError(poll(byoasnCreate(), superseding), `Asn: AWS could not provision ASN 64496 in ${IPAM_ID}: ${OLD_MESSAGE}`);
      expect(logs.records()).toContainEqual(expect.objectContaining({
        level: 'INFO',
        message: `ASN 64496 in ${IPAM_ID} is failed-provision with the status message of the record from before our ProvisionIpamByoasn call, but 120 s have passed: taking it as a new failure`,
      }));
    });

    test('fails at once on a failed-provision with a different status message', async () => {
      clockAt(1_000);
      givenAsns(byoasn('failed-provision', { StatusMessage: 'The ASN is not registered to the certificate in the RIR record.' }));

      await expectError(poll(byoasnCreate(), superseding),
        `Asn: AWS could not provision ASN 64496 in ${IPAM_ID}: The ASN is not registered to the certificate in the RIR record.`);
    });

    test('fails at once without Superseded (onEvent provisioned over no failed record)', async () => {
      clockAt(1_000);
      givenAsns(lingering);

      await expectError(poll(byoasnCreate(), { PhysicalResourceId: BYOASN_ID, Data: pendingData }),
        `Asn: AWS could not provision ASN 64496 in ${IPAM_ID}: ${OLD_MESSAGE}`);
    });

    test('fails at once when Superseded is not of the expected shape', async () => {
      clockAt(1_000);
      givenAsns(lingering);
      const malformed = { ...superseding, Superseded: { State: 'failed-provision', StatusMessage: OLD_MESSAGE, At: String(AT) } } as unknown as OnEventResponse;

      await expectError(poll(byoasnCreate(), malformed), `Asn: AWS could not provision ASN 64496 in ${IPAM_ID}: ${OLD_MESSAGE}`);
    });

    test('fails at once on failed-deprovision, whatever its status message', async () => {
      clockAt(1_000);
      givenAsns(byoasn('failed-deprovision', { StatusMessage: OLD_MESSAGE }));

      await expectError(poll(byoasnCreate(), superseding),
        `Asn: AWS could not deprovision ASN 64496 from ${IPAM_ID}, so it cannot be provisioned again: ${OLD_MESSAGE}`);
    });

    test('recognises the old record by its scrubbed and capped status message', async () => {
      const quoting = `Signature ${SIGNATURE} does not verify. ${'Ünverifiable. '.repeat(3000)}`;
      clockAt(0);
      givenAsns(byoasn('failed-provision', { StatusMessage: quoting }));
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });
      const event = byoasnCreate();
      const response = await onEvent(event);
      clockAt(10_000);

      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      expect(JSON.stringify(response)).not.toContain(SIGNATURE.slice(0, 40));
      const staleLines = logs.records().filter((record) => 'superseded' in record);
      expect(staleLines).toHaveLength(1);
      expect(JSON.stringify(staleLines)).not.toContain(SIGNATURE.slice(0, 40));
    });

    test('completes, with no Superseded in Data, once the stale reads give way to the new record', async () => {
      // The redeployment of the bug report: onEvent provisions over the lingering record, the first isComplete
      // read still shows it, later reads show the new record.
      givenAsnsInTurn([lingering], [lingering], [byoasn('pending-provision')], [byoasn('provisioned')]);
      ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });
      const event = byoasnCreate();
      clockAt(0);
      const response = await onEvent(event);

      clockAt(10_000);
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      clockAt(20_000);
      await expect(poll(event, response)).resolves.toEqual({ IsComplete: false });
      clockAt(30_000);
      const done = await poll(event, response);

      expect(done).toEqual({ IsComplete: true, Data: provisionedData });
      expect(done).not.toHaveProperty('Superseded');
      expect(cloudFormationSuccessBody(event, BYOASN_ID, { ...response.Data, ...done.Data })).not.toContain('Superseded');
      expect(ec2).toHaveReceivedCommandTimes(ProvisionIpamByoasnCommand, 1);
    });
  });

  describe('isComplete after a replacement', () => {
    const newId = byoasnPhysicalId(IPAM_ID, OTHER_ASN);
    const oldRecord = byoasn('failed-provision', { Asn: OTHER_ASN, StatusMessage: OLD_MESSAGE });
    const replacing: OnEventResponse = {
      PhysicalResourceId: newId,
      Data: { Asn: OTHER_ASN, IpamId: IPAM_ID, State: 'pending-provision', StatusMessage: '' },
      Superseded: { State: 'failed-provision', StatusMessage: OLD_MESSAGE, At: AT },
    };

    test('keeps waiting while it reads the old record of the new ASN within the window', async () => {
      clockAt(30_000);
      givenAsns(byoasn('provisioned'), oldRecord);

      await expect(poll(byoasnUpdate({ Asn: OTHER_ASN }, {}), replacing)).resolves.toEqual({ IsComplete: false });
      expectNoMutation();
    });

    test("fails with AWS's status message on the same record once the window has passed", async () => {
      clockAt(STALE_RECORD_WINDOW_MS + 10_000);
      givenAsns(byoasn('provisioned'), oldRecord);

      await expectError(poll(byoasnUpdate({ Asn: OTHER_ASN }, {}), replacing), `Asn: AWS could not provision ASN 64497 in ${IPAM_ID}: ${OLD_MESSAGE}`);
    });

    test('fails at once on a failed-provision with a different status message', async () => {
      clockAt(1_000);
      givenAsns(byoasn('provisioned'), byoasn('failed-provision', { Asn: OTHER_ASN, StatusMessage: 'no RIR record' }));

      await expectError(poll(byoasnUpdate({ Asn: OTHER_ASN }, {}), replacing), `Asn: AWS could not provision ASN 64497 in ${IPAM_ID}: no RIR record`);
    });

    test('fails at once without Superseded', async () => {
      clockAt(1_000);
      givenAsns(byoasn('provisioned'), oldRecord);

      await expectError(poll(byoasnUpdate({ Asn: OTHER_ASN }, {}), { PhysicalResourceId: newId, Data: replacing.Data }),
        `Asn: AWS could not provision ASN 64497 in ${IPAM_ID}: ${OLD_MESSAGE}`);
    });
  });
});

// ===========================================================================================================
// Logging
// ===========================================================================================================

describe('logging', () => {
  test('never writes the signature (nor the response URL) to the logs, on success or failure', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });
    await onEvent(byoasnCreate());
    await onEvent(byoasnUpdate({ Asn: OTHER_ASN, AuthorizationSignature: OTHER_SIGNATURE }, {})).catch(() => undefined);
    await onEvent(byoasnCreate({ AuthorizationSignature: `${SIGNATURE}+` })).catch(() => undefined);

    expect(logs.text()).not.toContain(SIGNATURE.slice(0, 40));
    expect(logs.text()).not.toContain(OTHER_SIGNATURE.slice(0, 40));
    expect(logs.text()).not.toContain('X-Amz-Signature=secret');
    expect(logs.text()).toContain('"AuthorizationSignature":"***"');
  });

  test('puts RequestId, LogicalResourceId, PhysicalResourceId and ResourceType on every line', async () => {
    givenAsns(byoasn('provisioned'));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    await onEvent(byoasnDelete());

    const records = logs.records();
    expect(records.length).toBeGreaterThan(3);
    for (const record of records) {
      expect(record).toMatchObject({
        service: 'cdk-ipam-byoasn',
        RequestId: 'a1b2c3d4-0000-4000-8000-000000000001',
        LogicalResourceId: 'Asn',
        PhysicalResourceId: BYOASN_ID,
        ResourceType: 'Custom::IpamByoasn',
      });
    }
  });

  test('writes one line per AWS call with the action, the parameters and the outcome, and one per state seen', async () => {
    givenAsns(byoasn('provisioned'));
    ec2.on(DeprovisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-deprovision') });

    await onEvent(byoasnDelete());

    const records = logs.records();
    expect(records).toContainEqual(expect.objectContaining({
      message: 'EC2 DescribeIpamByoasn succeeded', action: 'DescribeIpamByoasn', params: { MaxResults: 100 }, outcome: 'success', count: 1,
    }));
    expect(records).toContainEqual(expect.objectContaining({
      message: 'EC2 DeprovisionIpamByoasn succeeded', action: 'DeprovisionIpamByoasn', params: { IpamId: IPAM_ID, Asn: ASN }, outcome: 'success', state: 'pending-deprovision',
    }));
    expect(records).toContainEqual(expect.objectContaining({ message: `ASN 64496 is provisioned in ${IPAM_ID}`, state: 'provisioned' }));
  });

  test('logs the parameters of ProvisionIpamByoasn with the signature redacted', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

    await onEvent(byoasnCreate());

    expect(logs.records()).toContainEqual(expect.objectContaining({
      action: 'ProvisionIpamByoasn',
      params: { IpamId: IPAM_ID, Asn: ASN, AsnAuthorizationContext: { Message: authorizationMessage(), Signature: '***' } },
    }));
  });

  test('logs a failed AWS call as a warning with its code and status', async () => {
    givenAsns(byoasn('provisioned'));
    givenCidrs();
    ec2.on(DeprovisionIpamByoasnCommand).rejects(ec2Error('IncorrectState', 'nope'));

    await onEvent(byoasnDelete()).catch(() => undefined);

    expect(logs.records()).toContainEqual(expect.objectContaining({
      level: 'WARN', action: 'DeprovisionIpamByoasn', outcome: 'error', errorName: 'IncorrectState', httpStatusCode: 400,
    }));
    expect(logs.records()).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'onEvent Delete failed' }));
  });

  test('does not keep the keys of an earlier request', async () => {
    givenAsns();
    await onEvent(byoasnDelete());
    await onEvent({ ...byoasnDelete(byoasnPhysicalId(IPAM_ID, OTHER_ASN)), RequestId: 'second' });

    const last = logs.records().slice(-1)[0];
    expect(last).toMatchObject({ RequestId: 'second', PhysicalResourceId: byoasnPhysicalId(IPAM_ID, OTHER_ASN) });
  });

  test('reads no BYOIP CIDRs to provision (only to explain a refused deprovisioning)', async () => {
    givenAsns();
    ec2.on(ProvisionIpamByoasnCommand).resolves({ Byoasn: byoasn('pending-provision') });

    await onEvent(byoasnCreate());

    expect(ec2).toHaveReceivedCommandTimes(DescribeByoipCidrsCommand, 0);
  });
});
