/**
 * Kills mutants of lambda/ec2.ts's client wrapper and attempt recorder (issue 13): which command each method
 * sends, with which input and abort signal, what its log line says, and how failed attempts are noted.
 */
import {
  AdvertiseByoipCidrCommand,
  AssociateIpamByoasnCommand,
  DeprovisionByoipCidrCommand,
  DeprovisionIpamByoasnCommand,
  DescribeByoipCidrsCommand,
  DescribeIpamByoasnCommand,
  DisassociateIpamByoasnCommand,
  EC2Client,
  ProvisionByoipCidrCommand,
  ProvisionIpamByoasnCommand,
  WithdrawByoipCidrCommand,
} from '@aws-sdk/client-ec2';
import { Ec2Api, HTTP_TIMEOUTS, createEc2Client, earlierAttemptFailures, ec2Api, recordFailedAttempts } from '../../lambda/ec2';
import { createLogger } from '../../lambda/logger';
import { ASN, CIDR, IPAM_ID, SIGNATURE, captureLogs, ec2Error } from './events';

afterEach(() => {
  jest.restoreAllMocks();
});

type Method = keyof Ec2Api;

/** Each method: the command it must send, an input, what the call answers, and the summary its log line adds. */
const METHODS: Array<[Method, new (input: never) => object, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>]> = [
  ['describeIpamByoasn', DescribeIpamByoasnCommand, { MaxResults: 100 }, { Byoasns: [{}, {}], NextToken: 't' }, { count: 2, morePages: true }],
  ['describeByoipCidrs', DescribeByoipCidrsCommand, { MaxResults: 100 }, { ByoipCidrs: [{}], NextToken: 'n' }, { count: 1, morePages: true }],
  ['provisionIpamByoasn', ProvisionIpamByoasnCommand, { IpamId: IPAM_ID, Asn: ASN }, { Byoasn: { State: 'pending-provision' } }, { state: 'pending-provision' }],
  ['deprovisionIpamByoasn', DeprovisionIpamByoasnCommand, { IpamId: IPAM_ID, Asn: ASN }, { Byoasn: { State: 'pending-deprovision' } }, { state: 'pending-deprovision' }],
  ['associateIpamByoasn', AssociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR }, { AsnAssociation: { State: 'pending-association' } }, { state: 'pending-association' }],
  ['disassociateIpamByoasn', DisassociateIpamByoasnCommand, { Asn: ASN, Cidr: CIDR }, { AsnAssociation: { State: 'pending-disassociation' } }, { state: 'pending-disassociation' }],
  ['provisionByoipCidr', ProvisionByoipCidrCommand, { Cidr: CIDR }, { ByoipCidr: { State: 'pending-provision' } }, { state: 'pending-provision' }],
  ['deprovisionByoipCidr', DeprovisionByoipCidrCommand, { Cidr: CIDR }, { ByoipCidr: { State: 'pending-deprovision' } }, { state: 'pending-deprovision' }],
  ['advertiseByoipCidr', AdvertiseByoipCidrCommand, { Cidr: CIDR }, { ByoipCidr: { State: 'pending-advertising' } }, { state: 'pending-advertising' }],
  ['withdrawByoipCidr', WithdrawByoipCidrCommand, { Cidr: CIDR }, { ByoipCidr: { State: 'pending-withdrawal' } }, { state: 'pending-withdrawal' }],
];

const actionOf = (method: Method) => method[0].toUpperCase() + method.slice(1);

function fakeClient(answer: (command: object) => Promise<unknown>) {
  const send = jest.fn((command: object, _options?: unknown) => answer(command));
  return { client: { send } as unknown as EC2Client, send };
}

describe('ec2Api', () => {
  test.each(METHODS)('%s sends its command with the input and the abort signal, and logs the outcome', async (method, command, input, output, summary) => {
    const logs = captureLogs();
    const { client, send } = fakeClient(async () => output);
    const signal = new AbortController().signal;
    const api = ec2Api(client, createLogger(), signal);

    await expect((api[method] as (i: unknown) => Promise<unknown>)(input)).resolves.toBe(output);

    expect(send).toHaveBeenCalledTimes(1);
    const [sent, options] = send.mock.calls[0];
    expect(sent).toBeInstanceOf(command);
    expect((sent as { input: unknown }).input).toEqual(input);
    expect(options).toEqual({ abortSignal: signal });
    expect(logs.records()).toEqual([expect.objectContaining({
      level: 'INFO', message: `EC2 ${actionOf(method)} succeeded`, action: actionOf(method), params: input, outcome: 'success', ...summary,
    })]);
  });

  test.each(['describeIpamByoasn', 'describeByoipCidrs'] as const)('%s counts an empty answer as 0 items and no more pages', async (method) => {
    const logs = captureLogs();
    const api = ec2Api(fakeClient(async () => ({})).client, createLogger());

    await api[method]({ MaxResults: 100 });

    expect(logs.records()).toEqual([expect.objectContaining({ count: 0, morePages: false })]);
  });

  test.each(METHODS)('%s logs a failure as a warning, with the signature kept out, and rethrows it', async (method, _command, input) => {
    const logs = captureLogs();
    const error = ec2Error('InvalidParameterValue', `The signature ${SIGNATURE} is wrong.`, 400);
    const api = ec2Api(fakeClient(async () => { throw error; }).client, createLogger());
    const withSignature = { ...input, AsnAuthorizationContext: { Message: 'm', Signature: SIGNATURE } };

    await expect((api[method] as (i: unknown) => Promise<unknown>)(withSignature)).rejects.toBe(error);

    expect(logs.records()).toEqual([expect.objectContaining({
      level: 'WARN',
      message: `EC2 ${actionOf(method)} failed`,
      action: actionOf(method),
      params: { ...input, AsnAuthorizationContext: { Message: 'm', Signature: '***' } },
      outcome: 'error',
      errorName: 'InvalidParameterValue',
      httpStatusCode: 400,
      errorMessage: 'The signature *** is wrong.',
    })]);
    expect(logs.text()).not.toContain(SIGNATURE);
  });

  test('logs a failure that is no Error by its text', async () => {
    const logs = captureLogs();
    const api = ec2Api(fakeClient(async () => { throw 'plain failure'; }).client, createLogger());

    await expect(api.describeIpamByoasn({})).rejects.toBe('plain failure');
    expect(logs.records()).toEqual([expect.objectContaining({ errorName: 'Error', errorMessage: 'plain failure' })]);
  });
});

describe('createEc2Client', () => {
  test('sets the time limits of each HTTP attempt', async () => {
    const client = createEc2Client({ region: 'us-east-1' });
    const handler = client.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };

    await expect(handler.configProvider).resolves.toEqual(expect.objectContaining(HTTP_TIMEOUTS));
  });
});

describe('recordFailedAttempts', () => {
  type Middleware = (next: (args: unknown) => Promise<unknown>, context: Record<string, unknown>) => (args: unknown) => Promise<unknown>;

  function recorder(): { middleware: Middleware; options: unknown } {
    let captured: { middleware: Middleware; options: unknown } | undefined;
    recordFailedAttempts({ addRelativeTo: (middleware, options) => { captured = { middleware: middleware as Middleware, options }; } });
    return captured!;
  }

  test('sits right after the retry middleware, under its own name', () => {
    expect(recorder().options).toEqual({ name: 'cdkIpamByoasnAttemptRecorder', relation: 'after', toMiddleware: 'retryMiddleware', override: true });
  });

  /** An SDK error as it first reaches the recorder: without a note yet. */
  const sdkError = (name: string, httpStatusCode: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });

  test('notes each failed attempt on the error of the next one, hidden from enumeration, and passes success through', async () => {
    const { middleware } = recorder();
    const context: Record<string, unknown> = {};
    const throttled = sdkError('RequestLimitExceeded', 503);
    const broken = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const refused = sdkError('IncorrectState', 400);

    await expect(middleware(() => Promise.reject(throttled), context)({})).rejects.toBe(throttled);
    await expect(middleware(() => Promise.reject(broken), context)({})).rejects.toBe(broken);
    await expect(middleware(() => Promise.reject(refused), context)({})).rejects.toBe(refused);
    await expect(middleware(() => Promise.resolve('ok'), context)({})).resolves.toBe('ok');

    expect(earlierAttemptFailures(throttled)).toEqual([]);
    expect(earlierAttemptFailures(broken)).toEqual(['throttled']);
    expect(earlierAttemptFailures(refused)).toEqual(['throttled', 'ambiguous']);
    expect(Object.keys(refused)).not.toContain('$earlierAttemptFailures');
    expect(JSON.stringify(refused)).not.toContain('ambiguous');
  });

  test('notes again on an error object that fails a second attempt', async () => {
    const { middleware } = recorder();
    const context: Record<string, unknown> = {};
    const same = sdkError('InternalError', 500);

    await expect(middleware(() => Promise.reject(same), context)({})).rejects.toBe(same);
    await expect(middleware(() => Promise.reject(same), context)({})).rejects.toBe(same);
    expect(earlierAttemptFailures(same)).toEqual(['ambiguous']);
  });

  test.each([null, 'a string', 42, undefined])('rethrows a failure that is no object (%p) as it is', async (failure) => {
    const { middleware } = recorder();
    const context: Record<string, unknown> = {};

    await expect(middleware(() => Promise.reject(failure), context)({})).rejects.toBe(failure);
    expect(context.$earlierAttemptFailures).toEqual(['ambiguous']);
  });
});
