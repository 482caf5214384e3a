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
 * - create, update and delete in dependency order (DependsOn and references), deletes in reverse;
 * - the Provider framework: onEvent, then isComplete immediately and every `queryInterval` (on the emulator's
 *   manual clock) until `totalTimeout`; a throwing onEvent on Create answers the CREATE_FAILED marker, whose
 *   Delete the framework ignores; a throwing isComplete fails with the physical id onEvent returned; `Data`
 *   with `IsComplete: false` is an error; a response over 4096 bytes fails as CloudFormation refuses it;
 * - replacement: an Update that returns a new physical id has the old id deleted in the cleanup phase;
 * - rollback: a failed deployment rolls back resources already created (Delete) and updated (an Update with
 *   the properties swapped back, sent to the resource's current physical id; a changed id is deleted);
 * - DeletionPolicy / UpdateReplacePolicy Retain;
 * - time: while a handler function runs, `Date.now()` reads the simulated clock, so that what the handler
 *   measures (e.g. how long ago it made a call) agrees with the minutes the emulator simulates.
 *
 * Only custom resources are acted on; other resources "exist" at once with fake physical ids and attributes.
 */

/** The Provider framework's physical id for a Create whose onEvent failed. */
export const CREATE_FAILED_MARKER = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';

/** What the driver reports as it goes, for assertions and for the demo's progress output. */
export interface StackEvent {
  /** Emulator clock, ms. */
  readonly at: number;
  readonly logicalId: string;
  readonly resourceType: string;
  /** CloudFormation's status words: CREATE_IN_PROGRESS, CREATE_COMPLETE, UPDATE_FAILED, ... */
  readonly status: string;
  readonly physicalId?: string;
  readonly reason?: string;
  /** Set on poll events: how many isComplete calls so far for this operation. */
  readonly poll?: number;
}

/** The outcome of one stack operation. */
export interface OperationResult {
  /** CREATE_COMPLETE, UPDATE_COMPLETE, ROLLBACK_COMPLETE, UPDATE_ROLLBACK_COMPLETE, DELETE_COMPLETE, *_FAILED. */
  readonly status: string;
  /** The first failure's reason, if any. */
  readonly reason?: string;
}

/** A resource that exists in the stack. */
interface LiveResource {
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
  /**
   * Loads a fresh instance of the bundle. The default compiles it as a new Node module; under Jest, whose tests
   * see a sandboxed `process`, pass a loader that goes through Jest's module registry so that the handler sees
   * the environment the driver sets.
   */
  readonly loadHandler?: (file: string) => HandlerModule;
}

const RESPONSE_LIMIT_BYTES = 4096;

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
  return JSON.parse(JSON.stringify(value)) as T;
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

/** CloudFormation and the Provider framework, in one process, against the emulator. */
export class CloudFormationDriver {
  /** The stack's resources as CloudFormation records them. */
  public readonly resources = new Map<string, LiveResource>();
  /** Every event of every operation, in order. */
  public readonly events: StackEvent[] = [];

  private readonly onEventFunction: HandlerModule;
  private readonly isCompleteFunction: HandlerModule;
  private readonly stackName: string;
  private readonly account: string;
  private readonly region = 'us-east-1';
  private readonly queryIntervalMs: number;
  private readonly totalTimeoutMs: number;
  private requestCounter = 0;
  /** Failed creates that left a physical id behind: the rollback deletes them. */
  private readonly failedCreates = new Set<string>();

  constructor(private readonly options: DriverOptions) {
    // Two functions, two execution environments, one bundle: as the provider deploys them.
    const load = options.loadHandler ?? loadHandler;
    this.onEventFunction = load(options.handlerFile);
    this.isCompleteFunction = load(options.handlerFile);
    this.stackName = options.stackName ?? 'ByoasnExample';
    this.account = options.account ?? '123456789012';
    this.queryIntervalMs = options.queryIntervalMs ?? 10_000;
    this.totalTimeoutMs = options.totalTimeoutMs ?? 50 * 60_000;
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

  /** Creates the stack, or updates it to `template`. Rolls back on failure, as CloudFormation does. */
  public async deploy(template: Template): Promise<OperationResult> {
    return this.withEnvironment(() => this.deployInner(template));
  }

  /** Deletes the stack: every resource in reverse dependency order, except those retained. */
  public async destroy(): Promise<OperationResult> {
    return this.withEnvironment(async () => {
      const order = creationOrder(Object.fromEntries(this.resources)).reverse();
      for (const logicalId of order) {
        const live = this.resources.get(logicalId)!;
        const failure = await this.deleteResource(logicalId, live, live.deletionPolicy);
        if (failure !== undefined) {
          return { status: 'DELETE_FAILED', reason: failure };
        }
        this.resources.delete(logicalId);
      }
      return { status: 'DELETE_COMPLETE' };
    });
  }

  /** Physical id of a resource of the stack. */
  public physicalId(logicalId: string): string | undefined {
    return this.resources.get(logicalId)?.physicalId;
  }

  /** Attributes (`Data`) of a resource of the stack. */
  public attributes(logicalId: string): Record<string, string> | undefined {
    return this.resources.get(logicalId)?.attributes;
  }

  private async withEnvironment<T>(work: () => Promise<T>): Promise<T> {
    const env = this.environment();
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      return await work();
    } finally {
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

  private async deployInner(template: Template): Promise<OperationResult> {
    const firstDeployment = this.resources.size === 0;
    const desired = Object.fromEntries(Object.entries(template.Resources)
      .map(([id, r]) => [id, { resource: r, dependsOn: dependenciesOf(r) }]));
    const created: string[] = [];
    const updated: Array<{ logicalId: string; before: LiveResource }> = [];
    const replaced: Array<{ logicalId: string; old: LiveResource }> = [];

    let failure: string | undefined;
    for (const logicalId of creationOrder(desired)) {
      const { resource, dependsOn } = desired[logicalId];
      const before = this.resources.get(logicalId);
      if (before === undefined) {
        failure = await this.createResource(logicalId, resource, dependsOn);
        if (failure !== undefined) {
          break;
        }
        created.push(logicalId);
        continue;
      }
      if (!isCustom(resource.Type)) {
        continue;
      }
      const properties = this.resolve(resource.Properties ?? {}) as Record<string, unknown>;
      if (JSON.stringify(properties) === JSON.stringify(before.properties)) {
        continue;
      }
      const result = await this.updateResource(logicalId, before, resource, properties, dependsOn);
      if (result.status === 'FAILED') {
        failure = result.reason;
        break;
      }
      updated.push({ logicalId, before });
      if (result.physicalId !== before.physicalId) {
        replaced.push({ logicalId, old: before });
      }
    }

    if (failure !== undefined) {
      return this.rollback(firstDeployment, created, updated, failure);
    }

    // Cleanup: the old side of each replacement, then the resources the template no longer has.
    for (const { logicalId, old } of replaced.reverse()) {
      await this.deleteResource(logicalId, old, old.updateReplacePolicy);
    }
    const removed = [...this.resources.keys()].filter((id) => !(id in desired));
    const removedOrder = creationOrder(Object.fromEntries(removed.map((id) => [id, this.resources.get(id)!]))).reverse();
    for (const logicalId of removedOrder) {
      await this.deleteResource(logicalId, this.resources.get(logicalId)!, this.resources.get(logicalId)!.deletionPolicy);
      this.resources.delete(logicalId);
    }
    return { status: firstDeployment ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE' };
  }

  private async rollback(
    firstDeployment: boolean,
    created: string[],
    updated: Array<{ logicalId: string; before: LiveResource }>,
    reason: string,
  ): Promise<OperationResult> {
    const failedStatus = firstDeployment ? 'ROLLBACK_FAILED' : 'UPDATE_ROLLBACK_FAILED';
    // Updated resources get their old properties back (an Update with the properties swapped).
    for (const { logicalId, before } of [...updated].reverse()) {
      const current = this.resources.get(logicalId)!;
      const result = await this.runUpdate(logicalId, current, before.properties, current.properties);
      if (result.status === 'FAILED') {
        return { status: failedStatus, reason: `${reason} / rollback: ${result.reason}` };
      }
      this.resources.set(logicalId, { ...before, physicalId: result.physicalId, attributes: { ...before.attributes, ...result.data } });
      if (result.physicalId !== current.physicalId) {
        await this.deleteResource(logicalId, current, undefined);
      }
    }
    // The old side of a replacement needs nothing: it was never deleted (cleanup runs only after success).
    // Resources created by this deployment, including the one that failed (it may hold a physical id).
    const toDelete = [...created, ...[...this.resources.keys()].filter((id) => this.failedCreates.has(id))];
    for (const logicalId of [...new Set(toDelete)].reverse()) {
      const live = this.resources.get(logicalId);
      if (live === undefined) {
        continue;
      }
      const failure = await this.deleteResource(logicalId, live, undefined);
      if (failure !== undefined) {
        return { status: failedStatus, reason: `${reason} / rollback: ${failure}` };
      }
      this.resources.delete(logicalId);
      this.failedCreates.delete(logicalId);
    }
    return { status: firstDeployment ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE', reason };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Resource operations
  // ---------------------------------------------------------------------------------------------------------

  private async createResource(logicalId: string, resource: TemplateResource, dependsOn: string[]): Promise<string | undefined> {
    const base = { type: resource.Type, deletionPolicy: resource.DeletionPolicy, updateReplacePolicy: resource.UpdateReplacePolicy, dependsOn };
    if (!isCustom(resource.Type)) {
      const attributes = this.options.fakeAttributes?.[logicalId]
        ?? (resource.Type === 'AWS::EC2::IPAM' ? { IpamId: fakeIpamId(logicalId) } : {});
      this.resources.set(logicalId, { ...base, physicalId: attributes.IpamId ?? `${logicalId}-physical`, properties: {}, attributes });
      return undefined;
    }
    const properties = this.resolve(resource.Properties ?? {}) as Record<string, unknown>;
    this.emit(logicalId, resource.Type, 'CREATE_IN_PROGRESS');
    const result = await this.runProvider({ RequestType: 'Create', LogicalResourceId: logicalId, ResourceType: resource.Type, ResourceProperties: properties });
    if (result.status === 'FAILED') {
      this.emit(logicalId, resource.Type, 'CREATE_FAILED', result.physicalId, result.reason);
      // CloudFormation records the physical id of a failed create; the rollback sends it a Delete.
      this.resources.set(logicalId, { ...base, physicalId: result.physicalId, properties, attributes: {} });
      this.failedCreates.add(logicalId);
      return result.reason;
    }
    this.resources.set(logicalId, { ...base, physicalId: result.physicalId, properties, attributes: result.data });
    this.emit(logicalId, resource.Type, 'CREATE_COMPLETE', result.physicalId);
    return undefined;
  }

  private async updateResource(
    logicalId: string, before: LiveResource, resource: TemplateResource, properties: Record<string, unknown>, dependsOn: string[],
  ): Promise<ProviderResult> {
    const result = await this.runUpdate(logicalId, before, properties, before.properties);
    if (result.status === 'SUCCESS') {
      this.resources.set(logicalId, {
        ...before,
        physicalId: result.physicalId,
        properties,
        attributes: result.data,
        deletionPolicy: resource.DeletionPolicy,
        updateReplacePolicy: resource.UpdateReplacePolicy,
        dependsOn,
      });
    }
    return result;
  }

  private async runUpdate(
    logicalId: string, current: LiveResource, properties: Record<string, unknown>, oldProperties: Record<string, unknown>,
  ): Promise<ProviderResult> {
    this.emit(logicalId, current.type, 'UPDATE_IN_PROGRESS', current.physicalId);
    const result = await this.runProvider({
      RequestType: 'Update',
      LogicalResourceId: logicalId,
      ResourceType: current.type,
      PhysicalResourceId: current.physicalId,
      ResourceProperties: properties,
      OldResourceProperties: oldProperties,
    });
    if (result.status === 'FAILED') {
      this.emit(logicalId, current.type, 'UPDATE_FAILED', current.physicalId, result.reason);
      // CloudFormation keeps the physical id it had when an update fails.
      return { ...result, physicalId: current.physicalId };
    }
    this.emit(logicalId, current.type, 'UPDATE_COMPLETE', result.physicalId);
    return result;
  }

  /** Deletes one resource; returns the failure reason, if any. Retained resources are left alone. */
  private async deleteResource(logicalId: string, live: LiveResource, policy: string | undefined): Promise<string | undefined> {
    if (!isCustom(live.type)) {
      return undefined;
    }
    if (policy === 'Retain' || policy === 'RetainExceptOnCreate') {
      this.emit(logicalId, live.type, 'DELETE_SKIPPED', live.physicalId);
      return undefined;
    }
    this.emit(logicalId, live.type, 'DELETE_IN_PROGRESS', live.physicalId);
    const result = await this.runProvider({
      RequestType: 'Delete',
      LogicalResourceId: logicalId,
      ResourceType: live.type,
      PhysicalResourceId: live.physicalId,
      ResourceProperties: live.properties,
    });
    if (result.status === 'FAILED') {
      this.emit(logicalId, live.type, 'DELETE_FAILED', live.physicalId, result.reason);
      return result.reason;
    }
    this.emit(logicalId, live.type, 'DELETE_COMPLETE', live.physicalId);
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------------------
  // The Provider framework
  // ---------------------------------------------------------------------------------------------------------

  private async runProvider(request: {
    RequestType: 'Create' | 'Update' | 'Delete';
    LogicalResourceId: string;
    ResourceType: string;
    PhysicalResourceId?: string;
    ResourceProperties: Record<string, unknown>;
    OldResourceProperties?: Record<string, unknown>;
  }): Promise<ProviderResult> {
    const requestId = `request-${++this.requestCounter}`;
    const event = {
      ...request,
      ServiceToken: String(request.ResourceProperties.ServiceToken),
      ResponseURL: '...',
      StackId: `arn:aws:cloudformation:${this.region}:${this.account}:stack/${this.stackName}/00000000-0000-0000-0000-000000000000`,
      RequestId: requestId,
    };
    // The framework answers a Delete of a failed Create itself, without calling the handler.
    if (request.RequestType === 'Delete' && request.PhysicalResourceId === CREATE_FAILED_MARKER) {
      return { status: 'SUCCESS', physicalId: CREATE_FAILED_MARKER, data: {} };
    }
    const failed = (physicalId: string | undefined, reason: string): ProviderResult => ({
      status: 'FAILED',
      physicalId: physicalId ?? (request.RequestType === 'Create' ? CREATE_FAILED_MARKER : ''),
      data: {},
      reason,
    });

    let onEventResult: Record<string, unknown>;
    try {
      onEventResult = throughJson(await this.atSimulatedTime(() => this.onEventFunction.onEvent(throughJson(event))));
    } catch (error) {
      return failed(request.PhysicalResourceId, (error as Error).message);
    }
    const physicalId = String(onEventResult.PhysicalResourceId || (request.RequestType === 'Create' ? requestId : request.PhysicalResourceId));
    if (request.RequestType === 'Delete' && physicalId !== request.PhysicalResourceId) {
      return failed(request.PhysicalResourceId, `DELETE: cannot change the physical resource ID from "${request.PhysicalResourceId}" to "${physicalId}" during deletion`);
    }
    const completeEvent = { ...event, ...onEventResult, PhysicalResourceId: physicalId };
    const maxPolls = Math.floor(this.totalTimeoutMs / this.queryIntervalMs) + 1;
    for (let poll = 1; poll <= maxPolls; poll++) {
      let result: Record<string, unknown>;
      try {
        result = throughJson(await this.atSimulatedTime(() => this.isCompleteFunction.isComplete(throughJson(completeEvent))));
      } catch (error) {
        return failed(physicalId, (error as Error).message);
      }
      if (result.IsComplete === true) {
        const data = { ...(onEventResult.Data as Record<string, string> | undefined), ...(result.Data as Record<string, string> | undefined) };
        const response = JSON.stringify({ Status: 'SUCCESS', PhysicalResourceId: physicalId, StackId: event.StackId, RequestId: requestId, LogicalResourceId: request.LogicalResourceId, Data: data });
        if (Buffer.byteLength(response) > RESPONSE_LIMIT_BYTES) {
          return failed(physicalId, 'Response object is too long.');
        }
        return { status: 'SUCCESS', physicalId, data };
      }
      if (result.Data !== undefined && Object.keys(result.Data as object).length > 0) {
        return failed(physicalId, '"Data" is not allowed if "IsComplete" is "False"');
      }
      this.emit(request.LogicalResourceId, request.ResourceType, `${request.RequestType.toUpperCase()}_IN_PROGRESS`, physicalId, undefined, poll);
      this.options.clock.advance(this.queryIntervalMs);
    }
    return failed(physicalId, 'Operation timed out');
  }

  /** Runs a handler invocation with `Date.now` reading the simulated clock (the clock must not use Date.now). */
  private async atSimulatedTime<T>(invoke: () => Promise<T>): Promise<T> {
    const realNow = Date.now;
    Date.now = this.options.clock.now;
    try {
      return await invoke();
    } finally {
      Date.now = realNow;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Intrinsic functions and events
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
      case 'AWS::URLSuffix': return 'amazonaws.com';
    }
    const live = this.resources.get(name);
    if (live === undefined) {
      throw new Error(`Ref ${name}: no such resource yet`);
    }
    return live.physicalId;
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
