/**
 * The emulator's CloudFormation DescribeStacks endpoint (awsQuery protocol, API version 2010-05-15), read with
 * the real @aws-sdk/client-cloudformation: stack records, the ErrorResponse format, throttling and faults.
 */
import {
  CloudFormationClient,
  type CloudFormationClientConfig,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeIpamByoasnCommand } from '@aws-sdk/client-ec2';
import { Ec2Emulator, ManualClock } from './ec2-emulator';
import { ClientPool, FAKE_CREDENTIALS, RecordingRetryStrategy, failure, waitFor, postRaw } from './sdk-helpers';

const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/ByoasnExample/00000000-0000-0000-0000-000000000000';

let clock: ManualClock;
let emulator: Ec2Emulator;
let cfn: CloudFormationClient;
const clients: CloudFormationClient[] = [];
const ec2Pool = new ClientPool();

function cfnClient(extra: Partial<CloudFormationClientConfig> = {}): CloudFormationClient {
  const c = new CloudFormationClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: FAKE_CREDENTIALS, maxAttempts: 1, ...extra });
  clients.push(c);
  return c;
}

const describe1 = (client: CloudFormationClient, stackName?: string) => client.send(new DescribeStacksCommand({ StackName: stackName }));

beforeEach(async () => {
  clock = new ManualClock();
  emulator = new Ec2Emulator({ now: clock.now });
  await emulator.start();
  cfn = cfnClient();
});
afterEach(async () => {
  clients.splice(0).forEach((c) => c.destroy());
  ec2Pool.destroyAll();
  await emulator.stop();
});

describe('DescribeStacks, read with the real SDK', () => {
  test('a stack id creates the record with the name taken from the ARN; the SDK reads every field', async () => {
    expect(emulator.setStackStatus(STACK_ID, 'CREATE_IN_PROGRESS')).toBe(STACK_ID);
    const createdAt = clock.now();
    clock.advance(60_000);
    emulator.setStackStatus(STACK_ID, 'CREATE_COMPLETE');
    const out = await describe1(cfn, STACK_ID);
    expect(out.Stacks).toEqual([{
      StackId: STACK_ID, StackName: 'ByoasnExample', CreationTime: new Date(createdAt), StackStatus: 'CREATE_COMPLETE',
    }]);
    expect(out.$metadata.requestId).toBe(emulator.calls()[0].requestId);
    expect(out.$metadata.httpStatusCode).toBe(200);
    // By name as well.
    expect((await describe1(cfn, 'ByoasnExample')).Stacks?.[0].StackStatus).toBe('CREATE_COMPLETE');
    expect(emulator.stackStatus(STACK_ID)).toBe('CREATE_COMPLETE');
    expect(emulator.stackStatus('ByoasnExample')).toBe('CREATE_COMPLETE');
  });

  test('every status change is seen at once', async () => {
    const statuses = ['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE'];
    for (const status of statuses) {
      emulator.setStackStatus(STACK_ID, status);
      expect((await describe1(cfn, STACK_ID)).Stacks?.[0].StackStatus).toBe(status);
    }
  });

  test('a stack name creates a record with a new stack id of the right form', async () => {
    const id = emulator.setStackStatus('Other', 'UPDATE_COMPLETE');
    expect(id).toMatch(/^arn:aws:cloudformation:us-east-1:123456789012:stack\/Other\/[0-9a-f-]{36}$/);
    expect(emulator.setStackStatus('Other', 'UPDATE_IN_PROGRESS')).toBe(id);
    expect((await describe1(cfn, id)).Stacks?.[0]).toMatchObject({ StackId: id, StackName: 'Other', StackStatus: 'UPDATE_IN_PROGRESS' });
  });

  test('without StackName, every stack that is not deleted is listed', async () => {
    emulator.setStackStatus(STACK_ID, 'CREATE_COMPLETE');
    emulator.setStackStatus('Gone', 'DELETE_COMPLETE');
    expect((await describe1(cfn)).Stacks?.map((s) => s.StackName)).toEqual(['ByoasnExample']);
  });

  test('an unknown stack: HTTP 400 ValidationError "Stack with id X does not exist", as a client fault', async () => {
    const err = await failure(describe1(cfn, 'Nope'));
    expect(err).toBeInstanceOf(CloudFormationServiceException);
    expect({ name: err.name, message: err.message, status: err.$metadata?.httpStatusCode, fault: err.$fault })
      .toEqual({ name: 'ValidationError', message: 'Stack with id Nope does not exist', status: 400, fault: 'client' });
    expect(err.$metadata?.requestId).toBe(emulator.calls()[0].requestId);
    expect(emulator.calls()[0]).toMatchObject({ service: 'cloudformation', action: 'DescribeStacks', status: 400, errorCode: 'ValidationError' });
  });

  test('a deleted stack is found by id, not by name; CREATE_IN_PROGRESS re-creates it', async () => {
    emulator.setStackStatus(STACK_ID, 'CREATE_COMPLETE');
    clock.advance(1000);
    emulator.setStackStatus(STACK_ID, 'DELETE_COMPLETE');
    expect((await describe1(cfn, STACK_ID)).Stacks?.[0].StackStatus).toBe('DELETE_COMPLETE');
    expect((await failure(describe1(cfn, 'ByoasnExample'))).name).toBe('ValidationError');
    expect(emulator.stackStatus('ByoasnExample')).toBeUndefined();
    emulator.setStackStatus(STACK_ID, 'CREATE_IN_PROGRESS');
    expect((await describe1(cfn, 'ByoasnExample')).Stacks?.[0]).toMatchObject({ StackStatus: 'CREATE_IN_PROGRESS', CreationTime: new Date(clock.now()) });
  });

  test('the documents have the awsQuery shape: Result element, ResponseMetadata, ErrorResponse with Type', async () => {
    emulator.setStackStatus(STACK_ID, 'CREATE_COMPLETE');
    const ok = await postRaw(emulator, `Action=DescribeStacks&Version=2010-05-15&StackName=${encodeURIComponent(STACK_ID)}`);
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(new RegExp('^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n'
      + '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>'
      + `<StackId>${STACK_ID.replace(/[/.]/g, '\\$&')}</StackId><StackName>ByoasnExample</StackName>`
      + '<CreationTime>\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>'
      + '</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>[0-9a-f-]{36}</RequestId></ResponseMetadata>'
      + '</DescribeStacksResponse>$'));
    const bad = await postRaw(emulator, 'Action=DescribeStacks&Version=2010-05-15&StackName=Nope');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/<ErrorResponse xmlns="[^"]+"><Error><Type>Sender<\/Type><Code>ValidationError<\/Code><Message>Stack with id Nope does not exist<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
    const unknown = await postRaw(emulator, 'Action=CreateStack&Version=2010-05-15');
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('<Code>InvalidAction</Code>');
    // An EC2 action in a CloudFormation request is not a CloudFormation action.
    expect((await postRaw(emulator, 'Action=DescribeIpamByoasn&Version=2010-05-15')).text).toContain('<Code>InvalidAction</Code>');
  });

  test('the SDK finds the endpoint through AWS_ENDPOINT_URL_CLOUDFORMATION from clientEnv()', async () => {
    emulator.setStackStatus(STACK_ID, 'UPDATE_COMPLETE');
    const env = emulator.clientEnv();
    expect(env.AWS_ENDPOINT_URL_CLOUDFORMATION).toBe(emulator.endpoint);
    const saved = process.env.AWS_ENDPOINT_URL_CLOUDFORMATION;
    process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = env.AWS_ENDPOINT_URL_CLOUDFORMATION;
    try {
      const viaEnv = new CloudFormationClient({ region: 'us-east-1', credentials: FAKE_CREDENTIALS, maxAttempts: 1 });
      clients.push(viaEnv);
      expect((await describe1(viaEnv, STACK_ID)).Stacks?.[0].StackStatus).toBe('UPDATE_COMPLETE');
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_CLOUDFORMATION;
      else process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = saved;
    }
  });
});

describe('DescribeStacks under throttling and faults', () => {
  beforeEach(() => emulator.setStackStatus(STACK_ID, 'UPDATE_ROLLBACK_IN_PROGRESS'));

  test('a throttled call answers HTTP 400 Throttling "Rate exceeded", which the SDK retries as THROTTLING', async () => {
    emulator.configure({ throttle: [{ capacity: 1, refillPerSecond: 0 }] });
    await describe1(cfn, STACK_ID);
    const strategy = new RecordingRetryStrategy(3);
    const err = await failure(describe1(cfnClient({ retryStrategy: strategy }), STACK_ID));
    expect({ name: err.name, message: err.message, status: err.$metadata?.httpStatusCode })
      .toEqual({ name: 'Throttling', message: 'Rate exceeded', status: 400 });
    expect(strategy.errorTypes).toEqual(['THROTTLING', 'THROTTLING', 'THROTTLING']);
    expect(err.$metadata?.attempts).toBe(3);
    expect(emulator.calls('DescribeStacks').map((c) => c.errorCode)).toEqual([undefined, 'Throttling', 'Throttling', 'Throttling']);
  });

  test('one global bucket meters EC2 and CloudFormation calls alike; a per-action bucket only its actions', async () => {
    emulator.configure({ throttle: [{ capacity: 2, refillPerSecond: 1 }] });
    const ec2 = ec2Pool.client(emulator);
    await ec2.send(new DescribeIpamByoasnCommand({}));
    await describe1(cfn, STACK_ID);
    expect((await failure(describe1(cfn, STACK_ID))).name).toBe('Throttling');
    clock.advance(1000);
    await describe1(cfn, STACK_ID);
    emulator.configure({ throttle: [{ capacity: 1, refillPerSecond: 0, actions: ['DescribeIpamByoasn'] }] });
    for (let i = 0; i < 3; i++) await describe1(cfn, STACK_ID);
  });

  test('the SDK with default retries rides out a throttled call once the bucket refills', async () => {
    let frozenAt: number | undefined = Date.now();
    await emulator.stop();
    emulator = new Ec2Emulator({ now: () => frozenAt ?? Date.now(), throttle: [{ capacity: 1, refillPerSecond: 1000 }] });
    await emulator.start();
    emulator.setStackStatus(STACK_ID, 'UPDATE_ROLLBACK_IN_PROGRESS');
    const client = cfnClient({ maxAttempts: 3 });
    await describe1(client, STACK_ID);
    const second = describe1(client, STACK_ID);
    // The clock stands still until the second call has been throttled once, then follows real time.
    await waitFor(() => emulator.calls('DescribeStacks').length >= 2);
    frozenAt = undefined;
    const out = await second;
    expect(out.Stacks?.[0].StackStatus).toBe('UPDATE_ROLLBACK_IN_PROGRESS');
    expect(out.$metadata.attempts).toBeGreaterThanOrEqual(2);
    expect(emulator.calls('DescribeStacks')[1].errorCode).toBe('Throttling');
    expect(emulator.calls('DescribeStacks').length).toBe(1 + (out.$metadata.attempts ?? 0));
  });

  test('failNext applies: an error fault in the ErrorResponse format, internalError as HTTP 500 InternalFailure', async () => {
    emulator.failNext('DescribeStacks', { kind: 'error', code: 'AccessDenied', message: 'not <allowed>', status: 403 });
    const denied = await failure(describe1(cfn, STACK_ID));
    expect({ name: denied.name, message: denied.message, status: denied.$metadata?.httpStatusCode }).toEqual({ name: 'AccessDenied', message: 'not <allowed>', status: 403 });

    emulator.failNext('DescribeStacks', 'internalError');
    const internal = await failure(describe1(cfn, STACK_ID));
    expect({ name: internal.name, status: internal.$metadata?.httpStatusCode, fault: internal.$fault })
      .toEqual({ name: 'InternalFailure', status: 500, fault: 'server' });

    const strategy = new RecordingRetryStrategy(3);
    emulator.failNext('DescribeStacks', 'internalError');
    emulator.failNext('DescribeStacks', 'drop');
    const out = await describe1(cfnClient({ retryStrategy: strategy }), STACK_ID);
    expect(out.$metadata.attempts).toBe(3);
    expect(strategy.errorTypes).toEqual(['TRANSIENT', 'TRANSIENT']);
    expect(emulator.calls('DescribeStacks').map((c) => c.fault)).toEqual(['error', 'internalError', 'internalError', 'drop', undefined]);
    expect(emulator.calls().every((c) => c.service === 'cloudformation')).toBe(true);
  });

  test("'*' faults apply to CloudFormation calls too", async () => {
    emulator.failNext('*', { kind: 'error', code: 'Throttling', message: 'Rate exceeded' });
    expect((await failure(describe1(cfn, STACK_ID))).name).toBe('Throttling');
    expect((await describe1(cfn, STACK_ID)).Stacks).toHaveLength(1);
  });

  test('reset() forgets the stacks', async () => {
    emulator.reset();
    expect(emulator.stackStatus(STACK_ID)).toBeUndefined();
    expect((await failure(describe1(cfn, STACK_ID))).name).toBe('ValidationError');
  });
});
