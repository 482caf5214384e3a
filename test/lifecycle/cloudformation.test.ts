/**
 * The CloudFormation stand-in itself, with a tiny fake handler (no bundle): parallelism on the simulated clock,
 * dependencies, failure and rollback semantics, the stack status as handlers read it through the emulator's
 * DescribeStacks, cleanup, and the Provider framework's response rules.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { Ec2Emulator, ManualClock } from '../emulator/ec2-emulator';
import { CREATE_FAILED_MARKER, CloudFormationDriver, type DriverOptions, type HandlerModule } from './cloudformation';
import type { Template, TemplateResource } from './synth';

const SECOND = 1000;

/** One handler invocation as the fake saw it. */
interface Invocation {
  readonly fn: 'onEvent' | 'isComplete';
  /** Date.now() inside the handler. */
  readonly at: number;
  readonly requestType: string;
  readonly logicalId: string;
  readonly physicalId?: string;
  readonly name?: string;
  readonly oldName?: string;
  /** The stack status read with DescribeStacks (when `readStatus` is on). */
  readonly stackStatus?: string;
}

/**
 * A fake provider. Properties of a `Custom::Fake` resource steer it:
 * - `Name`: the physical id that Create and Update return;
 * - `Polls`: isComplete calls until a Create or Update is complete (default 1); `DeletePolls` for a Delete;
 * - `Fail`: `onEvent` or `isComplete` makes a Create or Update throw there;
 * - `FailDelete`: `true` makes a Delete throw;
 * - `FailUpdate`: `true` makes an Update with these properties throw in onEvent;
 * - `DataBytes`: onEvent returns `Data` with a value of that many bytes.
 */
class FakeProvider {
  readonly invocations: Invocation[] = [];
  /** Read the stack status through the emulator in onEvent. */
  readStatus = false;
  loaded = 0;
  private inFlight = 0;
  maxInFlight = 0;
  private readonly polls = new Map<string, number>();

  load = (): HandlerModule => {
    this.loaded += 1;
    return {
      onEvent: (event) => this.invoke('onEvent', event as Record<string, unknown>),
      isComplete: (event) => this.invoke('isComplete', event as Record<string, unknown>),
    };
  };

  calls(fn: 'onEvent' | 'isComplete', requestType?: string, logicalId?: string): Invocation[] {
    return this.invocations.filter((i) => i.fn === fn && (requestType === undefined || i.requestType === requestType)
      && (logicalId === undefined || i.logicalId === logicalId));
  }

  private async invoke(fn: 'onEvent' | 'isComplete', event: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const at = Date.now();
      const props = event.ResourceProperties as Record<string, string>;
      const old = event.OldResourceProperties as Record<string, string> | undefined;
      const stackStatus = this.readStatus && fn === 'onEvent' ? await this.stackStatus(String(event.StackId)) : undefined;
      // Real work takes real time: invocations due together overlap.
      await new Promise((resolve) => setTimeout(resolve, 5));
      this.invocations.push({
        fn, at, requestType: String(event.RequestType), logicalId: String(event.LogicalResourceId),
        physicalId: event.PhysicalResourceId as string | undefined, name: props.Name, oldName: old?.Name, stackStatus,
      });
      const type = String(event.RequestType);
      if (type === 'Delete' && props.FailDelete === 'true') throw new Error(`cannot delete ${String(event.PhysicalResourceId)}`);
      if (type === 'Update' && fn === 'onEvent' && props.FailUpdate === 'true') throw new Error(`update refused for ${props.Name}`);
      if (type !== 'Delete' && props.Fail === fn) throw new Error(`${fn} failed for ${props.Name}`);
      if (fn === 'onEvent') {
        const data = props.DataBytes ? { Data: { Big: 'x'.repeat(Number(props.DataBytes)) } } : {};
        return type === 'Delete' ? {} : { PhysicalResourceId: props.Name, ...data };
      }
      const count = (this.polls.get(String(event.RequestId)) ?? 0) + 1;
      this.polls.set(String(event.RequestId), count);
      const needed = Number((type === 'Delete' ? props.DeletePolls : props.Polls) ?? '1');
      return count >= needed ? { IsComplete: true, Data: type === 'Delete' ? {} : { Name: props.Name } } : { IsComplete: false };
    } finally {
      this.inFlight -= 1;
    }
  }

  private async stackStatus(stackId: string): Promise<string | undefined> {
    const client = new CloudFormationClient({
      endpoint: process.env.AWS_ENDPOINT_URL_CLOUDFORMATION, region: 'us-east-1', maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
    try {
      return (await client.send(new DescribeStacksCommand({ StackName: stackId }))).Stacks?.[0]?.StackStatus;
    } finally {
      client.destroy();
    }
  }
}

function fake(properties: Record<string, unknown>, extra: Partial<TemplateResource> = {}): TemplateResource {
  return { Type: 'Custom::Fake', Properties: { ServiceToken: { 'Fn::GetAtt': ['Provider', 'Arn'] }, ...properties }, ...extra };
}

function template(resources: Record<string, TemplateResource>): Template {
  return { Resources: { Provider: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.onEvent' } }, ...resources } };
}

let clock: ManualClock;
let emulator: Ec2Emulator;
let provider: FakeProvider;
let driver: CloudFormationDriver;

function newDriver(options: Partial<DriverOptions> = {}): CloudFormationDriver {
  return new CloudFormationDriver({ emulator, clock, handlerFile: '/fake/index.js', stackName: 'Fake', loadHandler: provider.load, ...options });
}

beforeEach(async () => {
  clock = new ManualClock();
  emulator = new Ec2Emulator({ now: clock.now, idleTimeoutMs: 30_000 });
  await emulator.start();
  provider = new FakeProvider();
  driver = newDriver();
});
afterEach(async () => {
  await emulator.stop();
});

function eventsOf(logicalId: string, status?: string) {
  return driver.events.filter((e) => e.logicalId === logicalId && e.poll === undefined && (status === undefined || e.status === status));
}

function timeOf(logicalId: string, status: string): number {
  const found = eventsOf(logicalId, status);
  expect(found).toHaveLength(1);
  return found[0].at;
}

describe('parallelism on the simulated clock', () => {
  test('two independent resources needing 3 polls each run side by side and finish at the same simulated time', async () => {
    const start = clock.now();
    expect(await driver.deploy(template({ A: fake({ Name: 'a', Polls: '3' }), B: fake({ Name: 'b', Polls: '3' }) }))).toEqual({ status: 'CREATE_COMPLETE' });
    // onEvent and isComplete at once, then every 10 s: complete at the third poll, 20 s in.
    expect(timeOf('A', 'CREATE_COMPLETE')).toBe(start + 20 * SECOND);
    expect(timeOf('B', 'CREATE_COMPLETE')).toBe(start + 20 * SECOND);
    expect(provider.calls('isComplete').map((i) => i.at - start)).toEqual([0, 0, 10, 10, 20, 20].map((s) => s * SECOND));
    // The invocations due together really overlapped, each in its own execution environment.
    expect(provider.maxInFlight).toBe(2);
    expect(driver.environmentCount('onEvent')).toBe(2);
    expect(driver.environmentCount('isComplete')).toBe(2);
    expect(clock.now()).toBe(start + 20 * SECOND);
  });

  test('execution environments are reused when idle', async () => {
    await driver.deploy(template({ A: fake({ Name: 'a', Polls: '2' }), B: fake({ Name: 'b', Polls: '2' }, { DependsOn: 'A' }) }));
    expect(driver.environmentCount('onEvent')).toBe(1);
    expect(driver.environmentCount('isComplete')).toBe(1);
    expect(provider.loaded).toBe(2);
  });

  test('Date.now() reads the simulated clock during the whole operation, and the real one afterwards', async () => {
    clock.advance(365 * 24 * 3600 * SECOND);
    await driver.deploy(template({ A: fake({ Name: 'a', Polls: '2' }) }));
    expect(provider.invocations.map((i) => i.at)).toEqual([clock.now() - 10 * SECOND, clock.now() - 10 * SECOND, clock.now()]);
    expect(Math.abs(Date.now() - performance.timeOrigin - performance.now())).toBeLessThan(5000);
  });
});

describe('dependencies', () => {
  test('a resource starts when what it references is complete, receives its physical id, and is deleted before it', async () => {
    const t = template({
      A: fake({ Name: 'a', Polls: '3' }),
      B: fake({ Name: { 'Fn::Join': ['-', [{ Ref: 'A' }, 'b']] }, Polls: '2' }),
      C: fake({ Name: 'c', Polls: '1' }, { DependsOn: ['B'] }),
      D: fake({ Name: 'd', Polls: '4' }),
    });
    const start = clock.now();
    expect((await driver.deploy(t)).status).toBe('CREATE_COMPLETE');
    expect(timeOf('B', 'CREATE_IN_PROGRESS')).toBe(timeOf('A', 'CREATE_COMPLETE'));
    expect(timeOf('C', 'CREATE_IN_PROGRESS')).toBe(timeOf('B', 'CREATE_COMPLETE'));
    expect(driver.physicalId('B')).toBe('a-b');
    expect(timeOf('C', 'CREATE_COMPLETE') - start).toBe(30 * SECOND);
    expect(timeOf('D', 'CREATE_COMPLETE') - start).toBe(30 * SECOND);

    expect(await driver.destroy()).toEqual({ status: 'DELETE_COMPLETE' });
    expect(timeOf('B', 'DELETE_IN_PROGRESS')).toBeGreaterThanOrEqual(timeOf('C', 'DELETE_COMPLETE'));
    expect(timeOf('A', 'DELETE_IN_PROGRESS')).toBeGreaterThanOrEqual(timeOf('B', 'DELETE_COMPLETE'));
    // D does not wait for anyone: its delete starts with C's.
    expect(timeOf('D', 'DELETE_IN_PROGRESS')).toBe(timeOf('C', 'DELETE_IN_PROGRESS'));
    expect(driver.resources.size).toBe(0);
    expect(driver.stackStatus).toBe('DELETE_COMPLETE');
    expect(emulator.stackStatus(driver.stackId)).toBe('DELETE_COMPLETE');
  });

  test('a dependency cycle is refused', async () => {
    await expect(driver.deploy(template({ A: fake({ Name: 'a' }, { DependsOn: 'B' }), B: fake({ Name: 'b' }, { DependsOn: 'A' }) })))
      .rejects.toThrow(/cycle/);
  });
});

describe('a failed first deployment', () => {
  test('lets the resource in progress finish, starts nothing new, and deletes what it created in ROLLBACK_IN_PROGRESS', async () => {
    provider.readStatus = true;
    const result = await driver.deploy(template({
      A: fake({ Name: 'a', Polls: '3' }),
      B: fake({ Name: 'b', Fail: 'onEvent' }),
      C: fake({ Name: 'c' }, { DependsOn: 'A' }),
      D: fake({ Name: 'd', Polls: '2', Fail: 'isComplete' }),
    }));
    expect(result).toEqual({ status: 'ROLLBACK_COMPLETE', reason: 'onEvent failed for b' });
    // A was in progress: it completed. C, which waited for A, never started.
    expect(eventsOf('A').map((e) => e.status)).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    expect(eventsOf('C')).toEqual([]);
    // B's failed create has the framework's marker, whose Delete the framework answers itself.
    expect(eventsOf('B', 'CREATE_FAILED')[0].physicalId).toBe(CREATE_FAILED_MARKER);
    expect(provider.calls('onEvent', 'Delete').map((i) => `${i.logicalId} ${i.physicalId} ${i.stackStatus}`).sort())
      .toEqual(['A a ROLLBACK_IN_PROGRESS', 'D d ROLLBACK_IN_PROGRESS']);
    expect(provider.calls('onEvent', 'Create').every((i) => i.stackStatus === 'CREATE_IN_PROGRESS')).toBe(true);
    expect(driver.statusHistory.map((s) => s.status)).toEqual(['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']);
    expect(driver.resources.size).toBe(0);
    expect(emulator.stackStatus('Fake')).toBe('ROLLBACK_COMPLETE');
  });

  test('the stack can then be destroyed, and a new deploy deletes it first, as cdk deploy does', async () => {
    const failing = template({ A: fake({ Name: 'a', Fail: 'isComplete' }) });
    expect((await driver.deploy(failing)).status).toBe('ROLLBACK_COMPLETE');
    expect(await driver.destroy()).toEqual({ status: 'DELETE_COMPLETE' });
    expect((await driver.deploy(failing)).status).toBe('ROLLBACK_COMPLETE');
    expect((await driver.deploy(template({ A: fake({ Name: 'a' }) }))).status).toBe('CREATE_COMPLETE');
    expect(driver.statusHistory.map((s) => s.status).slice(-6)).toEqual([
      'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE',
    ]);
  });

  test('a delete that fails during the rollback: ROLLBACK_FAILED, the resource stays in the stack', async () => {
    const result = await driver.deploy(template({ A: fake({ Name: 'a', FailDelete: 'true' }), B: fake({ Name: 'b', Polls: '2', Fail: 'isComplete' }) }));
    expect(result.status).toBe('ROLLBACK_FAILED');
    expect(result.reason).toBe('isComplete failed for b / rollback: cannot delete a');
    expect([...driver.resources.keys()]).toEqual(['Provider', 'A']);
  });
});

describe('a failed update', () => {
  const before = template({ A: fake({ Name: 'a1', Polls: '2' }), B: fake({ Name: 'b1', Polls: '2' }) });

  test.each(['isComplete', 'onEvent'])('every updated resource, including the one whose update failed (in %s), gets a rollback Update', async (where) => {
    expect((await driver.deploy(before)).status).toBe('CREATE_COMPLETE');
    provider.readStatus = true;
    const result = await driver.deploy(template({
      A: fake({ Name: 'a2', Polls: '3' }), // a replacement that succeeds
      B: fake({ Name: 'b2', Polls: '2', Fail: where }), // a replacement that fails
    }));
    expect(result).toEqual({ status: 'UPDATE_ROLLBACK_COMPLETE', reason: `${where} failed for b2` });
    const rollbacks = provider.calls('onEvent', 'Update').filter((i) => i.stackStatus === 'UPDATE_ROLLBACK_IN_PROGRESS');
    expect(rollbacks.map((i) => ({ id: i.logicalId, physicalId: i.physicalId, name: i.name, oldName: i.oldName })).sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      // A's replacement succeeded: the rollback goes to the new physical id.
      { id: 'A', physicalId: 'a2', name: 'a1', oldName: 'a2' },
      // B's failed: the framework kept the old physical id; the properties are swapped back all the same.
      { id: 'B', physicalId: 'b1', name: 'b1', oldName: 'b2' },
    ]);
    // A's rollback returned a1 again: a2 is deleted in the cleanup, nothing else is.
    expect(provider.calls('onEvent', 'Delete').map((i) => `${i.logicalId} ${i.physicalId} ${i.stackStatus}`))
      .toEqual(['A a2 UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS']);
    expect(driver.physicalId('A')).toBe('a1');
    expect(driver.physicalId('B')).toBe('b1');
    expect(driver.resources.get('A')?.properties.Name).toBe('a1');
    expect(driver.statusHistory.map((s) => s.status).slice(2)).toEqual([
      'UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE',
    ]);
    // A's update was in progress when B failed: it finished before the rollback began.
    const rollbackStarted = driver.statusHistory.find((s) => s.status === 'UPDATE_ROLLBACK_IN_PROGRESS')!.at;
    expect(driver.events.find((e) => e.logicalId === 'A' && e.status === 'UPDATE_COMPLETE')!.at).toBeLessThanOrEqual(rollbackStarted);
  });

  test('a resource created by the failed update is deleted in the cleanup; the old side of a replacement is never deleted', async () => {
    expect((await driver.deploy(before)).status).toBe('CREATE_COMPLETE');
    provider.readStatus = true;
    const result = await driver.deploy(template({
      A: fake({ Name: 'a2' }),
      B: fake({ Name: 'b1', Polls: '2' }),
      N: fake({ Name: 'n', Polls: '2' }),
      F: fake({ Name: 'f', Polls: '3', Fail: 'isComplete' }, { DependsOn: 'B' }),
    }));
    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(provider.calls('onEvent', 'Delete').map((i) => `${i.logicalId} ${i.physicalId} ${i.stackStatus}`).sort()).toEqual([
      'A a2 UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
      'F f UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
      'N n UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
    ]);
    expect([...driver.resources.keys()].sort()).toEqual(['A', 'B', 'Provider']);
    expect(provider.calls('onEvent', 'Update', 'B')).toEqual([]); // unchanged: never sent an Update
  });

  test('a rollback Update that fails: UPDATE_ROLLBACK_FAILED, and no cleanup', async () => {
    // A's old properties refuse Updates: its rollback Update fails.
    expect((await driver.deploy(template({ A: fake({ Name: 'a1', FailUpdate: 'true' }) }))).status).toBe('CREATE_COMPLETE');
    const result = await driver.deploy(template({ A: fake({ Name: 'a2', Polls: '2' }), B: fake({ Name: 'b', Fail: 'onEvent' }) }));
    expect(result).toEqual({ status: 'UPDATE_ROLLBACK_FAILED', reason: 'onEvent failed for b / rollback: update refused for a1' });
    expect(provider.calls('onEvent', 'Delete')).toEqual([]);
    expect(driver.physicalId('A')).toBe('a2');
    expect(driver.stackStatus).toBe('UPDATE_ROLLBACK_FAILED');
  });
});

describe('a successful update', () => {
  test('deletes the old side of each replacement and the removed resources in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, dependents first', async () => {
    expect((await driver.deploy(template({
      A: fake({ Name: 'a1' }), B: fake({ Name: 'b' }), R: fake({ Name: 'r', Polls: '2' }, { DependsOn: 'B' }),
    }))).status).toBe('CREATE_COMPLETE');
    provider.readStatus = true;
    expect(await driver.deploy(template({ A: fake({ Name: 'a2', Polls: '3' }), B: fake({ Name: 'b' }) }))).toEqual({ status: 'UPDATE_COMPLETE' });
    const deletes = provider.calls('onEvent', 'Delete');
    expect(deletes.map((i) => `${i.logicalId} ${i.physicalId} ${i.stackStatus}`).sort()).toEqual([
      'A a1 UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'R r UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
    ]);
    // Only after every update completed.
    expect(Math.min(...deletes.map((i) => i.at))).toBeGreaterThanOrEqual(timeOf('A', 'UPDATE_COMPLETE'));
    expect(driver.statusHistory.map((s) => s.status).slice(2)).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE']);
    expect([...driver.resources.keys()].sort()).toEqual(['A', 'B', 'Provider']);
    expect(driver.physicalId('A')).toBe('a2');
  });

  test('a cleanup delete that fails is an event, not a failure of the stack', async () => {
    expect((await driver.deploy(template({ A: fake({ Name: 'a1', FailDelete: 'true' }) }))).status).toBe('CREATE_COMPLETE');
    expect(await driver.deploy(template({ A: fake({ Name: 'a2' }) }))).toEqual({ status: 'UPDATE_COMPLETE' });
    expect(eventsOf('A', 'DELETE_FAILED')).toEqual([expect.objectContaining({ physicalId: 'a1', reason: 'cannot delete a1' })]);
  });

  test('Retain policies: the old side of a replacement and a retained resource are skipped', async () => {
    expect((await driver.deploy(template({
      A: fake({ Name: 'a1' }, { UpdateReplacePolicy: 'Retain' }), K: fake({ Name: 'k' }, { DeletionPolicy: 'Retain' }),
    }))).status).toBe('CREATE_COMPLETE');
    expect((await driver.deploy(template({ A: fake({ Name: 'a2' }, { UpdateReplacePolicy: 'Retain' }), K: fake({ Name: 'k' }, { DeletionPolicy: 'Retain' }) }))).status).toBe('UPDATE_COMPLETE');
    expect((await driver.destroy()).status).toBe('DELETE_COMPLETE');
    expect(provider.calls('onEvent', 'Delete').map((i) => i.physicalId)).toEqual(['a2']);
    expect(driver.events.filter((e) => e.status === 'DELETE_SKIPPED').map((e) => e.physicalId).sort()).toEqual(['a1', 'k']);
  });
});

describe('the Provider framework', () => {
  test('a FAILED response from isComplete carries onEvent\'s Data, and over 4096 bytes fails as "Response object is too long."', async () => {
    const small = await driver.deploy(template({ A: fake({ Name: 'a', DataBytes: '3000', Fail: 'isComplete' }) }));
    expect(small.reason).toBe('isComplete failed for a');
    await driver.destroy();
    const big = await driver.deploy(template({ A: fake({ Name: 'a', DataBytes: '3900', Fail: 'isComplete' }) }));
    expect(big).toEqual({ status: 'ROLLBACK_COMPLETE', reason: 'Response object is too long.' });
    // The failure kept the physical id onEvent returned: the rollback's Delete reached the handler.
    expect(provider.calls('onEvent', 'Delete').map((i) => i.physicalId)).toEqual(['a', 'a']);
  });

  test('a SUCCESS response over 4096 bytes fails too', async () => {
    expect((await driver.deploy(template({ A: fake({ Name: 'a', DataBytes: '4000' }) }))).reason).toBe('Response object is too long.');
  });

  test('isComplete that never completes times out after totalTimeout', async () => {
    driver = newDriver({ totalTimeoutMs: 60 * SECOND });
    const start = clock.now();
    const result = await driver.deploy(template({ A: fake({ Name: 'a', Polls: '100' }) }));
    expect(result).toEqual({ status: 'ROLLBACK_COMPLETE', reason: 'Operation timed out' });
    // The first call and one every 10 s for 60 s: 7 calls, the failure at the last.
    expect(provider.calls('isComplete', 'Create')).toHaveLength(7);
    expect(timeOf('A', 'CREATE_FAILED') - start).toBe(60 * SECOND);
  });
});
