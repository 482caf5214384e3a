import Module from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ALLOW_DOCUMENTATION_VALUES_ENV } from '../../lib/private/contract';
import type { Ec2Emulator } from '../emulator/ec2-emulator';
import type { Template, TemplateResource } from './synth';

/**
 * A stand-in for CloudFormation plus the `custom-resources` Provider framework, enough to run the library's
 * shipped handler bundle through every lifecycle path against the EC2 emulator:
 *
 * - a discrete-event simulation on the shared clock: each resource operation is a sequence of handler
 *   invocations at simulated times (onEvent, then isComplete at once and every `queryInterval` until
 *   `totalTimeout`). The driver always runs next whatever is due earliest, moving the clock to that time, and
 *   runs the invocations due at the same time concurrently, so their HTTP calls overlap at the emulator;
 * - independent resources in parallel, as CloudFormation: a create or update starts as soon as everything it
 *   depends on (DependsOn and references) is complete; a delete as soon as everything that depends on it is gone;
 * - a failure stops new resource operations; those in progress finish; then the stack rolls back;
 * - the stack's status, with CloudFormation's status words, set in the emulator at every transition so that the
 *   handler reads it with DescribeStacks on the event's StackId;
 * - the Provider framework: a throwing onEvent on Create answers the CREATE_FAILED marker, whose Delete the
 *   framework ignores; a throwing isComplete (or a timeout) fails with the physical id onEvent returned, and the
 *   FAILED response carries onEvent's `Data`; `Data` with `IsComplete: false` is an error; a response (SUCCESS
 *   or FAILED) over 4096 bytes fails as CloudFormation refuses it ("Response object is too long.");
 * - replacement: an Update that returns a new physical id has the old id deleted in
 *   UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, with the resources removed from the template;
 * - update rollback: every resource updated in the failed update, including the one whose update failed, gets an
 *   Update with the properties swapped back, sent to the physical id CloudFormation records (the old one when the
 *   update failed); then, in UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS, the resources the update created and
 *   the physical ids the rollback replaced are deleted. Cleanup failures are events, not stack failures;
 * - a first deployment that fails deletes what it created (ROLLBACK_IN_PROGRESS, then ROLLBACK_COMPLETE); a later
 *   `deploy` deletes such a stack first, as `cdk deploy` does;
 * - DeletionPolicy / UpdateReplacePolicy Retain (RetainExceptOnCreate deletes on a create's rollback);
 * - Lambda: one loaded handler module per concurrently running invocation of each function (execution
 *   environments, reused when idle);
 * - time: for the whole operation, `Date.now()` reads the simulated clock, so that what the handler measures
 *   (e.g. how long ago it made a call) agrees with the minutes the emulator simulates.
 *
 * Only custom resources are acted on; other resources "exist" at once with fake physical ids and attributes.
 */

/** The Provider framework's physical id for a Create whose onEvent failed. */
export const CREATE_FAILED_MARKER = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';
/** The Provider framework's physical id in a response to an event without one. */
const MISSING_PHYSICAL_ID_MARKER = 'AWSCDK::CustomResourceProviderFramework::MISSING_PHYSICAL_ID';

/** What the driver reports as it goes, for assertions and for the demo's progress output. */
export interface StackEvent {
  /** Emulator clock, ms. */
  readonly at: number;
  readonly logicalId: string;
  readonly resourceType: string;
  /** CloudFormation's status words: CREATE_IN_PROGRESS, CREATE_COMPLETE, UPDATE_FAILED, ... */
  readonly status: string;
  readonly physicalId?: string;
  /** The handler's error message (CloudFormation's reason also carries the framework's log pointer and trace). */
  readonly reason?: string;
  /** Set on poll events: how many isComplete calls so far for this operation. */
  readonly poll?: number;
}

/** A change of the stack's own status. */
export interface StackStatusChange {
  /** Emulator clock, ms. */
  readonly at: number;
  /** CREATE_IN_PROGRESS, UPDATE_ROLLBACK_IN_PROGRESS, DELETE_COMPLETE, ... */
  readonly status: string;
}

/** The outcome of one stack operation. */
export interface OperationResult {
  /** CREATE_COMPLETE, UPDATE_COMPLETE, ROLLBACK_COMPLETE, UPDATE_ROLLBACK_COMPLETE, DELETE_COMPLETE, *_FAILED. */
  readonly status: string;
  /** The first failure's reason, if any. */
  readonly reason?: string;
}

/** A resource that exists in the stack. */
export interface LiveResource {
  readonly type: string;
  readonly physicalId: string;
  /** Resolved properties as last applied (custom resources only). */
  readonly properties: Record<string, unknown>;
  readonly attributes: Record<string, string>;
  readonly deletionPolicy?: string;
  readonly updateReplacePolicy?: string;
  readonly dependsOn: string[];
}

/** The result of running one request through the Provider framework. */
interface ProviderResult {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly physicalId: string;
  readonly data: Record<string, string>;
  readonly reason?: string;
}

/** A request CloudFormation sends to the custom resource provider. */
interface ProviderRequest {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
}

/** The two entry points of the handler bundle. */
export interface HandlerModule {
  onEvent(event: unknown): Promise<Record<string, unknown>>;
  isComplete(event: unknown): Promise<Record<string, unknown>>;
}

/**
 * The clock shared with the emulator: polling moves it forward by the query interval instead of sleeping.
 * Handlers read it through Date.now, so it must not read Date.now itself.
 */
export interface Clock {
  now(): number;
  advance(ms: number): void;
}

/** Settings of the driver. */
export interface DriverOptions {
  readonly emulator: Ec2Emulator;
  readonly clock: Clock;
  /** The handler bundle inside cdk.out (see `synthesize`). */
  readonly handlerFile: string;
  readonly stackName?: string;
  /** @default '123456789012' */
  readonly account?: string;
  /** @default 10 s */
  readonly queryIntervalMs?: number;
  /** @default 50 min */
  readonly totalTimeoutMs?: number;
  /** Attributes of non-custom resources, by logical id; an AWS::EC2::IPAM gets an `IpamId` by default. */
  readonly fakeAttributes?: Record<string, Record<string, string>>;
  /** Whether the handler accepts documentation ASNs and CIDRs (the example app uses them). @default true */
  readonly allowDocumentationValues?: boolean;
  /** Called for every stack event. */
  readonly onStackEvent?: (event: StackEvent) => void;
  /** Called for every change of the stack's status. */
  readonly onStackStatus?: (change: StackStatusChange) => void;
  /**
   * Loads a fresh instance of the bundle (one per execution environment). The default compiles it as a new
   * Node module; under Jest, whose tests see a sandboxed `process`, pass a loader that goes through Jest's
   * module registry so that the handler sees the environment the driver sets.
   */
  readonly loadHandler?: (file: string) => HandlerModule;
}

/** The two handler functions of the provider. */
export type HandlerFunction = 'onEvent' | 'isComplete';

const RESPONSE_LIMIT_BYTES = 4096;
const RESPONSE_TOO_LONG = 'Response object is too long.';
/** The line Lambda's Node.js runtime adds to the trace of an error thrown by a handler. */
const RUNTIME_TRACE_LINE = '    at async Runtime.handleOnceNonStreaming (file:///var/runtime/index.mjs:1206:29)';

/**
 * Loads the bundle as a fresh module instance, as a new Lambda execution environment would: its lazily created
 * EC2 client then reads the environment of this test, not of an earlier one.
 */
export function loadHandler(file: string): HandlerModule {
  const mod = new Module(file) as Module & { _compile(code: string, file: string): void; paths: string[] };
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  mod._compile(readFileSync(file, 'utf8'), file);
  return mod.exports as HandlerModule;
}

/** Lambda passes events and results as JSON: undefined values vanish, and anything else unserializable fails. */
function throughJson<T>(value: T): T {
  const text = JSON.stringify(value);
  return (text === undefined ? null : JSON.parse(text)) as T;
}

function dependenciesOf(resource: TemplateResource): string[] {
  const found = new Set<string>([resource.DependsOn ?? []].flat());
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (typeof record.Ref === 'string' && !record.Ref.startsWith('AWS::')) {
        found.add(record.Ref);
      }
      if (Array.isArray(record['Fn::GetAtt'])) {
        found.add(String(record['Fn::GetAtt'][0]));
      }
      Object.values(record).forEach(visit);
    }
  };
  visit(resource.Properties);
  return [...found];
}

/** Logical ids in an order where every resource comes after what it depends on (bounded: n passes at most). */
function creationOrder(resources: Record<string, { dependsOn: string[] }>): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const ids = Object.keys(resources);
  for (let pass = 0; pass <= ids.length && order.length < ids.length; pass++) {
    for (const id of ids) {
      if (!placed.has(id) && resources[id].dependsOn.every((d) => placed.has(d) || !(d in resources))) {
        order.push(id);
        placed.add(id);
      }
    }
  }
  if (order.length !== ids.length) {
    throw new Error(`dependency cycle among ${ids.filter((id) => !placed.has(id)).join(', ')}`);
  }
  return order;
}

function isCustom(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// -------------------------------------------------------------------------------------------------------------
// The scheduler: resource operations with dependencies, run as a discrete-event simulation
// -------------------------------------------------------------------------------------------------------------

/** One resource operation of a phase (create, update, rollback update, delete). */
interface PhaseOp {
  /** Unique within the phase (the logical id). */
  readonly key: string;
  /** Keys of ops of this phase that must be complete first (keys not in the phase are ignored). */
  readonly after: readonly string[];
  /**
   * Called when the op may start: a request for the provider, or `'done'` when nothing needs the provider (it
   * recorded its outcome itself), or a failure found before any request (e.g. a reference that cannot resolve).
   */
  begin(): ProviderRequest | 'done' | { readonly failed: string };
  /** Records the provider's result. */
  end(result: ProviderResult): void;
}

/**
 * What a failure does to the rest of a phase:
 * - `stop`: no op starts after a failure; those in progress finish (creates and updates, as CloudFormation);
 * - `block`: ops that must wait for a failed op never start; the others go on (deletes);
 * - `attempt`: every op runs; a failed op does not hold back the ops after it (cleanup).
 */
type FailureMode = 'stop' | 'block' | 'attempt';

interface PhaseOutcome {
  /** Failure reasons in the order they happened. */
  readonly failures: string[];
  /** Keys of ops that never started. */
  readonly notStarted: string[];
}

/** One provider run in progress: its next invocation is due at `due` (simulated ms). */
interface Run {
  readonly op: PhaseOp;
  due: number;
  result?: ProviderResult;
  step(at: number): Promise<void>;
}

/** CloudFormation and the Provider framework, in one process, against the emulator. */
export class CloudFormationDriver {
  /** The stack's resources as CloudFormation records them. */
  public readonly resources = new Map<string, LiveResource>();
  /** Every event of every operation, in order. */
  public readonly events: StackEvent[] = [];
  /** Every status the stack went through, in order. */
  public readonly statusHistory: StackStatusChange[] = [];
  /** The stack id in every event, and the key of the stack's status in the emulator. */
  public readonly stackId: string;

  private readonly stackName: string;
  private readonly account: string;
  private readonly region = 'us-east-1';
  private readonly queryIntervalMs: number;
  private readonly totalTimeoutMs: number;
  private readonly load: (file: string) => HandlerModule;
  /** Execution environments per function: all loaded, and the idle ones. */
  private readonly environments: Record<HandlerFunction, { all: HandlerModule[]; idle: HandlerModule[] }>;
  /** Lambda function names of the provider's two handler functions (for the framework's log pointer). */
  private functionNames: Record<HandlerFunction, string>;
  private status: string | undefined;
  private requestCounter = 0;

  constructor(private readonly options: DriverOptions) {
    this.load = options.loadHandler ?? loadHandler;
    // Two functions, one bundle, one warm environment each to begin with (a broken bundle fails here).
    const onEvent = this.load(options.handlerFile);
    const isComplete = this.load(options.handlerFile);
    this.environments = {
      onEvent: { all: [onEvent], idle: [onEvent] },
      isComplete: { all: [isComplete], idle: [isComplete] },
    };
    this.stackName = options.stackName ?? 'ByoasnExample';
    this.account = options.account ?? '123456789012';
    this.queryIntervalMs = options.queryIntervalMs ?? 10_000;
    this.totalTimeoutMs = options.totalTimeoutMs ?? 50 * 60_000;
    if (!(this.queryIntervalMs > 0) || !(this.totalTimeoutMs >= 0)) {
      throw new Error('queryIntervalMs must be > 0 and totalTimeoutMs >= 0');
    }
    this.stackId = `arn:aws:cloudformation:${this.region}:${this.account}:stack/${this.stackName}/00000000-0000-0000-0000-000000000000`;
    this.functionNames = { onEvent: `${this.stackName}-onEvent`, isComplete: `${this.stackName}-isComplete` };
  }

  /** The stack's status (undefined before the first operation). */
  public get stackStatus(): string | undefined {
    return this.status;
  }

  /** How many execution environments each handler function has loaded so far. */
  public environmentCount(fn: HandlerFunction): number {
    return this.environments[fn].all.length;
  }

  /** The environment a handler function sees; callers install it with `withEnvironment`. */
  public environment(): Record<string, string> {
    return {
      ...this.options.emulator.clientEnv(),
      AWS_REGION: this.region,
      // The functions' logs would drown the test output; the handler tests check the log lines themselves.
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      [ALLOW_DOCUMENTATION_VALUES_ENV]: String(this.options.allowDocumentationValues ?? true),
    };
  }

  /**
   * Creates the stack, or updates it to `template`. Rolls back on failure, as CloudFormation does. A stack whose
   * creation failed (ROLLBACK_COMPLETE, ROLLBACK_FAILED) is deleted first, as `cdk deploy` does.
   */
  public async deploy(template: Template): Promise<OperationResult> {
    return this.withEnvironment(async () => {
      this.functionNames = this.findFunctionNames(template);
      if (this.status === 'ROLLBACK_COMPLETE' || this.status === 'ROLLBACK_FAILED') {
        const deleted = await this.destroyInner();
        if (deleted.status !== 'DELETE_COMPLETE') {
          return deleted;
        }
      }
      const desired = Object.fromEntries(Object.entries(template.Resources)
        .map(([id, r]) => [id, { resource: r, dependsOn: dependenciesOf(r) }]));
      creationOrder(desired); // refuses cycles
      const first = this.resources.size === 0 || this.status === undefined || this.status === 'DELETE_COMPLETE';
      return first ? this.createStack(desired) : this.updateStack(desired);
    });
  }

  /** Deletes the stack: every resource after those that depend on it, in parallel otherwise, except those retained. */
  public async destroy(): Promise<OperationResult> {
    return this.withEnvironment(() => this.destroyInner());
  }

  /** Physical id of a resource of the stack. */
  public physicalId(logicalId: string): string | undefined {
    return this.resources.get(logicalId)?.physicalId;
  }

  /** Attributes (`Data`) of a resource of the stack. */
  public attributes(logicalId: string): Record<string, string> | undefined {
    return this.resources.get(logicalId)?.attributes;
  }

  /** Runs a whole operation with the handler's environment variables and `Date.now` on the simulated clock. */
  private async withEnvironment<T>(work: () => Promise<T>): Promise<T> {
    const env = this.environment();
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    const realNow = Date.now;
    // Invocations overlap, so the clock is switched for the whole operation, not per invocation.
    Date.now = this.options.clock.now;
    try {
      return await work();
    } finally {
      Date.now = realNow;
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) {
          delete process.env[key];
        } else {
          process.env[key] = value;
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Stack operations
  // ---------------------------------------------------------------------------------------------------------

  private async createStack(desired: Record<string, { resource: TemplateResource; dependsOn: string[] }>): Promise<OperationResult> {
    this.setStatus('CREATE_IN_PROGRESS');
    const ops = creationOrder(desired).map((id) => this.createOp(id, desired[id].resource, desired[id].dependsOn));
    const outcome = await this.runPhase(ops, 'stop');
    if (outcome.failures.length === 0) {
      this.setStatus('CREATE_COMPLETE');
      return { status: 'CREATE_COMPLETE' };
    }
    const reason = outcome.failures[0];
    this.setStatus('ROLLBACK_IN_PROGRESS');
    // Everything the stack holds was created by this operation, including failed creates with a physical id.
    const rollback = await this.runPhase(this.deleteOps([...this.resources.keys()], 'createRollback'), 'block');
    if (rollback.failures.length > 0) {
      this.setStatus('ROLLBACK_FAILED');
      return { status: 'ROLLBACK_FAILED', reason: `${reason} / rollback: ${rollback.failures[0]}` };
    }
    this.setStatus('ROLLBACK_COMPLETE');
    return { status: 'ROLLBACK_COMPLETE', reason };
  }

  private async updateStack(desired: Record<string, { resource: TemplateResource; dependsOn: string[] }>): Promise<OperationResult> {
    this.setStatus('UPDATE_IN_PROGRESS');
    const created: string[] = [];
    /** Resources whose Update was sent (succeeded or failed): their state before, and the properties tried. */
    const attempted = new Map<string, { before: LiveResource; properties: Record<string, unknown> }>();
    const replaced: Array<{ logicalId: string; old: LiveResource }> = [];

    const ops = creationOrder(desired).map((logicalId): PhaseOp => {
      const { resource, dependsOn } = desired[logicalId];
      if (!this.resources.has(logicalId)) {
        const create = this.createOp(logicalId, resource, dependsOn);
        return { ...create, begin: () => (created.push(logicalId), create.begin()) };
      }
      let properties: Record<string, unknown> = {};
      return {
        key: logicalId,
        after: dependsOn,
        begin: () => {
          const before = this.resources.get(logicalId)!;
          const policies = { deletionPolicy: resource.DeletionPolicy, updateReplacePolicy: resource.UpdateReplacePolicy, dependsOn };
          if (!isCustom(resource.Type)) {
            this.resources.set(logicalId, { ...before, ...policies });
            return 'done';
          }
          try {
            properties = this.resolve(resource.Properties ?? {}) as Record<string, unknown>;
          } catch (error) {
            this.emit(logicalId, before.type, 'UPDATE_FAILED', before.physicalId, errorMessage(error));
            return { failed: errorMessage(error) };
          }
          if (JSON.stringify(properties) === JSON.stringify(before.properties)) {
            this.resources.set(logicalId, { ...before, ...policies });
            return 'done';
          }
          attempted.set(logicalId, { before, properties });
          this.emit(logicalId, before.type, 'UPDATE_IN_PROGRESS', before.physicalId);
          return {
            RequestType: 'Update', LogicalResourceId: logicalId, ResourceType: before.type,
            PhysicalResourceId: before.physicalId, ResourceProperties: properties, OldResourceProperties: before.properties,
          };
        },
        end: (result) => {
          const before = this.resources.get(logicalId)!;
          if (result.status === 'FAILED') {
            // CloudFormation keeps the physical id it had when an update fails.
            this.emit(logicalId, before.type, 'UPDATE_FAILED', before.physicalId, result.reason);
            return;
          }
          this.resources.set(logicalId, {
            ...before,
            physicalId: result.physicalId,
            properties,
            attributes: result.data,
            deletionPolicy: resource.DeletionPolicy,
            updateReplacePolicy: resource.UpdateReplacePolicy,
            dependsOn,
          });
          this.emit(logicalId, before.type, 'UPDATE_COMPLETE', result.physicalId);
          if (result.physicalId !== before.physicalId) {
            replaced.push({ logicalId, old: before });
          }
        },
      };
    });
    const outcome = await this.runPhase(ops, 'stop');

    if (outcome.failures.length === 0) {
      this.setStatus('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
      // The old side of each replacement, and the resources the template no longer has.
      const removed = [...this.resources.keys()].filter((id) => !(id in desired));
      await this.runPhase(this.cleanupOps([
        ...replaced.map(({ logicalId, old }) => ({ logicalId, live: old, policy: old.updateReplacePolicy, forget: false })),
        ...removed.map((logicalId) => {
          const live = this.resources.get(logicalId)!;
          return { logicalId, live, policy: live.deletionPolicy, forget: true };
        }),
      ]), 'attempt');
      this.setStatus('UPDATE_COMPLETE');
      return { status: 'UPDATE_COMPLETE' };
    }

    const reason = outcome.failures[0];
    this.setStatus('UPDATE_ROLLBACK_IN_PROGRESS');
    // Every resource whose Update was sent, including those that failed, gets its old properties back, in
    // dependency order; the physical ids the rollback replaces are deleted in the cleanup.
    const rolledBackFrom: Array<{ logicalId: string; live: LiveResource }> = [];
    const rollbackIds = [...attempted.keys()];
    const rollbackOps = creationOrder(Object.fromEntries(rollbackIds.map((id) => [id, attempted.get(id)!.before])))
      .map((logicalId): PhaseOp => {
        const { before, properties } = attempted.get(logicalId)!;
        let current = before;
        return {
          key: logicalId,
          after: before.dependsOn,
          begin: () => {
            current = this.resources.get(logicalId)!;
            this.emit(logicalId, current.type, 'UPDATE_IN_PROGRESS', current.physicalId);
            return {
              RequestType: 'Update', LogicalResourceId: logicalId, ResourceType: current.type,
              PhysicalResourceId: current.physicalId, ResourceProperties: before.properties, OldResourceProperties: properties,
            };
          },
          end: (result) => {
            if (result.status === 'FAILED') {
              this.emit(logicalId, current.type, 'UPDATE_FAILED', current.physicalId, result.reason);
              return;
            }
            this.resources.set(logicalId, { ...before, physicalId: result.physicalId, attributes: { ...before.attributes, ...result.data } });
            this.emit(logicalId, current.type, 'UPDATE_COMPLETE', result.physicalId);
            if (result.physicalId !== current.physicalId) {
              // The physical id the rollback moved away from (the new side of a replacement), as recorded for it.
              rolledBackFrom.push({ logicalId, live: current });
            }
          },
        };
      });
    const rollback = await this.runPhase(rollbackOps, 'stop');
    if (rollback.failures.length > 0) {
      this.setStatus('UPDATE_ROLLBACK_FAILED');
      return { status: 'UPDATE_ROLLBACK_FAILED', reason: `${reason} / rollback: ${rollback.failures[0]}` };
    }
    this.setStatus('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    await this.runPhase(this.cleanupOps([
      ...created.filter((id) => this.resources.has(id)).map((logicalId) => {
        const live = this.resources.get(logicalId)!;
        return { logicalId, live, policy: live.deletionPolicy === 'RetainExceptOnCreate' ? undefined : live.deletionPolicy, forget: true };
      }),
      ...rolledBackFrom.map(({ logicalId, live }) => ({ logicalId, live, policy: live.updateReplacePolicy, forget: false })),
    ]), 'attempt');
    this.setStatus('UPDATE_ROLLBACK_COMPLETE');
    return { status: 'UPDATE_ROLLBACK_COMPLETE', reason };
  }

  private async destroyInner(): Promise<OperationResult> {
    this.setStatus('DELETE_IN_PROGRESS');
    const outcome = await this.runPhase(this.deleteOps([...this.resources.keys()], 'stackDelete'), 'block');
    if (outcome.failures.length > 0) {
      this.setStatus('DELETE_FAILED');
      return { status: 'DELETE_FAILED', reason: outcome.failures[0] };
    }
    this.setStatus('DELETE_COMPLETE');
    return { status: 'DELETE_COMPLETE' };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Resource operations
  // ---------------------------------------------------------------------------------------------------------

  private createOp(logicalId: string, resource: TemplateResource, dependsOn: string[]): PhaseOp {
    const base = { type: resource.Type, deletionPolicy: resource.DeletionPolicy, updateReplacePolicy: resource.UpdateReplacePolicy, dependsOn };
    let properties: Record<string, unknown> = {};
    return {
      key: logicalId,
      after: dependsOn,
      begin: () => {
        if (!isCustom(resource.Type)) {
          const attributes = this.options.fakeAttributes?.[logicalId]
            ?? (resource.Type === 'AWS::EC2::IPAM' ? { IpamId: fakeIpamId(logicalId) } : {});
          this.resources.set(logicalId, { ...base, physicalId: attributes.IpamId ?? `${logicalId}-physical`, properties: {}, attributes });
          return 'done';
        }
        this.emit(logicalId, resource.Type, 'CREATE_IN_PROGRESS');
        try {
          properties = this.resolve(resource.Properties ?? {}) as Record<string, unknown>;
        } catch (error) {
          this.emit(logicalId, resource.Type, 'CREATE_FAILED', undefined, errorMessage(error));
          return { failed: errorMessage(error) };
        }
        return { RequestType: 'Create', LogicalResourceId: logicalId, ResourceType: resource.Type, ResourceProperties: properties };
      },
      end: (result) => {
        if (result.status === 'FAILED') {
          this.emit(logicalId, resource.Type, 'CREATE_FAILED', result.physicalId, result.reason);
          // CloudFormation records the physical id of a failed create; the rollback sends it a Delete.
          this.resources.set(logicalId, { ...base, physicalId: result.physicalId, properties, attributes: {} });
          return;
        }
        this.resources.set(logicalId, { ...base, physicalId: result.physicalId, properties, attributes: result.data });
        this.emit(logicalId, resource.Type, 'CREATE_COMPLETE', result.physicalId);
      },
    };
  }

  /**
   * Deletes of resources the stack holds, each after the resources (among them) that depend on it. A deleted or
   * retained resource leaves the stack; one whose delete fails stays.
   */
  private deleteOps(logicalIds: string[], context: 'stackDelete' | 'createRollback'): PhaseOp[] {
    const ids = new Set(logicalIds);
    return logicalIds.map((logicalId): PhaseOp => {
      const live = this.resources.get(logicalId)!;
      const dependents = logicalIds.filter((other) => this.resources.get(other)!.dependsOn.includes(logicalId));
      const retained = live.deletionPolicy === 'Retain'
        || (live.deletionPolicy === 'RetainExceptOnCreate' && context === 'stackDelete');
      return {
        key: logicalId,
        after: dependents.filter((d) => ids.has(d)),
        begin: () => this.beginDelete(logicalId, live, retained ? 'Retain' : undefined, () => this.resources.delete(logicalId)),
        end: (result) => this.endDelete(logicalId, live, result, () => this.resources.delete(logicalId)),
      };
    });
  }

  /**
   * Cleanup deletes (old sides of replacements, removed resources, resources created by a failed update): each
   * after the items that depend on it; failures are events only. `forget` removes the logical id from the stack.
   */
  private cleanupOps(items: Array<{ logicalId: string; live: LiveResource; policy: string | undefined; forget: boolean }>): PhaseOp[] {
    return items.map((item): PhaseOp => {
      const forget = () => {
        if (item.forget) {
          this.resources.delete(item.logicalId);
        }
      };
      const retained = item.policy === 'Retain' || item.policy === 'RetainExceptOnCreate' ? 'Retain' : undefined;
      return {
        key: item.logicalId,
        after: items.filter((other) => other.live.dependsOn.includes(item.logicalId)).map((other) => other.logicalId),
        begin: () => this.beginDelete(item.logicalId, item.live, retained, forget),
        end: (result) => {
          this.endDelete(item.logicalId, item.live, result, () => undefined);
          // CloudFormation no longer tracks what it failed to clean up: it stays in AWS, out of the stack.
          forget();
        },
      };
    });
  }

  private beginDelete(logicalId: string, live: LiveResource, policy: string | undefined, gone: () => void): ProviderRequest | 'done' {
    if (!isCustom(live.type)) {
      gone();
      return 'done';
    }
    if (policy === 'Retain') {
      this.emit(logicalId, live.type, 'DELETE_SKIPPED', live.physicalId);
      gone();
      return 'done';
    }
    this.emit(logicalId, live.type, 'DELETE_IN_PROGRESS', live.physicalId);
    return {
      RequestType: 'Delete', LogicalResourceId: logicalId, ResourceType: live.type,
      PhysicalResourceId: live.physicalId, ResourceProperties: live.properties,
    };
  }

  private endDelete(logicalId: string, live: LiveResource, result: ProviderResult, gone: () => void): void {
    if (result.status === 'FAILED') {
      this.emit(logicalId, live.type, 'DELETE_FAILED', live.physicalId, result.reason);
      return;
    }
    this.emit(logicalId, live.type, 'DELETE_COMPLETE', live.physicalId);
    gone();
  }

  // ---------------------------------------------------------------------------------------------------------
  // The scheduler
  // ---------------------------------------------------------------------------------------------------------

  /**
   * Runs a phase to its end: starts every op whose predecessors are complete, then repeatedly moves the clock
   * to the earliest due invocation and runs all invocations due by then concurrently.
   */
  private async runPhase(ops: PhaseOp[], mode: FailureMode): Promise<PhaseOutcome> {
    const keys = new Set(ops.map((op) => op.key));
    const state = new Map<string, 'waiting' | 'running' | 'ok' | 'failed'>(ops.map((op) => [op.key, 'waiting']));
    const failures: string[] = [];
    const runs: Run[] = [];
    const ready = (op: PhaseOp) => op.after.every((k) => !keys.has(k) || state.get(k) === 'ok' || (mode === 'attempt' && state.get(k) === 'failed'));
    const settle = (op: PhaseOp, ok: boolean, reason?: string) => {
      state.set(op.key, ok ? 'ok' : 'failed');
      if (!ok) {
        failures.push(reason ?? 'failed');
      }
    };
    const maxPolls = Math.floor(this.totalTimeoutMs / this.queryIntervalMs) + 1;
    const maxIterations = (ops.length + 1) * (maxPolls + 4);
    for (let iteration = 0; iteration < maxIterations; iteration++) {
      // Start what may start (instant ops may unblock others: repeat, at most once per op).
      for (let pass = 0; pass <= ops.length; pass++) {
        let started = false;
        for (const op of ops) {
          if ((mode === 'stop' && failures.length > 0) || state.get(op.key) !== 'waiting' || !ready(op)) {
            continue;
          }
          started = true;
          const begun = op.begin();
          if (begun === 'done') {
            settle(op, true);
          } else if ('failed' in begun) {
            settle(op, false, begun.failed);
          } else {
            state.set(op.key, 'running');
            runs.push(this.providerRun(op, begun));
          }
        }
        if (!started) {
          break;
        }
      }
      const active = runs.filter((r) => r.result === undefined);
      if (active.length === 0) {
        return { failures, notStarted: ops.filter((op) => state.get(op.key) === 'waiting').map((op) => op.key) };
      }
      const due = Math.min(...active.map((r) => r.due));
      const now = this.options.clock.now();
      if (due > now) {
        this.options.clock.advance(due - now);
      }
      const at = this.options.clock.now();
      const batch = active.filter((r) => r.due <= at);
      await Promise.all(batch.map((r) => r.step(at)));
      for (const run of batch) {
        if (run.result !== undefined) {
          run.op.end(run.result);
          settle(run.op, run.result.status === 'SUCCESS', run.result.reason);
        }
      }
    }
    throw new Error(`the driver did not finish a phase within ${maxIterations} steps`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // The Provider framework
  // ---------------------------------------------------------------------------------------------------------

  /** One request through the Provider framework, as a sequence of invocations at simulated times. */
  private providerRun(op: PhaseOp, request: ProviderRequest): Run {
    const requestId = `request-${++this.requestCounter}`;
    const event: Record<string, unknown> = {
      ...request,
      ServiceToken: String(request.ResourceProperties.ServiceToken),
      ResponseURL: '...',
      StackId: this.stackId,
      RequestId: requestId,
    };
    const maxPolls = Math.floor(this.totalTimeoutMs / this.queryIntervalMs) + 1;
    let completeEvent: Record<string, unknown> | undefined;
    let polls = 0;
    const run: Run = { op, due: this.options.clock.now(), step: async () => undefined };

    /** A FAILED response about `responseEvent`, as the framework sends it (with its Data), unless too long. */
    const fail = (responseEvent: Record<string, unknown>, message: string, reason: string): ProviderResult => {
      const physicalId = typeof responseEvent.PhysicalResourceId === 'string' && responseEvent.PhysicalResourceId !== ''
        ? responseEvent.PhysicalResourceId
        : request.RequestType === 'Create' ? CREATE_FAILED_MARKER : '';
      const tooLong = this.tooLong({
        Status: 'FAILED', Reason: reason, StackId: this.stackId, RequestId: requestId,
        PhysicalResourceId: physicalId || MISSING_PHYSICAL_ID_MARKER, LogicalResourceId: request.LogicalResourceId, Data: responseEvent.Data,
      });
      return { status: 'FAILED', physicalId, data: {}, reason: tooLong ? RESPONSE_TOO_LONG : message };
    };

    run.step = async (at: number) => {
      if (completeEvent === undefined) {
        // The framework answers a Delete of a failed Create itself, without calling the handler.
        if (request.RequestType === 'Delete' && request.PhysicalResourceId === CREATE_FAILED_MARKER) {
          run.result = { status: 'SUCCESS', physicalId: CREATE_FAILED_MARKER, data: {} };
          return;
        }
        let onEventResult: Record<string, unknown>;
        try {
          onEventResult = (await this.invoke('onEvent', event)) ?? {};
        } catch (error) {
          run.result = fail(event, errorMessage(error), this.userErrorReason('onEvent', error));
          return;
        }
        const physicalId = String(onEventResult.PhysicalResourceId || (request.RequestType === 'Create' ? requestId : request.PhysicalResourceId));
        if (request.RequestType === 'Delete' && physicalId !== request.PhysicalResourceId) {
          const message = `DELETE: cannot change the physical resource ID from "${request.PhysicalResourceId}" to "${physicalId}" during deletion`;
          run.result = fail(event, message, message);
          return;
        }
        completeEvent = { ...event, ...onEventResult, PhysicalResourceId: physicalId };
        run.due = at; // isComplete at once
        return;
      }
      polls += 1;
      let result: Record<string, unknown> | null;
      try {
        result = await this.invoke('isComplete', completeEvent);
      } catch (error) {
        run.result = fail(completeEvent, errorMessage(error), this.userErrorReason('isComplete', error));
        return;
      }
      if (result === null || typeof result !== 'object') {
        const message = `isComplete returned ${JSON.stringify(result)}`;
        run.result = fail(completeEvent, message, message);
        return;
      }
      if (result.IsComplete) {
        const response: Record<string, unknown> = {
          ...completeEvent, ...result, Data: { ...(completeEvent.Data as object | undefined), ...(result.Data as object | undefined) },
        };
        const physicalId = String(response.PhysicalResourceId);
        const data = response.Data as Record<string, string>;
        const tooLong = this.tooLong({
          Status: 'SUCCESS', Reason: 'SUCCESS', StackId: this.stackId, RequestId: requestId,
          PhysicalResourceId: physicalId, LogicalResourceId: request.LogicalResourceId, Data: data,
        });
        run.result = tooLong ? { status: 'FAILED', physicalId, data: {}, reason: RESPONSE_TOO_LONG } : { status: 'SUCCESS', physicalId, data };
        return;
      }
      if (result.Data !== undefined && result.Data !== null && Object.keys(result.Data as object).length > 0) {
        const message = '"Data" is not allowed if "IsComplete" is "False"';
        run.result = fail(completeEvent, message, message);
        return;
      }
      this.emit(request.LogicalResourceId, request.ResourceType, `${request.RequestType.toUpperCase()}_IN_PROGRESS`,
        String(completeEvent.PhysicalResourceId), undefined, polls);
      if (polls >= maxPolls) {
        // The waiter's retries are used up: the framework's timeout handler fails with the isComplete input.
        run.result = fail(completeEvent, 'Operation timed out', 'Operation timed out');
        return;
      }
      run.due = at + this.queryIntervalMs;
    };
    return run;
  }

  /** Invokes a handler function in an idle execution environment, or a new one; events and results go through JSON. */
  private async invoke(fn: HandlerFunction, event: Record<string, unknown>): Promise<Record<string, unknown> | null> {
    const pool = this.environments[fn];
    let environment = pool.idle.pop();
    if (environment === undefined) {
      environment = this.load(this.options.handlerFile);
      pool.all.push(environment);
    }
    try {
      return throughJson(await environment[fn](throughJson(event)));
    } finally {
      pool.idle.push(environment);
    }
  }

  /**
   * The Reason the framework sends for an error of a handler function: the message, a pointer to the function's
   * logs, and the Lambda trace (the error's frames in the handler file, as /var/task/index.js).
   */
  private userErrorReason(fn: HandlerFunction, error: unknown): string {
    const message = [errorMessage(error), '', `Logs: /aws/lambda/${this.functionNames[fn]}`, ''].join('\n');
    const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack.split('\n') : [];
    const frames = stack.filter((line) => /^\s+at /.test(line) && line.includes(this.options.handlerFile))
      .map((line) => line.split(this.options.handlerFile).join('/var/task/index.js'));
    return [message, ...frames, RUNTIME_TRACE_LINE].join('\n');
  }

  private tooLong(response: Record<string, unknown>): boolean {
    return Buffer.byteLength(JSON.stringify(response)) > RESPONSE_LIMIT_BYTES;
  }

  /** The names Lambda gives the provider's onEvent and isComplete functions (stack name and logical id). */
  private findFunctionNames(template: Template): Record<HandlerFunction, string> {
    const names = { ...this.functionNames };
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      const handler = resource.Type === 'AWS::Lambda::Function' ? String(resource.Properties?.Handler) : '';
      const fn = handler === 'index.onEvent' ? 'onEvent' : handler === 'index.isComplete' ? 'isComplete' : undefined;
      if (fn !== undefined) {
        names[fn] = `${this.stackName}-${logicalId}`.slice(0, 64);
      }
    }
    return names;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Intrinsic functions, status and events
  // ---------------------------------------------------------------------------------------------------------

  private resolve(value: unknown): unknown {
    if (Array.isArray(value)) {
      return value.map((v) => this.resolve(v));
    }
    if (value === null || typeof value !== 'object') {
      return value;
    }
    const record = value as Record<string, unknown>;
    if (typeof record.Ref === 'string') {
      return this.ref(record.Ref);
    }
    if (Array.isArray(record['Fn::GetAtt'])) {
      const [logicalId, attribute] = record['Fn::GetAtt'] as [string, string];
      if (attribute === 'Arn') {
        return `arn:aws:lambda:${this.region}:${this.account}:function:${this.stackName}-${logicalId}`;
      }
      const found = this.resources.get(logicalId)?.attributes[attribute];
      if (found === undefined) {
        throw new Error(`Fn::GetAtt ${logicalId}.${attribute} has no value`);
      }
      return found;
    }
    if (Array.isArray(record['Fn::Join'])) {
      const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => this.resolve(p)).join(separator);
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, this.resolve(v)]));
  }

  private ref(name: string): string {
    switch (name) {
      case 'AWS::Partition': return 'aws';
      case 'AWS::Region': return this.region;
      case 'AWS::AccountId': return this.account;
      case 'AWS::StackName': return this.stackName;
      case 'AWS::StackId': return this.stackId;
      case 'AWS::URLSuffix': return 'amazonaws.com';
    }
    const live = this.resources.get(name);
    if (live === undefined) {
      throw new Error(`Ref ${name}: no such resource yet`);
    }
    return live.physicalId;
  }

  /** Records a stack status and publishes it through the emulator's DescribeStacks. */
  private setStatus(status: string): void {
    this.status = status;
    const change: StackStatusChange = { at: this.options.clock.now(), status };
    this.statusHistory.push(change);
    this.options.emulator.setStackStatus(this.stackId, status);
    this.options.onStackStatus?.(change);
  }

  private emit(logicalId: string, resourceType: string, status: string, physicalId?: string, reason?: string, poll?: number): void {
    const event: StackEvent = { at: this.options.clock.now(), logicalId, resourceType, status, physicalId, reason, poll };
    this.events.push(event);
    this.options.onStackEvent?.(event);
  }
}

/** A stable fake IPAM id of the right form, derived from the logical id. */
export function fakeIpamId(logicalId: string): string {
  let hash = 0;
  for (const char of logicalId) {
    hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  }
  return `ipam-${hash.toString(16).padStart(8, '0')}${'0'.repeat(9)}`;
}
