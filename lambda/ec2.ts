/**
 * The EC2 surface of the handler: the client interface (exactly the calls the handler makes, which is also the
 * IAM surface of the provider's role and the seam the tests mock), the retry settings of the SDK client, and
 * readers that page through the two Describe calls.
 */
import {
  AssociateIpamByoasnCommand,
  AssociateIpamByoasnCommandInput,
  AssociateIpamByoasnCommandOutput,
  Byoasn,
  ByoipCidr,
  DeprovisionIpamByoasnCommand,
  DeprovisionIpamByoasnCommandInput,
  DeprovisionIpamByoasnCommandOutput,
  DescribeByoipCidrsCommand,
  DescribeByoipCidrsCommandInput,
  DescribeByoipCidrsCommandOutput,
  DescribeIpamByoasnCommand,
  DescribeIpamByoasnCommandInput,
  DescribeIpamByoasnCommandOutput,
  DisassociateIpamByoasnCommand,
  DisassociateIpamByoasnCommandInput,
  DisassociateIpamByoasnCommandOutput,
  EC2Client,
  EC2ClientConfig,
  ProvisionIpamByoasnCommand,
  ProvisionIpamByoasnCommandInput,
  ProvisionIpamByoasnCommandOutput,
} from '@aws-sdk/client-ec2';
import type { Logger } from '@aws-lambda-powertools/logger';
import { redact, redactedValues, scrubSecrets } from './logger';

/**
 * The EC2 calls the handler makes, one method per API action. The provider's role needs exactly these
 * actions: `ec2:DescribeIpamByoasn`, `ec2:DescribeByoipCidrs`, `ec2:ProvisionIpamByoasn`,
 * `ec2:DeprovisionIpamByoasn`, `ec2:AssociateIpamByoasn` and `ec2:DisassociateIpamByoasn`.
 */
export interface Ec2Api {
  /** Lists the ASNs brought to IPAM (one page). */
  describeIpamByoasn(input: DescribeIpamByoasnCommandInput): Promise<DescribeIpamByoasnCommandOutput>;
  /** Lists the BYOIP CIDRs with their ASN associations (one page). */
  describeByoipCidrs(input: DescribeByoipCidrsCommandInput): Promise<DescribeByoipCidrsCommandOutput>;
  /** Brings an ASN to an IPAM. */
  provisionIpamByoasn(input: ProvisionIpamByoasnCommandInput): Promise<ProvisionIpamByoasnCommandOutput>;
  /** Removes an ASN from an IPAM. */
  deprovisionIpamByoasn(input: DeprovisionIpamByoasnCommandInput): Promise<DeprovisionIpamByoasnCommandOutput>;
  /** Associates an ASN with a BYOIP CIDR. */
  associateIpamByoasn(input: AssociateIpamByoasnCommandInput): Promise<AssociateIpamByoasnCommandOutput>;
  /** Removes the association of an ASN with a BYOIP CIDR. */
  disassociateIpamByoasn(input: DisassociateIpamByoasnCommandInput): Promise<DisassociateIpamByoasnCommandOutput>;
}

// ---------------------------------------------------------------------------------------------------------
// Client and retries
// ---------------------------------------------------------------------------------------------------------

/**
 * Retry settings of the EC2 client. The SDK's default of 3 attempts is too few for RequestLimitExceeded
 * (Advertise/Withdraw are limited to one call per 10 seconds per account, and one stack may run several
 * handlers at once). In standard mode the SDK retries throttling errors (RequestLimitExceeded,
 * EC2ThrottledException, Throttling, ...), transient 5xx answers and dropped connections with jittered
 * exponential backoff (1 s base for throttling, at most 20 s per wait); every other error surfaces at once.
 *
 * No `endpoint` is set on purpose: the SDK then honours `AWS_ENDPOINT_URL_EC2`, which the emulator uses.
 */
export const EC2_RETRY_SETTINGS = {
  /** Attempts per call, the first one included. */
  maxAttempts: 10,
  /** The SDK's standard retry strategy (token bucket, jittered exponential backoff). */
  retryMode: 'standard',
} as const;

/**
 * Creates the EC2 client with the retry settings above. `overrides` exists for tests (a zero-delay retry
 * strategy, a fake request handler); the handler itself passes nothing.
 */
export function createEc2Client(overrides: EC2ClientConfig = {}): EC2Client {
  return new EC2Client({ ...EC2_RETRY_SETTINGS, ...overrides });
}

/**
 * Wraps an EC2 client in the `Ec2Api` interface, logging one line per call: the action, its parameters
 * (signatures redacted) and the outcome.
 */
export function ec2Api(client: EC2Client, logger: Logger): Ec2Api {
  async function call<I extends object, O>(
    action: string,
    input: I,
    send: (input: I) => Promise<O>,
    summarize: (output: O) => Record<string, unknown>,
  ): Promise<O> {
    const params = redact(input);
    try {
      const output = await send(input);
      logger.info(`EC2 ${action} succeeded`, { action, params, outcome: 'success', ...summarize(output) });
      return output;
    } catch (error) {
      // A warning, not an error: the caller may well expect it (an idempotent retry, a refusal to explain).
      logger.warn(`EC2 ${action} failed`, {
        action,
        params,
        outcome: 'error',
        errorName: errorName(error),
        httpStatusCode: httpStatusCode(error),
        errorMessage: scrubSecrets(error instanceof Error ? error.message : String(error), redactedValues(input)),
      });
      throw error;
    }
  }
  return {
    describeIpamByoasn: (input) => call('DescribeIpamByoasn', input,
      (i) => client.send(new DescribeIpamByoasnCommand(i)),
      (o) => ({ count: o.Byoasns?.length ?? 0, morePages: o.NextToken !== undefined })),
    describeByoipCidrs: (input) => call('DescribeByoipCidrs', input,
      (i) => client.send(new DescribeByoipCidrsCommand(i)),
      (o) => ({ count: o.ByoipCidrs?.length ?? 0, morePages: o.NextToken !== undefined })),
    provisionIpamByoasn: (input) => call('ProvisionIpamByoasn', input,
      (i) => client.send(new ProvisionIpamByoasnCommand(i)),
      (o) => ({ state: o.Byoasn?.State })),
    deprovisionIpamByoasn: (input) => call('DeprovisionIpamByoasn', input,
      (i) => client.send(new DeprovisionIpamByoasnCommand(i)),
      (o) => ({ state: o.Byoasn?.State })),
    associateIpamByoasn: (input) => call('AssociateIpamByoasn', input,
      (i) => client.send(new AssociateIpamByoasnCommand(i)),
      (o) => ({ state: o.AsnAssociation?.State })),
    disassociateIpamByoasn: (input) => call('DisassociateIpamByoasn', input,
      (i) => client.send(new DisassociateIpamByoasnCommand(i)),
      (o) => ({ state: o.AsnAssociation?.State })),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Paging readers
// ---------------------------------------------------------------------------------------------------------

/** Page size of both Describe calls (the API's maximum; DescribeByoipCidrs requires one). */
export const PAGE_SIZE = 100;

/**
 * Most pages read before giving up. Far above any real listing (5 ASNs per IPAM, 5 BYOIP CIDRs per Region by
 * default); it only stops a loop when an API (or an emulator) keeps returning a NextToken.
 */
export const MAX_PAGES = 50;

/** Every ASN record of the account and Region, across all pages. Neither call has an SDK paginator. */
export async function listIpamByoasns(ec2: Ec2Api): Promise<Byoasn[]> {
  return readAllPages('DescribeIpamByoasn', async (NextToken) => {
    const page = await ec2.describeIpamByoasn({ MaxResults: PAGE_SIZE, NextToken });
    return { items: page.Byoasns ?? [], nextToken: page.NextToken };
  });
}

/** Every BYOIP CIDR of the account and Region with its ASN associations, across all pages. */
export async function listByoipCidrs(ec2: Ec2Api): Promise<ByoipCidr[]> {
  return readAllPages('DescribeByoipCidrs', async (NextToken) => {
    const page = await ec2.describeByoipCidrs({ MaxResults: PAGE_SIZE, NextToken });
    return { items: page.ByoipCidrs ?? [], nextToken: page.NextToken };
  });
}

async function readAllPages<T>(
  action: string,
  readPage: (nextToken: string | undefined) => Promise<{ items: T[]; nextToken?: string }>,
): Promise<T[]> {
  const items: T[] = [];
  const seenTokens = new Set<string>();
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await readPage(nextToken);
    items.push(...result.items);
    // An empty token means "no more pages" as much as a missing one does.
    if (!result.nextToken) {
      return items;
    }
    if (seenTokens.has(result.nextToken)) {
      throw new Error(`${action} returned the same NextToken twice; stopped paging to avoid an endless loop.`);
    }
    seenTokens.add(result.nextToken);
    nextToken = result.nextToken;
  }
  throw new Error(`${action} still returned a NextToken after ${MAX_PAGES} pages; stopped paging.`);
}

// ---------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------

/** The error codes AWS documents for a request that conflicts with the current state or is malformed. */
const REFUSAL_CODES: ReadonlySet<string> = new Set(['IncorrectState', 'InvalidParameterValue', 'InvalidParameter']);

/**
 * True when AWS refused a call for a reason that the current state may explain. The codes for "already
 * provisioned", "still associated" and "still advertised" are undocumented, so any 4xx answer counts; the
 * caller re-reads the state to find out what is going on.
 */
export function isRefusal(error: unknown): boolean {
  const status = httpStatusCode(error);
  return REFUSAL_CODES.has(errorName(error)) || (status !== undefined && status >= 400 && status < 500);
}

/** Refusals that no waiting cures: missing permissions and quotas. Nothing was applied. */
const PERMANENT_REFUSALS: ReadonlySet<string> = new Set(['UnauthorizedOperation', 'AuthFailure', 'OptInRequired', 'ResourceLimitExceeded']);

/** True for a refusal that waiting cannot cure: missing permissions, a quota. */
export function isPermanentRefusal(error: unknown): boolean {
  const status = httpStatusCode(error);
  return PERMANENT_REFUSALS.has(errorName(error)) || status === 401 || status === 403;
}

/**
 * True when a mutating call was refused only after the SDK had retried it: an earlier attempt may have been
 * applied with its answer lost (a dropped connection, a timeout), and the refusal ("already in progress")
 * may be about our own request. Reads right after it are eventually consistent and may not show it yet.
 */
export function mayBeOurOwnEarlierAttempt(error: unknown): boolean {
  const attempts = (error as { $metadata?: { attempts?: unknown } } | undefined)?.$metadata?.attempts;
  return isRefusal(error) && !isPermanentRefusal(error) && typeof attempts === 'number' && attempts > 1;
}

/** The error's code (the SDK puts EC2's `<Code>` into `name`). */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

function httpStatusCode(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}
