import type { Logger } from '@aws-lambda-powertools/logger';
import { Deadline, IsCompleteResponse, OnEventResponse, ResourceHandler } from '../../lambda/common';
import type { Ec2Api } from '../../lambda/ec2';
import { HandlerError } from '../../lambda/errors';
import { createLogger } from '../../lambda/logger';
import type { CloudFormationApi } from '../../lambda/stack';
import { CapturedLogs, captureLogs, createEvent, deleteEvent, ec2Error, updateEvent } from './events';

/** A handler whose six methods record that they ran, or throw what they are given. */
class Probe extends ResourceHandler<{ Signature: string }> {
  public readonly ran: string[] = [];
  public failure?: unknown;

  protected secrets(): string[] {
    return [this.event.ResourceProperties.Signature];
  }

  protected async onCreate(): Promise<OnEventResponse> { return this.record('onCreate'); }
  protected async onUpdate(): Promise<OnEventResponse> { return this.record('onUpdate'); }
  protected async onDelete(): Promise<OnEventResponse> { return this.record('onDelete'); }
  protected async isCreateComplete(): Promise<IsCompleteResponse> { this.record('isCreateComplete'); return this.notComplete(); }
  protected async isUpdateComplete(): Promise<IsCompleteResponse> { this.record('isUpdateComplete'); return { IsComplete: true }; }
  protected async isDeleteComplete(): Promise<IsCompleteResponse> { this.record('isDeleteComplete'); return { IsComplete: true }; }

  private record(name: string): OnEventResponse {
    if (this.failure !== undefined) {
      throw this.failure;
    }
    this.ran.push(name);
    return { PhysicalResourceId: 'id' };
  }
}

const SECRET = 'a-secret-that-is-long-enough';
const props = { Signature: SECRET };
let logs: CapturedLogs;
let logger: Logger;

beforeEach(() => {
  logs = captureLogs();
  logger = createLogger();
});

afterEach(() => jest.restoreAllMocks());

const probe = (event: ConstructorParameters<typeof Probe>[1]) =>
  new Probe({ ec2: {} as Ec2Api, cloudFormation: {} as CloudFormationApi, logger, deadline: new Deadline(60_000) }, event);

describe('ResourceHandler', () => {
  test.each([
    ['Create', 'onCreate', 'isCreateComplete'],
    ['Update', 'onUpdate', 'isUpdateComplete'],
    ['Delete', 'onDelete', 'isDeleteComplete'],
  ])('dispatches %s to %s and %s', async (requestType, onEventMethod, isCompleteMethod) => {
    const event = requestType === 'Create' ? createEvent('Custom::Probe', props)
      : requestType === 'Update' ? updateEvent('Custom::Probe', 'id', props, props)
        : deleteEvent('Custom::Probe', 'id', props);
    const handler = probe(event);

    await handler.onEvent();
    await handler.isComplete();

    expect(handler.ran).toEqual([onEventMethod, isCompleteMethod]);
  });

  test('answers "not complete" without Data (the Provider framework refuses Data then)', async () => {
    await expect(probe(createEvent('Custom::Probe', props)).isComplete()).resolves.toEqual({ IsComplete: false });
  });


  test('puts the logical id in front of an unexpected error', async () => {
    const handler = probe(createEvent('Custom::Probe', props));
    handler.failure = ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403);

    await expect(handler.onEvent()).rejects.toMatchObject({
      name: 'HandlerError',
      message: 'Prefix: UnauthorizedOperation: You are not authorized to perform this operation.',
    });
  });

  test('keeps our own errors as they are', async () => {
    const handler = probe(createEvent('Custom::Probe', props));
    const failure = new HandlerError('Probe: something the user can fix.');
    handler.failure = failure;

    await expect(handler.onEvent()).rejects.toBe(failure);
  });

  test('scrubs the secrets from an error message and from the logs', async () => {
    const handler = probe(createEvent('Custom::Probe', props));
    handler.failure = new Error(`rejected ${SECRET}`);

    await expect(handler.onEvent()).rejects.toMatchObject({ message: 'Prefix: rejected ***' });
    expect(logs.text()).not.toContain(SECRET);
  });

  test('logs the request (redacted), the response and a failure', async () => {
    await probe(createEvent('Custom::Probe', { ...props, AuthorizationSignature: SECRET })).onEvent();

    expect(logs.records().map((r) => r.message)).toEqual(['onEvent Create request', 'onEvent Create response']);
    expect(logs.records()[0]).toMatchObject({ event: { ResponseURL: '***', ResourceProperties: { AuthorizationSignature: '***' } } });
    expect(logs.records()[1]).toMatchObject({ response: { PhysicalResourceId: 'id' } });
  });
});

describe('Deadline', () => {
  test('counts down in real time and aborts its signal when the time is up', async () => {
    const deadline = new Deadline(50);
    expect(deadline.remainingMs()).toBeGreaterThan(0);
    expect(deadline.remainingMs()).toBeLessThanOrEqual(50);
    expect(deadline.signal.aborted).toBe(false);

    await new Promise((resolve) => setTimeout(resolve, 120));

    expect(deadline.remainingMs()).toBe(0);
    expect(deadline.signal.aborted).toBe(true);
  });

  test('never counts below zero, even from a negative budget', () => {
    expect(new Deadline(-5_000).remainingMs()).toBe(0);
  });

  test('ignores Date.now, which the lifecycle tests move through simulated minutes', () => {
    const realNow = Date.now;
    const deadline = new Deadline(60_000);
    Date.now = () => realNow() + 3_600_000;
    try {
      expect(deadline.remainingMs()).toBeGreaterThan(50_000);
    } finally {
      Date.now = realNow;
    }
  });
});
