import { Readable } from 'node:stream';
import { DescribeIpamByoasnCommand, EC2Client, EC2ClientConfig } from '@aws-sdk/client-ec2';
import { Logger } from '@aws-lambda-powertools/logger';
import { ConfiguredRetryStrategy, StandardRetryStrategy } from '@smithy/core/retry';
import {
  EC2_RETRY_SETTINGS,
  Ec2Api,
  HTTP_TIMEOUTS,
  MAX_PAGES,
  PAGE_SIZE,
  WORST_CASE_CALL_MS,
  createEc2Client,
  earlierAttemptFailures,
  ec2Api,
  isParameterRefusal,
  isPermanentRefusal,
  isRefusal,
  isThrottling,
  isTransient,
  listByoipCidrs,
  listIpamByoasns,
  mayHaveBeenApplied,
} from '../../lambda/ec2';
import { ASN, IPAM_ID, SIGNATURE, captureLogs, ec2Error } from './events';

// No mockClient here: these tests run the real SDK (its retry middleware, its XML parsing) against a fake
// HTTP handler, so that they show what the SDK really retries.

interface FakeRequest {
  readonly hostname: string;
  readonly port?: number;
  readonly protocol: string;
  readonly body: string;
}

type FakeAnswer = { status: number; xml: string } | Error;

/** A request handler that answers each request with the next answer (the last one repeats). */
function fakeHttp(...answers: FakeAnswer[]) {
  const requests: FakeRequest[] = [];
  const handler = {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(request: FakeRequest) {
      requests.push({ hostname: request.hostname, port: request.port, protocol: request.protocol, body: String(request.body) });
      const answer = answers[Math.min(requests.length - 1, answers.length - 1)];
      if (answer instanceof Error) {
        throw answer;
      }
      return {
        response: {
          statusCode: answer.status,
          reason: '',
          headers: { 'content-type': 'text/xml;charset=UTF-8' },
          body: Readable.from([Buffer.from(answer.xml)]),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  return { handler: handler as unknown as EC2ClientConfig['requestHandler'], requests };
}

const listing = (state: string) => ({
  status: 200,
  xml: `<DescribeIpamByoasnResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId><byoasnSet><item><asn>${ASN}</asn><ipamId>${IPAM_ID}</ipamId><state>${state}</state></item></byoasnSet></DescribeIpamByoasnResponse>`,
});

const ec2ErrorAnswer = (status: number, code: string, message: string) => ({
  status,
  xml: `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>r-2</RequestID></Response>`,
});

const throttled = ec2ErrorAnswer(503, 'RequestLimitExceeded', 'Request limit exceeded.');

/** A client as the handler builds it, but with a retry strategy that does not sleep between attempts. */
function testClient(requestHandler: EC2ClientConfig['requestHandler']): EC2Client {
  return createEc2Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' },
    requestHandler,
    // The SDK's own standard strategy, with a zero backoff so that the tests do not wait.
    retryStrategy: new ConfiguredRetryStrategy(EC2_RETRY_SETTINGS.maxAttempts, () => 0),
  });
}

// ---------------------------------------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------------------------------------

describe('retry settings', () => {
  test('are 10 attempts in standard mode, kept in one exported place', () => {
    expect(EC2_RETRY_SETTINGS).toEqual({ maxAttempts: 10, retryMode: 'standard' });
  });

  test('bound every attempt in time, so that one call has a worst case', () => {
    expect(HTTP_TIMEOUTS).toEqual({ connectionTimeout: 5_000, requestTimeout: 20_000 });
    // 10 attempts of 25 s and 9 backoffs of at most 20 s.
    expect(WORST_CASE_CALL_MS).toBe(430_000);
  });

  test("give the handler's client the standard strategy with 10 attempts", async () => {
    const client = createEc2Client({ region: 'us-east-1' });

    await expect(client.config.maxAttempts()).resolves.toBe(10);
    const strategy = await client.config.retryStrategy();
    expect(strategy).toBeInstanceOf(StandardRetryStrategy);
    expect((strategy as StandardRetryStrategy).mode).toBe('standard');
    await expect((strategy as StandardRetryStrategy).maxAttempts()).resolves.toBe(10);
  });
});

describe('the SDK client', () => {
  test('retries RequestLimitExceeded, then succeeds', async () => {
    const http = fakeHttp(throttled, listing('provisioned'));

    const output = await testClient(http.handler).send(new DescribeIpamByoasnCommand({ MaxResults: PAGE_SIZE }));

    expect(output.Byoasns).toEqual([{ Asn: ASN, IpamId: IPAM_ID, State: 'provisioned' }]);
    expect(http.requests).toHaveLength(2);
    expect(output.$metadata.attempts).toBe(2);
  });

  test.each([
    ['EC2ThrottledException', 400],
    ['Throttling', 400],
    ['InternalError', 500],
    ['ServiceUnavailable', 503],
  ])('retries %s (HTTP %i)', async (code, status) => {
    const http = fakeHttp(ec2ErrorAnswer(status, code, 'try again'), listing('provisioned'));

    await testClient(http.handler).send(new DescribeIpamByoasnCommand({}));

    expect(http.requests).toHaveLength(2);
  });

  test('retries a dropped connection', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const http = fakeHttp(reset, listing('provisioned'));

    await testClient(http.handler).send(new DescribeIpamByoasnCommand({}));

    expect(http.requests).toHaveLength(2);
  });

  test.each([
    ['UnauthorizedOperation', 403],
    ['IncorrectState', 400],
    ['InvalidParameterValue', 400],
  ])('surfaces %s at once, without retrying', async (code, status) => {
    const http = fakeHttp(ec2ErrorAnswer(status, code, 'no'), listing('provisioned'));

    await expect(testClient(http.handler).send(new DescribeIpamByoasnCommand({}))).rejects.toMatchObject({ name: code, message: 'no' });
    expect(http.requests).toHaveLength(1);
  });

  test('gives up after 10 attempts of throttling', async () => {
    const http = fakeHttp(throttled);

    await expect(testClient(http.handler).send(new DescribeIpamByoasnCommand({}))).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
    expect(http.requests).toHaveLength(10);
  });

  test('honours AWS_ENDPOINT_URL_EC2 (the emulator)', async () => {
    const http = fakeHttp(listing('provisioned'));
    process.env.AWS_ENDPOINT_URL_EC2 = 'http://127.0.0.1:4566';
    try {
      await testClient(http.handler).send(new DescribeIpamByoasnCommand({}));
    } finally {
      delete process.env.AWS_ENDPOINT_URL_EC2;
    }

    expect(http.requests[0]).toMatchObject({ hostname: '127.0.0.1', port: 4566, protocol: 'http:' });
    expect(http.requests[0].body).toContain('Action=DescribeIpamByoasn');
  });
});

// ---------------------------------------------------------------------------------------------------------
// The Ec2Api wrapper
// ---------------------------------------------------------------------------------------------------------

describe('ec2Api', () => {
  afterEach(() => jest.restoreAllMocks());

  test('retries throttling through the wrapper the handler uses', async () => {
    const logs = captureLogs();
    const http = fakeHttp(throttled, throttled, listing('pending-provision'));

    const records = await listIpamByoasns(ec2Api(testClient(http.handler), new Logger()));

    expect(records).toEqual([{ Asn: ASN, IpamId: IPAM_ID, State: 'pending-provision' }]);
    expect(http.requests).toHaveLength(3);
    // One line per call, not per attempt.
    expect(logs.records().filter((r) => r.action === 'DescribeIpamByoasn')).toHaveLength(1);
  });

  test('keeps a signature that AWS quotes back out of the failure line', async () => {
    const logs = captureLogs();
    const http = fakeHttp(ec2ErrorAnswer(400, 'InvalidParameterValue', `bad signature ${SIGNATURE}`));
    const api = ec2Api(testClient(http.handler), new Logger());

    await expect(api.provisionIpamByoasn({ IpamId: IPAM_ID, Asn: ASN, AsnAuthorizationContext: { Message: 'm', Signature: SIGNATURE } })).rejects.toThrow();

    expect(logs.text()).not.toContain(SIGNATURE);
    expect(logs.records()).toContainEqual(expect.objectContaining({ errorMessage: 'bad signature ***' }));
  });
});

// ---------------------------------------------------------------------------------------------------------
// Paging readers
// ---------------------------------------------------------------------------------------------------------

/** A fake Ec2Api (the interface is the handler's test seam) whose Describe calls page by token. */
function pagedApi(tokens: Array<string | undefined>): { api: Ec2Api; received: Array<string | undefined>; maxResults: Array<number | undefined> } {
  const received: Array<string | undefined> = [];
  const maxResults: Array<number | undefined> = [];
  const page = (input: { NextToken?: string; MaxResults?: number }) => {
    received.push(input.NextToken);
    maxResults.push(input.MaxResults);
    return { index: received.length - 1, next: tokens[received.length - 1] };
  };
  const api = {
    describeIpamByoasn: async (input: { NextToken?: string; MaxResults?: number }) => {
      const { index, next } = page(input);
      return { Byoasns: [{ Asn: String(index) }], NextToken: next, $metadata: {} };
    },
    describeByoipCidrs: async (input: { NextToken?: string; MaxResults?: number }) => {
      const { index, next } = page(input);
      return { ByoipCidrs: [{ Cidr: `${index}` }], NextToken: next, $metadata: {} };
    },
  } as unknown as Ec2Api;
  return { api, received, maxResults };
}

describe('paging', () => {
  test('listIpamByoasns follows every NextToken', async () => {
    const { api, received } = pagedApi(['a', 'b', undefined]);

    await expect(listIpamByoasns(api)).resolves.toEqual([{ Asn: '0' }, { Asn: '1' }, { Asn: '2' }]);
    expect(received).toEqual([undefined, 'a', 'b']);
  });

  test('listByoipCidrs follows every NextToken and always sends MaxResults 100', async () => {
    const { api, received, maxResults } = pagedApi(['a', 'b', '']);

    await expect(listByoipCidrs(api)).resolves.toEqual([{ Cidr: '0' }, { Cidr: '1' }, { Cidr: '2' }]);
    expect(received).toEqual([undefined, 'a', 'b']);
    expect(maxResults).toEqual([100, 100, 100]);
  });

  test('stops when a NextToken comes back twice', async () => {
    const { api } = pagedApi(['a', 'b', 'a']);

    await expect(listIpamByoasns(api)).rejects.toThrow('DescribeIpamByoasn returned the same NextToken twice; stopped paging to avoid an endless loop.');
  });

  test(`stops after ${MAX_PAGES} pages`, async () => {
    const { api, received } = pagedApi(Array.from({ length: 200 }, (_, i) => `t${i}`));

    await expect(listByoipCidrs(api)).rejects.toThrow(`DescribeByoipCidrs still returned a NextToken after ${MAX_PAGES} pages; stopped paging.`);
    expect(received).toHaveLength(MAX_PAGES);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------------------------

describe('isRefusal', () => {
  test.each([
    ['IncorrectState', 400, true],
    ['InvalidParameterValue', 400, true],
    ['InvalidParameter', 400, true],
    ['InvalidAsn.InUse', 400, true],
    ['UnauthorizedOperation', 403, true],
    ['Throttling', 400, false],
    ['RequestLimitExceeded', 503, false],
    ['TooManyRequests', 429, false],
    ['InternalError', 500, false],
    ['ServiceUnavailable', 503, false],
  ])('%s (HTTP %i) is a refusal: %s', (code, status, expected) => {
    expect(isRefusal(ec2Error(code, 'm', status))).toBe(expected);
  });

  test('needs an answer: a broken connection is no refusal', () => {
    expect(isRefusal(Object.assign(new Error('m'), { name: 'IncorrectState' }))).toBe(false);
    expect(isRefusal(new Error('socket hang up'))).toBe(false);
  });
});

describe('error classes', () => {
  const network = (code: string) => Object.assign(new Error('socket hang up'), { code });
  const named = (name: string) => Object.assign(new Error('no answer'), { name });

  test.each<[string, unknown, boolean]>([
    ['RequestLimitExceeded (503)', ec2Error('RequestLimitExceeded', 'm', 503), true],
    ['Throttling (400)', ec2Error('Throttling', 'm', 400), true],
    ['any 429', ec2Error('Whatever', 'm', 429), true],
    ['InternalError (500)', ec2Error('InternalError', 'm', 500), true],
    ['Unavailable (503)', ec2Error('Unavailable', 'm', 503), true],
    ['ECONNRESET', network('ECONNRESET'), true],
    ['ETIMEDOUT', network('ETIMEDOUT'), true],
    ['EAI_AGAIN', network('EAI_AGAIN'), true],
    ['TimeoutError', named('TimeoutError'), true],
    ['AbortError (our deadline)', named('AbortError'), true],
    ['IncorrectState (400)', ec2Error('IncorrectState', 'm', 400), false],
    ['UnauthorizedOperation (403)', ec2Error('UnauthorizedOperation', 'm', 403), false],
    ['a bug', new TypeError('x is undefined'), false],
    ['a connection error with an unknown code', network('EWHATEVER'), false],
  ])('%s is transient: %p', (_what, error, expected) => {
    expect(isTransient(error)).toBe(expected);
  });

  test.each<[string, unknown, boolean]>([
    ['RequestLimitExceeded', ec2Error('RequestLimitExceeded', 'm', 503), true],
    ['EC2ThrottledException', ec2Error('EC2ThrottledException', 'm', 400), true],
    ['429', ec2Error('Other', 'm', 429), true],
    ['InternalError', ec2Error('InternalError', 'm', 500), false],
    ['IncorrectState', ec2Error('IncorrectState', 'm', 400), false],
  ])('%s is throttling: %p', (_what, error, expected) => {
    expect(isThrottling(error)).toBe(expected);
  });

  test.each<[string, number, boolean]>([
    ['UnauthorizedOperation', 403, true],
    ['AuthFailure', 401, true],
    ['OptInRequired', 400, true],
    ['ResourceLimitExceeded', 400, true],
    ['AccessDenied', 403, true],
    ['SomethingForbidden', 403, true],
    ['SomethingUnauthenticated', 401, true],
    ['IncorrectState', 400, false],
    ['InvalidParameterValue', 400, false],
  ])('%s (HTTP %i) is a permanent refusal: %p', (code, status, expected) => {
    expect(isPermanentRefusal(ec2Error(code, 'm', status))).toBe(expected);
  });

  test.each<[string, boolean]>([
    ['InvalidParameterValue', true],
    ['InvalidParameter', true],
    ['MissingParameter', true],
    ['InvalidParameterCombination', true],
    ['IncorrectState', false],
    ['UnauthorizedOperation', false],
  ])('%s refuses the parameters: %p', (code, expected) => {
    expect(isParameterRefusal(ec2Error(code, 'm', 400))).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Was an earlier attempt applied?
// ---------------------------------------------------------------------------------------------------------

describe('the attempt recorder', () => {
  const refusal = ec2ErrorAnswer(400, 'IncorrectState', 'The ASN is already pending-provision.');
  const serverError = ec2ErrorAnswer(500, 'InternalError', 'An internal error has occurred.');
  const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

  async function failedCall(...answers: FakeAnswer[]): Promise<unknown> {
    const http = fakeHttp(...answers);
    const api = ec2Api(testClient(http.handler), new Logger({ logLevel: 'SILENT' }));
    return api.provisionIpamByoasn({ IpamId: IPAM_ID, Asn: ASN, AsnAuthorizationContext: { Message: 'm', Signature: SIGNATURE } })
      .then(() => { throw new Error('the call succeeded'); }, (error: unknown) => error);
  }

  test('notes nothing when the first attempt is refused', async () => {
    const error = await failedCall(refusal);

    expect(earlierAttemptFailures(error)).toEqual([]);
    expect(mayHaveBeenApplied(error)).toBe(false);
  });

  test('a refusal after a throttled attempt is real: that attempt was not applied', async () => {
    const error = await failedCall(throttled, throttled, refusal);

    expect(earlierAttemptFailures(error)).toEqual(['throttled', 'throttled']);
    expect(mayHaveBeenApplied(error)).toBe(false);
  });

  test('a refusal after a 5xx answer may be about our own request', async () => {
    const error = await failedCall(throttled, serverError, refusal);

    expect(earlierAttemptFailures(error)).toEqual(['throttled', 'ambiguous']);
    expect(mayHaveBeenApplied(error)).toBe(true);
  });

  test('a refusal after a dropped connection may be about our own request', async () => {
    const error = await failedCall(reset(), refusal);

    expect(earlierAttemptFailures(error)).toEqual(['ambiguous']);
    expect(mayHaveBeenApplied(error)).toBe(true);
  });

  test('a call that ends on 5xx answers may have been applied; one that ends throttled was not', async () => {
    expect(mayHaveBeenApplied(await failedCall(serverError))).toBe(true);
    expect(mayHaveBeenApplied(await failedCall(throttled))).toBe(false);
  });

  test('an error without the note counts as a first attempt', () => {
    expect(earlierAttemptFailures(new Error('x'))).toEqual([]);
    expect(earlierAttemptFailures(undefined)).toEqual([]);
  });
});
