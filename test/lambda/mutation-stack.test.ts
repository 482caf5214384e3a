/**
 * Kills mutants of lambda/stack.ts (issue 13): the CloudFormation client's settings, the logging wrapper of
 * DescribeStacks (which command it sends, with which input and abort signal, and the structured fields of its
 * log line), and which stack of DescribeStacks' answer `readStackStatus` reads.
 */
import { CloudFormationClient, DescribeStacksCommand, DescribeStacksCommandOutput, Stack } from '@aws-sdk/client-cloudformation';
import { StandardRetryStrategy } from '@smithy/core/retry';
import { HTTP_TIMEOUTS } from '../../lambda/ec2';
import { createLogger } from '../../lambda/logger';
import { CloudFormationApi, cloudFormationApi, createCloudFormationClient, readStackStatus } from '../../lambda/stack';
import { STACK_ID, captureLogs, ec2Error } from './events';

afterEach(() => {
  jest.restoreAllMocks();
});

const OTHER_STACK_ID = STACK_ID.replace('test-stack/', 'other-stack/');

function stack(stackId: string, status: string): Stack {
  return { StackId: stackId, StackName: stackId.split('/')[1], StackStatus: status as never, CreationTime: new Date(0) };
}

function fakeClient(answer: () => Promise<unknown>) {
  const send = jest.fn((_command: object, _options?: unknown) => answer());
  return { client: { send } as unknown as CloudFormationClient, send };
}

/** A CloudFormationApi whose DescribeStacks answers these stacks (or no Stacks at all). */
function answering(stacks: Stack[] | undefined): CloudFormationApi & { readonly inputs: unknown[] } {
  const inputs: unknown[] = [];
  return {
    inputs,
    async describeStacks(input) {
      inputs.push(input);
      return { Stacks: stacks, $metadata: {} } as DescribeStacksCommandOutput;
    },
  };
}

describe('createCloudFormationClient', () => {
  test('retries like the EC2 client: the standard strategy with 10 attempts', async () => {
    const client = createCloudFormationClient({ region: 'us-east-1' });

    await expect(client.config.maxAttempts()).resolves.toBe(10);
    const strategy = await client.config.retryStrategy();
    expect(strategy).toBeInstanceOf(StandardRetryStrategy);
    expect((strategy as StandardRetryStrategy).mode).toBe('standard');
    await expect((strategy as StandardRetryStrategy).maxAttempts()).resolves.toBe(10);
  });

  test('bounds each HTTP attempt with the same time limits as the EC2 client', async () => {
    const client = createCloudFormationClient({ region: 'us-east-1' });
    const handler = client.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };

    await expect(handler.configProvider).resolves.toEqual(expect.objectContaining(HTTP_TIMEOUTS));
  });

  test('lets overrides replace the settings', async () => {
    const client = createCloudFormationClient({ region: 'eu-west-1', maxAttempts: 2 });

    await expect(client.config.region()).resolves.toBe('eu-west-1');
    await expect(client.config.maxAttempts()).resolves.toBe(2);
  });
});

describe('cloudFormationApi', () => {
  test('sends DescribeStacks with the input and the abort signal, returns the answer, and logs the success with the status', async () => {
    const logs = captureLogs();
    const output = { Stacks: [stack(STACK_ID, 'UPDATE_IN_PROGRESS')], $metadata: {} };
    const { client, send } = fakeClient(async () => output);
    const signal = new AbortController().signal;

    await expect(cloudFormationApi(client, createLogger(), signal).describeStacks({ StackName: STACK_ID })).resolves.toBe(output);

    expect(send).toHaveBeenCalledTimes(1);
    const [sent, options] = send.mock.calls[0];
    expect(sent).toBeInstanceOf(DescribeStacksCommand);
    expect((sent as DescribeStacksCommand).input).toEqual({ StackName: STACK_ID });
    expect(options).toEqual({ abortSignal: signal });
    expect(logs.records()).toEqual([expect.objectContaining({
      level: 'INFO', action: 'DescribeStacks', outcome: 'success', status: 'UPDATE_IN_PROGRESS',
    })]);
  });

  test.each([
    ['no stacks at all', {}],
    ['an empty list of stacks', { Stacks: [] }],
  ])('logs a success without a status when DescribeStacks answers %s', async (_, answer) => {
    const logs = captureLogs();
    const output = { ...answer, $metadata: {} };

    await expect(cloudFormationApi(fakeClient(async () => output).client, createLogger()).describeStacks({ StackName: STACK_ID })).resolves.toBe(output);

    expect(logs.records()).toEqual([expect.objectContaining({ level: 'INFO', action: 'DescribeStacks', outcome: 'success' })]);
    expect(logs.records()[0]).not.toHaveProperty('status');
  });

  test('logs a failure as a warning with the error name and message, and rethrows it', async () => {
    const logs = captureLogs();
    const error = ec2Error('ValidationError', `Stack with id ${STACK_ID} does not exist`);

    await expect(cloudFormationApi(fakeClient(async () => { throw error; }).client, createLogger()).describeStacks({ StackName: STACK_ID })).rejects.toBe(error);

    expect(logs.records()).toEqual([expect.objectContaining({
      level: 'WARN', action: 'DescribeStacks', outcome: 'error', errorName: 'ValidationError', errorMessage: `Stack with id ${STACK_ID} does not exist`,
    })]);
  });

  test('logs a failure that is no Error by its text', async () => {
    const logs = captureLogs();

    await expect(cloudFormationApi(fakeClient(async () => { throw 'plain failure'; }).client, createLogger()).describeStacks({})).rejects.toBe('plain failure');

    expect(logs.records()).toEqual([expect.objectContaining({
      level: 'WARN', action: 'DescribeStacks', outcome: 'error', errorName: 'Error', errorMessage: 'plain failure',
    })]);
  });
});

describe('readStackStatus', () => {
  test('asks for the stack by its id and reads its status', async () => {
    const cfn = answering([stack(STACK_ID, 'UPDATE_ROLLBACK_IN_PROGRESS')]);

    await expect(readStackStatus(cfn, STACK_ID)).resolves.toBe('UPDATE_ROLLBACK_IN_PROGRESS');
    expect(cfn.inputs).toEqual([{ StackName: STACK_ID }]);
  });

  test('picks the stack with this id when the answer lists several, wherever it is', async () => {
    await expect(readStackStatus(answering([stack(OTHER_STACK_ID, 'CREATE_COMPLETE'), stack(STACK_ID, 'ROLLBACK_IN_PROGRESS')]), STACK_ID))
      .resolves.toBe('ROLLBACK_IN_PROGRESS');
    await expect(readStackStatus(answering([stack(STACK_ID, 'UPDATE_IN_PROGRESS'), stack(OTHER_STACK_ID, 'ROLLBACK_IN_PROGRESS')]), STACK_ID))
      .resolves.toBe('UPDATE_IN_PROGRESS');
  });

  test('takes the only stack of the answer when it lists that one under another id (e.g. the stack was named by its name)', async () => {
    await expect(readStackStatus(answering([stack(STACK_ID, 'DELETE_IN_PROGRESS')]), 'test-stack')).resolves.toBe('DELETE_IN_PROGRESS');
  });

  test.each([
    ['no stacks at all', undefined],
    ['an empty list', []],
    ['several stacks, none with this id', [stack(OTHER_STACK_ID, 'CREATE_COMPLETE'), stack(OTHER_STACK_ID.replace('other-', 'third-'), 'CREATE_COMPLETE')]],
    ['the stack without a status', [{ StackId: STACK_ID, StackName: 'test-stack', CreationTime: new Date(0) } as Stack]],
  ])('throws, naming the stack, when the answer has %s', async (_, stacks) => {
    await expect(readStackStatus(answering(stacks), STACK_ID)).rejects.toThrow(`DescribeStacks did not return the status of ${STACK_ID}.`);
  });
});
