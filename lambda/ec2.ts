/**
 * The EC2 surface of the handler: the client interface (exactly the calls the handler makes, which is also the
 * IAM surface of the provider's role and the seam the tests mock), the retry settings of the SDK client, and
 * readers that page through the two Describe calls.
 */
import {
  AdvertiseByoipCidrCommand,
  AdvertiseByoipCidrCommandInput,
  AdvertiseByoipCidrCommandOutput,
  AssociateIpamByoasnCommand,
  AssociateIpamByoasnCommandInput,
  AssociateIpamByoasnCommandOutput,
  Byoasn,
  ByoipCidr,
  DeprovisionByoipCidrCommand,
  DeprovisionByoipCidrCommandInput,
  DeprovisionByoipCidrCommandOutput,
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
  ProvisionByoipCidrCommand,
  ProvisionByoipCidrCommandInput,
  ProvisionByoipCidrCommandOutput,
  ProvisionIpamByoasnCommand,
  ProvisionIpamByoasnCommandInput,
  ProvisionIpamByoasnCommandOutput,
  WithdrawByoipCidrCommand,
  WithdrawByoipCidrCommandInput,
  WithdrawByoipCidrCommandOutput,
} from '@aws-sdk/client-ec2';
import type { Logger } from '@aws-lambda-powertools/logger';
import { redact, redactedValues, scrubSecrets } from './logger';

/**
 * The EC2 calls the handler makes, one method per API action. The provider's role needs exactly these
 * actions (each construct grants those of its own resource type): `ec2:DescribeIpamByoasn`,
 * `ec2:DescribeByoipCidrs`, `ec2:ProvisionIpamByoasn`, `ec2:DeprovisionIpamByoasn`, `ec2:AssociateIpamByoasn`,
 * `ec2:DisassociateIpamByoasn`, `ec2:ProvisionByoipCidr`, `ec2:DeprovisionByoipCidr`, `ec2:AdvertiseByoipCidr`
 * and `ec2:WithdrawByoipCidr`.
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
  /** Brings an address range to AWS (BYOIP). */
  provisionByoipCidr(input: ProvisionByoipCidrCommandInput): Promise<ProvisionByoipCidrCommandOutput>;
  /** Releases an address range from AWS. */
  deprovisionByoipCidr(input: DeprovisionByoipCidrCommandInput): Promise<DeprovisionByoipCidrCommandOutput>;
  /** Advertises a BYOIP CIDR, with Amazon's ASN or an own one as the origin. */
  advertiseByoipCidr(input: AdvertiseByoipCidrCommandInput): Promise<AdvertiseByoipCidrCommandOutput>;
  /** Stops advertising a BYOIP CIDR. */
  withdrawByoipCidr(input: WithdrawByoipCidrCommandInput): Promise<WithdrawByoipCidrCommandOutput>;
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
 * Time limits of one HTTP attempt. Without them an attempt whose connection hangs waits until the function
 * times out; with them every call has a worst case (`WORST_CASE_CALL_MS`).
 */
export const HTTP_TIMEOUTS = {
  /** To establish the connection. */
  connectionTimeout: 5_000,
  /** For the answer, once connected (the SDK calls it requestTimeout). */
  requestTimeout: 20_000,
} as const;

/** The SDK's cap on one backoff wait in standard mode. */
const MAX_BACKOFF_MS = 20_000;

/**
 * The longest one call can take: every attempt runs into both timeouts and every wait between attempts is the
 * longest backoff. A mutating call is started only when the invocation has at least this much time left, so
 * that the function never times out in the middle of it (see `Deadline`).
 */
export const WORST_CASE_CALL_MS = EC2_RETRY_SETTINGS.maxAttempts * (HTTP_TIMEOUTS.connectionTimeout + HTTP_TIMEOUTS.requestTimeout)
  + (EC2_RETRY_SETTINGS.maxAttempts - 1) * MAX_BACKOFF_MS;

/**
 * Creates the EC2 client with the retry settings above. `overrides` exists for tests (a zero-delay retry
 * strategy, a fake request handler); the handler itself passes nothing.
 */
export function createEc2Client(overrides: EC2ClientConfig = {}): EC2Client {
  const client = new EC2Client({ ...EC2_RETRY_SETTINGS, requestHandler: { ...HTTP_TIMEOUTS }, ...overrides });
  recordFailedAttempts(client.middlewareStack);
  return client;
}

// ---------------------------------------------------------------------------------------------------------
// Which attempts failed: was an earlier attempt of a refused call perhaps applied?
// ---------------------------------------------------------------------------------------------------------

/** The property the attempt recorder sets on the error of a call: the failures of its earlier attempts. */
const EARLIER_ATTEMPTS = '$earlierAttemptFailures';

/** What one failed attempt was, as far as "was it applied?" goes. */
export type AttemptFailure = 'throttled' | 'ambiguous';

/** The client-side middleware stack, as much of it as the recorder needs. */
interface MiddlewareStackLike {
  addRelativeTo(middleware: unknown, options: { name: string; relation: 'before' | 'after'; toMiddleware: string; override?: boolean }): void;
}

/**
 * Adds a middleware inside the SDK's retry loop that notes how each attempt of a call failed. When the call
 * finally fails, the error carries the list, so that the handler can tell a refusal after a throttled attempt
 * (that attempt was not applied: the refusal is real) from one after a dropped connection, a timeout or a 5xx
 * answer (that attempt may have been applied: the refusal may be about our own request).
 */
export function recordFailedAttempts(stack: MiddlewareStackLike): void {
  stack.addRelativeTo((next: (args: unknown) => Promise<unknown>, context: Record<string, unknown>) => async (args: unknown) => {
    const failures = (context[EARLIER_ATTEMPTS] ??= []) as AttemptFailure[];
    try {
      return await next(args);
    } catch (error) {
      if (error !== null && typeof error === 'object') {
        // The list so far (without this attempt): the attempts before the one that failed last.
        Object.defineProperty(error, EARLIER_ATTEMPTS, { value: [...failures], enumerable: false, configurable: true });
      }
      failures.push(isThrottling(error) ? 'throttled' : 'ambiguous');
      throw error;
    }
  }, { name: 'cdkIpamByoasnAttemptRecorder', relation: 'after', toMiddleware: 'retryMiddleware', override: true });
}

/** How the attempts before the last one of a failed call failed; empty when the last was the first. */
export function earlierAttemptFailures(error: unknown): readonly AttemptFailure[] {
  const value = (error as Record<string, unknown> | null | undefined)?.[EARLIER_ATTEMPTS];
  return Array.isArray(value) ? value as AttemptFailure[] : [];
}

/**
 * Wraps an EC2 client in the `Ec2Api` interface, logging one line per call: the action, its parameters
 * (signatures redacted) and the outcome. `abortSignal` ends every call when the invocation's time is up.
 */
export function ec2Api(client: EC2Client, logger: Logger, abortSignal?: AbortSignal): Ec2Api {
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
      (i) => client.send(new DescribeIpamByoasnCommand(i), { abortSignal }),
      (o) => ({ count: o.Byoasns?.length ?? 0, morePages: o.NextToken !== undefined })),
    describeByoipCidrs: (input) => call('DescribeByoipCidrs', input,
      (i) => client.send(new DescribeByoipCidrsCommand(i), { abortSignal }),
      (o) => ({ count: o.ByoipCidrs?.length ?? 0, morePages: o.NextToken !== undefined })),
    provisionIpamByoasn: (input) => call('ProvisionIpamByoasn', input,
      (i) => client.send(new ProvisionIpamByoasnCommand(i), { abortSignal }),
      (o) => ({ state: o.Byoasn?.State })),
    deprovisionIpamByoasn: (input) => call('DeprovisionIpamByoasn', input,
      (i) => client.send(new DeprovisionIpamByoasnCommand(i), { abortSignal }),
      (o) => ({ state: o.Byoasn?.State })),
    associateIpamByoasn: (input) => call('AssociateIpamByoasn', input,
      (i) => client.send(new AssociateIpamByoasnCommand(i), { abortSignal }),
      (o) => ({ state: o.AsnAssociation?.State })),
    disassociateIpamByoasn: (input) => call('DisassociateIpamByoasn', input,
      (i) => client.send(new DisassociateIpamByoasnCommand(i), { abortSignal }),
      (o) => ({ state: o.AsnAssociation?.State })),
    provisionByoipCidr: (input) => call('ProvisionByoipCidr', input,
      (i) => client.send(new ProvisionByoipCidrCommand(i), { abortSignal }),
      (o) => ({ state: o.ByoipCidr?.State })),
    deprovisionByoipCidr: (input) => call('DeprovisionByoipCidr', input,
      (i) => client.send(new DeprovisionByoipCidrCommand(i), { abortSignal }),
      (o) => ({ state: o.ByoipCidr?.State })),
    advertiseByoipCidr: (input) => call('AdvertiseByoipCidr', input,
      (i) => client.send(new AdvertiseByoipCidrCommand(i), { abortSignal }),
      (o) => ({ state: o.ByoipCidr?.State })),
    withdrawByoipCidr: (input) => call('WithdrawByoipCidr', input,
      (i) => client.send(new WithdrawByoipCidrCommand(i), { abortSignal }),
      (o) => ({ state: o.ByoipCidr?.State })),
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

/** Codes the SDK treats as throttling (it retries them with the longer backoff). Nothing was applied. */
const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'ThrottledException', 'EC2ThrottledException',
  'RequestThrottled', 'RequestThrottledException', 'TooManyRequestsException', 'SlowDown', 'PriorRequestNotComplete',
]);

/** Node's codes for a connection that broke or never came up. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
]);

/** Error names of an attempt that got no answer in time (the SDK's own, and an aborted call's). */
const TIMEOUT_NAMES: ReadonlySet<string> = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);

/** True when AWS said "too many requests": nothing was applied, and waiting cures it. */
export function isThrottling(error: unknown): boolean {
  return THROTTLING_CODES.has(errorName(error)) || httpStatusCode(error) === 429;
}

/**
 * True for a failure that says nothing about the request itself and may pass: throttling, a 5xx answer, a
 * timeout, a connection that broke. (The SDK has already retried it; this is what is left after its retries.)
 */
export function isTransient(error: unknown): boolean {
  if (isThrottling(error)) {
    return true;
  }
  const status = httpStatusCode(error);
  if (status !== undefined) {
    return status >= 500;
  }
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return TIMEOUT_NAMES.has(errorName(error)) || (typeof code === 'string' && NETWORK_ERROR_CODES.has(code));
}

/**
 * True when a mutating call's request may have been applied although the call failed: the last attempt, or an
 * earlier one, broke off without an answer or got a 5xx (throttled attempts were not applied).
 */
export function mayHaveBeenApplied(error: unknown): boolean {
  return (isTransient(error) && !isThrottling(error)) || earlierAttemptFailures(error).includes('ambiguous');
}

/**
 * True when AWS refused a call (a 4xx answer other than throttling): the request was understood and not
 * applied. The codes for "already provisioned", "still associated" and "still advertised" are undocumented,
 * so any such answer counts.
 */
export function isRefusal(error: unknown): boolean {
  const status = httpStatusCode(error);
  return !isThrottling(error) && status !== undefined && status >= 400 && status < 500;
}

/** Refusals that no waiting cures: missing permissions, an account not opted in, a quota. */
const PERMANENT_REFUSALS: ReadonlySet<string> = new Set([
  'UnauthorizedOperation', 'AuthFailure', 'OptInRequired', 'ResourceLimitExceeded', 'AccessDenied', 'AccessDeniedException',
]);

/** Refusals of the request's own parameters: an in-flight request of ours cannot be their cause. */
const PARAMETER_REFUSALS: ReadonlySet<string> = new Set([
  'InvalidParameterValue', 'InvalidParameter', 'MissingParameter', 'InvalidParameterCombination', 'ValidationError',
]);

/** True for a refusal that waiting cannot cure: missing permissions, a quota. */
export function isPermanentRefusal(error: unknown): boolean {
  const status = httpStatusCode(error);
  return PERMANENT_REFUSALS.has(errorName(error)) || status === 401 || status === 403;
}

/** True when AWS refused the request's parameters (not the moment it came at). */
export function isParameterRefusal(error: unknown): boolean {
  return PARAMETER_REFUSALS.has(errorName(error));
}

/** The error's code (the SDK puts EC2's `<Code>` into `name`). */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

function httpStatusCode(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}
