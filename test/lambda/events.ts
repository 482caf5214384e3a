/**
 * Shared builders for the handler tests: CloudFormation events as the Provider framework delivers them, EC2
 * records as the Describe calls list them, and a capture of the JSON log lines.
 */
import { AsnAssociation, Byoasn, ByoipCidr, DescribeByoipCidrsCommand, DescribeIpamByoasnCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ALLOW_DOCUMENTATION_VALUES_ENV,
  ASSOCIATION_RESOURCE_TYPE,
  AssociationResourceProperties,
  BYOASN_RESOURCE_TYPE,
  ByoasnResourceProperties,
  associationPhysicalId,
  byoasnPhysicalId,
} from '../../lib/private/contract';
import type { CustomResourceEvent, IsCompleteEvent, OnEventResponse } from '../../lambda/common';
import type { AttemptFailure } from '../../lambda/ec2';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const SERVICE_TOKEN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:stack-ProviderframeworkonEvent-abc`;
export const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/test-stack/5f6e2a40-0000-11ef-8000-0a1b2c3d4e5f`;

export const IPAM_ID = 'ipam-0123456789abcdef0';
export const OTHER_IPAM_ID = 'ipam-0fedcba9876543210';
/** A documentation ASN (RFC 5398): accepted only with CDK_IPAM_BYOASN_ALLOW_DOCUMENTATION_VALUES=true. */
export const ASN = '64496';
export const OTHER_ASN = '64497';
/** A public ASN outside the documentation ranges. */
export const PUBLIC_ASN = '394000';
export const CIDR = '203.0.113.0/24';
export const OTHER_CIDR = '2001:db8:1000::/48';

/** A signature of the right form (344 characters, as from a 2048-bit key) that is easy to find in logs. */
export const SIGNATURE = `SIGNATURE${'x'.repeat(331)}end_`;
export const OTHER_SIGNATURE = `OTHERSIGN${'y'.repeat(331)}end_`;

/** The authorization message for an ASN, valid until 2099. */
export function authorizationMessage(asn = ASN, account = ACCOUNT, expiry = '20991231'): string {
  return `1|aws|${account}|${asn}|${expiry}|SHA256|RSAPSS`;
}

export const BYOASN_ID = byoasnPhysicalId(IPAM_ID, ASN);
export const ASSOCIATION_ID = associationPhysicalId(ASN, CIDR);

/** The Provider framework's physical id after a create whose onEvent threw. */
export const CREATE_FAILED_MARKER = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';

// ---------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------

/** Properties of a Custom::IpamByoasn, as strings. */
export function byoasnProps(overrides: Partial<ByoasnResourceProperties> = {}): ByoasnResourceProperties {
  const asn = overrides.Asn ?? ASN;
  return {
    IpamId: IPAM_ID,
    Asn: asn,
    AuthorizationMessage: authorizationMessage(asn),
    AuthorizationSignature: SIGNATURE,
    AdoptExisting: 'false',
    ...overrides,
  };
}

/** Properties of a Custom::ByoasnCidrAssociation, as strings. */
export function associationProps(overrides: Partial<AssociationResourceProperties> = {}): AssociationResourceProperties {
  return { Asn: ASN, Cidr: CIDR, AdoptExisting: 'false', ...overrides };
}

// ---------------------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------------------

type Props = object;

function baseEvent<P extends Props>(resourceType: string, props: P) {
  return {
    ResourceType: resourceType,
    LogicalResourceId: resourceType === BYOASN_RESOURCE_TYPE ? 'Asn' : 'Prefix',
    RequestId: 'a1b2c3d4-0000-4000-8000-000000000001',
    StackId: STACK_ID,
    ServiceToken: SERVICE_TOKEN,
    ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/presigned?X-Amz-Signature=secret',
    ResourceProperties: { ServiceToken: SERVICE_TOKEN, ...props } as P,
  };
}

/** A Create request. */
export function createEvent<P extends Props>(resourceType: string, props: P): CustomResourceEvent<P> {
  return { RequestType: 'Create', ...baseEvent(resourceType, props) };
}

/** An Update request. */
export function updateEvent<P extends Props>(resourceType: string, physicalId: string, props: P, oldProps: P): CustomResourceEvent<P> {
  return {
    RequestType: 'Update',
    ...baseEvent(resourceType, props),
    PhysicalResourceId: physicalId,
    OldResourceProperties: { ServiceToken: SERVICE_TOKEN, ...oldProps } as P,
  };
}

/** A Delete request. */
export function deleteEvent<P extends Props>(resourceType: string, physicalId: string, props: P): CustomResourceEvent<P> {
  return { RequestType: 'Delete', ...baseEvent(resourceType, props), PhysicalResourceId: physicalId };
}

/** What the Provider framework passes to isComplete: the request merged with onEvent's response. */
export function isCompleteEvent<P extends Props>(event: CustomResourceEvent<P>, response: OnEventResponse): IsCompleteEvent<P> {
  return { ...event, ...response };
}

export const byoasnCreate = (overrides: Partial<ByoasnResourceProperties> = {}) =>
  createEvent(BYOASN_RESOURCE_TYPE, byoasnProps(overrides));
export const byoasnUpdate = (props: Partial<ByoasnResourceProperties>, oldProps: Partial<ByoasnResourceProperties> = {}, physicalId = BYOASN_ID) =>
  updateEvent(BYOASN_RESOURCE_TYPE, physicalId, byoasnProps(props), byoasnProps(oldProps));
export const byoasnDelete = (physicalId = BYOASN_ID, overrides: Partial<ByoasnResourceProperties> = {}) =>
  deleteEvent(BYOASN_RESOURCE_TYPE, physicalId, byoasnProps(overrides));

export const associationCreate = (overrides: Partial<AssociationResourceProperties> = {}) =>
  createEvent(ASSOCIATION_RESOURCE_TYPE, associationProps(overrides));
export const associationUpdate = (props: Partial<AssociationResourceProperties>, oldProps: Partial<AssociationResourceProperties> = {}, physicalId = ASSOCIATION_ID) =>
  updateEvent(ASSOCIATION_RESOURCE_TYPE, physicalId, associationProps(props), associationProps(oldProps));
export const associationDelete = (physicalId = ASSOCIATION_ID, overrides: Partial<AssociationResourceProperties> = {}) =>
  deleteEvent(ASSOCIATION_RESOURCE_TYPE, physicalId, associationProps(overrides));

/**
 * The body the Provider framework PUTs to CloudFormation on success (see its cfn-response.js): the response
 * whose size CloudFormation limits to 4096 bytes.
 */
export function cloudFormationSuccessBody(event: CustomResourceEvent<Props>, physicalId: string, data: unknown): string {
  return JSON.stringify({
    Status: 'SUCCESS',
    Reason: 'SUCCESS',
    StackId: event.StackId,
    RequestId: event.RequestId,
    PhysicalResourceId: physicalId,
    LogicalResourceId: event.LogicalResourceId,
    Data: data,
  });
}

/** The body the Provider framework PUTs on failure: the reason is the error's stack (message included). */
export function cloudFormationFailureBody(event: CustomResourceEvent<Props>, physicalId: string, error: Error): string {
  // The framework rebuilds the error as [message, "", "Logs: ...", ""] plus the user function's trace lines.
  const trace = (error.stack ?? '').split('\n').slice(1);
  const reason = [error.message, '', 'Logs: /aws/lambda/stack-ProviderframeworkonEvent-abc', '', ...trace].join('\n');
  return JSON.stringify({
    Status: 'FAILED',
    Reason: reason,
    StackId: event.StackId,
    RequestId: event.RequestId,
    PhysicalResourceId: physicalId,
    LogicalResourceId: event.LogicalResourceId,
  });
}

// ---------------------------------------------------------------------------------------------------------
// EC2 records
// ---------------------------------------------------------------------------------------------------------

/** An ASN record as DescribeIpamByoasn lists it. */
export function byoasn(state: string, overrides: Partial<Byoasn> = {}): Byoasn {
  return { Asn: ASN, IpamId: IPAM_ID, State: state as Byoasn['State'], ...overrides };
}

/** An association as DescribeByoipCidrs lists it inside a ByoipCidr. */
export function association(state: string, overrides: Partial<AsnAssociation> = {}): AsnAssociation {
  return { Asn: ASN, Cidr: CIDR, State: state as AsnAssociation['State'], ...overrides };
}

/** A BYOIP CIDR as DescribeByoipCidrs lists it. */
export function byoipCidr(associations: AsnAssociation[] = [], overrides: Partial<ByoipCidr> = {}): ByoipCidr {
  return { Cidr: CIDR, State: 'provisioned', AsnAssociations: associations, ...overrides };
}

/**
 * An EC2 error as the SDK throws it: `name` is EC2's error code. `earlier` lists how the attempts before the
 * last one failed, as the client's attempt recorder notes them (see `recordFailedAttempts`).
 */
export function ec2Error(code: string, message: string, httpStatusCode = 400, attempts = 1, earlier: AttemptFailure[] = []): Error {
  const error = Object.assign(new Error(message), { name: code, $fault: 'client', $metadata: { httpStatusCode, attempts } });
  Object.defineProperty(error, '$earlierAttemptFailures', { value: earlier, enumerable: false });
  return error;
}

/** A connection that broke without an answer (no HTTP status), as Node reports it. */
export function networkError(code = 'ECONNRESET'): Error {
  return Object.assign(new Error(`socket hang up (${code})`), { name: 'Error', code, $metadata: { attempts: 10 } });
}

// ---------------------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------------------

/** What `captureLogs` collects. */
export interface CapturedLogs {
  /** Every line written to stdout or stderr. */
  readonly text: () => string;
  /** The lines parsed as JSON. */
  readonly records: () => Array<Record<string, unknown>>;
}

/**
 * Captures (and silences) everything written to stdout and stderr, where Powertools Logger writes its JSON
 * lines. Call in beforeEach; jest's restoreMocks or `jest.restoreAllMocks()` undoes it.
 */
export function captureLogs(): CapturedLogs {
  const chunks: string[] = [];
  const capture = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  const text = () => chunks.join('');
  return {
    text,
    records: () => text().split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/**
 * The mocked EC2 client of a handler test file, with the environment every handler test wants: before each
 * test the mock is reset, the log lines captured, and documentation values allowed (the fixtures use them, as
 * the emulator tests do); after each test all of that is undone. Returns the stubs and the current capture.
 */
export function mockedEc2() {
  const ec2 = mockClient(EC2Client);
  const cfn = mockClient(CloudFormationClient);
  let current: CapturedLogs | undefined;
  /** The stack's status as DescribeStacks reports it. */
  const givenStackStatus = (status: string) => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackId: STACK_ID, StackName: 'test-stack', StackStatus: status as never, CreationTime: new Date(0) }] });
  };
  beforeEach(() => {
    ec2.reset();
    cfn.reset();
    // Not a rollback unless a test says so.
    givenStackStatus('UPDATE_IN_PROGRESS');
    current = captureLogs();
    process.env[ALLOW_DOCUMENTATION_VALUES_ENV] = 'true';
  });
  afterEach(() => {
    jest.restoreAllMocks();
    delete process.env[ALLOW_DOCUMENTATION_VALUES_ENV];
  });
  /** Each read (a full listing) sees the next of `listings`; the last one repeats. */
  const inTurn = <T>(listings: T[][]) => {
    let read = 0;
    return () => listings[Math.min(read++, listings.length - 1)];
  };
  const logs: CapturedLogs = { text: () => current!.text(), records: () => current!.records() };
  return {
    ec2,
    cfn,
    logs,
    givenStackStatus,
    /** DescribeIpamByoasn lists these records (one page). */
    givenAsns(...records: Byoasn[]): void {
      ec2.on(DescribeIpamByoasnCommand).resolves({ Byoasns: records });
    },
    /** Each DescribeIpamByoasn read sees the next of these listings; the last one repeats. */
    givenAsnsInTurn(...listings: Byoasn[][]): void {
      const next = inTurn(listings);
      ec2.on(DescribeIpamByoasnCommand).callsFake(() => ({ Byoasns: next() }));
    },
    /** DescribeByoipCidrs lists these CIDRs (one page). */
    givenCidrs(...cidrs: ByoipCidr[]): void {
      ec2.on(DescribeByoipCidrsCommand).resolves({ ByoipCidrs: cidrs });
    },
    /** Each DescribeByoipCidrs read sees the next of these listings; the last one repeats. */
    givenCidrsInTurn(...listings: ByoipCidr[][]): void {
      const next = inTurn(listings);
      ec2.on(DescribeByoipCidrsCommand).callsFake(() => ({ ByoipCidrs: next() }));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// BYOIP CIDRs and their advertisements (issue 9)
// ---------------------------------------------------------------------------------------------------------

// Imports are hoisted: these sit here so that this section stays one block at the end of the file.
import {
  ADVERTISEMENT_RESOURCE_TYPE,
  AMAZON_ASN,
  AdvertisementResourceProperties,
  BYOIP_CIDR_RESOURCE_TYPE,
  ByoipCidrResourceProperties,
  advertisementPhysicalId,
  byoipCidrPhysicalId,
} from '../../lib/private/contract';

export const BYOIP_CIDR_ID = byoipCidrPhysicalId(CIDR);
export const ADVERTISEMENT_ID = advertisementPhysicalId(CIDR, ASN);
export const AMAZON_ADVERTISEMENT_ID = advertisementPhysicalId(CIDR, AMAZON_ASN);
/** An address pool id as AWS puts it in the StatusMessage of a provisioned range. */
export const POOL_ID = 'ipv4pool-ec2-0123456789abcdef0';

/** The authorization message for a CIDR, valid until 2099. */
export function cidrAuthorizationMessage(cidr = CIDR, account = ACCOUNT, expiry = '20991231'): string {
  return `1|aws|${account}|${cidr}|${expiry}|SHA256|RSAPSS`;
}

/** Properties of a Custom::ByoipCidr, as strings. */
export function byoipCidrProps(overrides: Partial<ByoipCidrResourceProperties> = {}): ByoipCidrResourceProperties {
  const cidr = overrides.Cidr ?? CIDR;
  return {
    Cidr: cidr,
    AuthorizationMessage: cidrAuthorizationMessage(cidr),
    AuthorizationSignature: SIGNATURE,
    Description: '',
    PubliclyAdvertisable: 'true',
    NetworkBorderGroup: '',
    WaitForProvisioning: 'true',
    AdoptExisting: 'false',
    ...overrides,
  };
}

/** Properties of a Custom::ByoipCidrAdvertisement, as strings. */
export function advertisementProps(overrides: Partial<AdvertisementResourceProperties> = {}): AdvertisementResourceProperties {
  return { Cidr: CIDR, Asn: ASN, NetworkBorderGroup: '', AdoptExisting: 'false', ...overrides };
}

/** The logical ids of the two resource types in these events (every message starts with one). */
export const RANGE_LOGICAL_ID = 'Range';
export const ADVERT_LOGICAL_ID = 'Advert';

function named<E extends CustomResourceEvent<Props>>(event: E, logicalId: string): E {
  return { ...event, LogicalResourceId: logicalId };
}

export const byoipCidrCreate = (overrides: Partial<ByoipCidrResourceProperties> = {}) =>
  named(createEvent(BYOIP_CIDR_RESOURCE_TYPE, byoipCidrProps(overrides)), RANGE_LOGICAL_ID);
export const byoipCidrUpdate = (props: Partial<ByoipCidrResourceProperties>, oldProps: Partial<ByoipCidrResourceProperties> = {}, physicalId = BYOIP_CIDR_ID) =>
  named(updateEvent(BYOIP_CIDR_RESOURCE_TYPE, physicalId, byoipCidrProps(props), byoipCidrProps(oldProps)), RANGE_LOGICAL_ID);
export const byoipCidrDelete = (physicalId = BYOIP_CIDR_ID, overrides: Partial<ByoipCidrResourceProperties> = {}) =>
  named(deleteEvent(BYOIP_CIDR_RESOURCE_TYPE, physicalId, byoipCidrProps(overrides)), RANGE_LOGICAL_ID);

export const advertisementCreate = (overrides: Partial<AdvertisementResourceProperties> = {}) =>
  named(createEvent(ADVERTISEMENT_RESOURCE_TYPE, advertisementProps(overrides)), ADVERT_LOGICAL_ID);
export const advertisementUpdate = (props: Partial<AdvertisementResourceProperties>, oldProps: Partial<AdvertisementResourceProperties> = {}, physicalId = ADVERTISEMENT_ID) =>
  named(updateEvent(ADVERTISEMENT_RESOURCE_TYPE, physicalId, advertisementProps(props), advertisementProps(oldProps)), ADVERT_LOGICAL_ID);
export const advertisementDelete = (physicalId = ADVERTISEMENT_ID, overrides: Partial<AdvertisementResourceProperties> = {}) =>
  named(deleteEvent(ADVERTISEMENT_RESOURCE_TYPE, physicalId, advertisementProps(overrides)), ADVERT_LOGICAL_ID);
