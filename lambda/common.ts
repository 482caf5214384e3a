/**
 * What every resource handler shares: the shapes of the events and responses of the CloudFormation custom
 * resource Provider framework, and a base class that turns a request into one of six methods.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { Ec2Api, errorName } from './ec2';
import { HandlerError, awsErrorText } from './errors';
import { MAX_AWS_TEXT_BYTES, truncateUtf8 } from './limits';
import { redact, scrubSecrets } from './logger';
import type { CloudFormationApi } from './stack';

/** The three CloudFormation request types. */
export type RequestType = 'Create' | 'Update' | 'Delete';

/** A CloudFormation custom resource request, as the Provider framework passes it to `onEvent`. */
export interface CustomResourceEvent<P = object> {
  readonly RequestType: RequestType;
  readonly ResourceType: string;
  readonly LogicalResourceId: string;
  /** Absent on Create. */
  readonly PhysicalResourceId?: string;
  readonly RequestId: string;
  readonly StackId: string;
  /** ARN of the function CloudFormation invoked (the Provider framework's onEvent function). */
  readonly ServiceToken: string;
  readonly ResponseURL: string;
  /** The properties, every value a string; `ServiceToken` is among them too. */
  readonly ResourceProperties: P;
  /** The previous properties, on Update only. */
  readonly OldResourceProperties?: P;
}

/** Response `Data`: attribute values, all strings. */
export type ResponseData = Record<string, string>;

/**
 * How long the Describe calls may lag behind a change (EC2's reads are eventually consistent), as the
 * handler allows for it: a failed record that equals the one our call superseded is taken for that old record
 * this long after the call; a refusal that may be about our own request is waited on this long; a Delete during
 * a rollback that finds nothing re-reads this long.
 */
export const CONSISTENCY_WINDOW_MS = 2 * 60 * 1000;

/** The failed record (`failed-provision`, `failed-association`) that onEvent's create call replaced. */
export interface SupersededRecord {
  /** The state the record had when we read it before the call, e.g. `failed-provision`. */
  readonly State: string;
  /** Its StatusMessage, secrets scrubbed and capped at `MAX_AWS_TEXT_BYTES`; '' when AWS gave none. */
  readonly StatusMessage: string;
}

/** What isComplete must bring about. */
export type Goal =
  /** The target of the physical id exists (provisioned, associated). */
  | 'created'
  /** The target of the physical id is gone. */
  | 'deleted'
  /** Nothing changes for the target of the physical id (an in-place update): report it as it is. */
  | 'unchanged';

/** What onEvent left to isComplete, when the stack's status could not be read in time. */
export type StatusQuestion =
  /** The target exists and adoptExisting is false: take it back in an update rollback, else refuse it. */
  | 'may-take-back'
  /** A Delete found nothing: while the stack rolls back, re-read for the consistency window. */
  | 'confirm-if-rolling-back'
  /** An in-place update found a target that a failed replacement started: remove it if the update rolls back. */
  | 'remove-orphan-if-rolling-back';

/**
 * What onEvent hands over to isComplete: what comes next, decided once. It travels as the TOP-LEVEL field
 * `Next` of onEvent's response, never inside `Data`: the Provider framework passes isComplete the request
 * merged with every field of onEvent's response (the same event to every poll), but sends CloudFormation only
 * `PhysicalResourceId` and `Data`. So it never becomes a resource attribute. JSON only, and small.
 */
export interface Handover {
  readonly Goal: Goal;
  /**
   * True when the call toward the goal has been made (or the target was taken over as it was): isComplete
   * only waits. False when onEvent had to wait first (for an operation in progress, a state it did not know):
   * isComplete makes the call once the state allows it.
   */
  readonly Acted: boolean;
  /** `Date.now()` when onEvent answered: the start of every window counted here. */
  readonly At: number;
  /** The failed record that our create call replaced: read again within the window, it is that old record. */
  readonly Superseded?: SupersededRecord;
  /**
   * AWS refused our call after an earlier attempt of it may have been applied (a dropped connection, a timeout,
   * a 5xx answer): the refusal may be about our own request. isComplete waits for that request to become visible
   * for the consistency window at most, then fails with this message.
   */
  readonly Refused?: string;
  /** A Delete during a rollback that found nothing: absent counts only once the window has passed. */
  readonly ConfirmAbsence?: boolean;
  /** A question about the stack's status that isComplete must answer first. */
  readonly Ask?: StatusQuestion;
  /**
   * A rollback Update after a failed replacement: the physical id of the target that the failed update started
   * and nobody else owns. isComplete removes it first, then reports the target of the physical id.
   */
  readonly Orphan?: string;
}

/** What `onEvent` returns. */
export interface OnEventResponse {
  readonly PhysicalResourceId: string;
  /** Attributes; the Provider framework merges them with those that `isComplete` returns. */
  readonly Data?: ResponseData;
  /** What isComplete does next; absent when there is nothing to wait for. */
  readonly Next?: Handover;
}

/** What the Provider framework passes to `isComplete`: the request merged with onEvent's response. */
export interface IsCompleteEvent<P = object> extends CustomResourceEvent<P> {
  readonly PhysicalResourceId: string;
  readonly Data?: ResponseData;
  readonly Next?: Handover;
}

/** The event a handler works on: the request, and for `isComplete` the fields of onEvent's response too. */
export type HandlerEvent<P> = CustomResourceEvent<P> & { readonly Data?: ResponseData; readonly Next?: Handover };

/** What `isComplete` returns. `Data` is only allowed (and required by this library) once complete. */
export interface IsCompleteResponse {
  readonly IsComplete: boolean;
  readonly Data?: ResponseData;
}

/**
 * How much time an invocation has left, in real time (the lifecycle tests move `Date.now` through simulated
 * minutes, so this uses the monotonic clock). Every AWS call of the invocation is aborted when it runs out, and
 * a mutating call is started only when the worst case of its retries fits in what is left.
 */
export class Deadline {
  /** Aborts every call of the invocation when the time is up. */
  public readonly signal: AbortSignal;
  private readonly endsAt: number;

  /** @param remainingMs the time the invocation may still use (already less a safety margin) */
  public constructor(remainingMs: number) {
    const budget = Math.max(0, remainingMs);
    this.endsAt = performance.now() + budget;
    this.signal = AbortSignal.timeout(Math.max(1, budget));
  }

  /** Milliseconds left. */
  public remainingMs(): number {
    return Math.max(0, this.endsAt - performance.now());
  }
}

/** Everything a handler works with; the entry point wires it, the tests inject fakes. */
export interface HandlerContext {
  readonly ec2: Ec2Api;
  readonly cloudFormation: CloudFormationApi;
  readonly logger: Logger;
  readonly deadline: Deadline;
}

/**
 * Base of the resource handlers. Subclasses implement the six lifecycle methods; this class dispatches on
 * the request type, logs the request (redacted) and the response, and turns every error into a
 * `HandlerError` that starts with the logical id and carries no secret.
 */
export abstract class ResourceHandler<P> {
  /** The resource's logical id: the prefix of every error message. */
  protected readonly logicalId: string;
  protected readonly ec2: Ec2Api;
  protected readonly cloudFormation: CloudFormationApi;
  protected readonly logger: Logger;
  protected readonly deadline: Deadline;

  /**
   * @param context the clients, the invocation's logger (its keys already identify the request) and deadline
   * @param event the request; for `isComplete`, merged with onEvent's response
   */
  public constructor(context: HandlerContext, protected readonly event: HandlerEvent<P>) {
    this.logicalId = event.LogicalResourceId;
    this.ec2 = context.ec2;
    this.cloudFormation = context.cloudFormation;
    this.logger = context.logger;
    this.deadline = context.deadline;
  }

  /** Handles a request of the Provider framework's onEvent function. */
  public async onEvent(): Promise<OnEventResponse> {
    return this.run('onEvent', () => {
      switch (this.event.RequestType) {
        case 'Create': return this.onCreate();
        case 'Update': return this.onUpdate();
        case 'Delete': return this.onDelete();
      }
      throw new HandlerError(`${this.logicalId}: unknown request type '${String(this.event.RequestType)}'.`);
    });
  }

  /** Handles a poll of the Provider framework's isComplete function. */
  public async isComplete(): Promise<IsCompleteResponse> {
    return this.run('isComplete', () => {
      switch (this.event.RequestType) {
        case 'Create': return this.isCreateComplete();
        case 'Update': return this.isUpdateComplete();
        case 'Delete': return this.isDeleteComplete();
      }
      throw new HandlerError(`${this.logicalId}: unknown request type '${String(this.event.RequestType)}'.`);
    });
  }

  // =========================================================================================================
  // CREATE
  // =========================================================================================================

  /** Starts creating the resource; the last fallible step is the one mutating call (or none). */
  protected abstract onCreate(): Promise<OnEventResponse>;
  /** Reports whether the resource has reached its terminal success state; throws on a terminal failure. */
  protected abstract isCreateComplete(): Promise<IsCompleteResponse>;

  // =========================================================================================================
  // UPDATE
  // =========================================================================================================

  /** Applies an update in place, replaces the resource (new physical id), or refuses. */
  protected abstract onUpdate(): Promise<OnEventResponse>;
  /** Reports whether an update (or the replacement it started) is done. */
  protected abstract isUpdateComplete(): Promise<IsCompleteResponse>;

  // =========================================================================================================
  // DELETE
  // =========================================================================================================

  /** Starts deleting the resource; succeeds without a call when it is already gone. */
  protected abstract onDelete(): Promise<OnEventResponse>;
  /** Reports whether the resource is gone. */
  protected abstract isDeleteComplete(): Promise<IsCompleteResponse>;

  // =========================================================================================================
  // Helpers
  // =========================================================================================================

  /** Strings that must never appear in a log line or an error message (the authorization signature). */
  protected secrets(): string[] {
    return [];
  }

  /** AWS's error as our messages and logs quote it: one line, capped, secrets that AWS may quote scrubbed. */
  protected awsText(error: unknown): string {
    return scrubSecrets(awsErrorText(error), this.secrets());
  }

  /** A response that tells the Provider framework to poll again. It must carry no Data. */
  protected notComplete(): IsCompleteResponse {
    return { IsComplete: false };
  }

  /**
   * AWS's StatusMessage as the handler passes it on (in the handover, `Data` and log lines): secrets that AWS
   * might quote scrubbed, capped, '' when absent.
   */
  protected safeStatus(statusMessage: string | undefined): string {
    return truncateUtf8(scrubSecrets(statusMessage ?? '', this.secrets()), MAX_AWS_TEXT_BYTES);
  }

  private async run<R>(stage: string, block: () => Promise<R>): Promise<R> {
    this.logger.info(`${stage} ${this.event.RequestType} request`, { event: redact(this.event) });
    try {
      const response = await block();
      this.logger.info(`${stage} ${this.event.RequestType} response`, { response });
      return response;
    } catch (error) {
      const failure = this.toHandlerError(error);
      this.logger.error(`${stage} ${this.event.RequestType} failed`, { errorName: errorName(error), errorMessage: failure.message });
      throw failure;
    }
  }

  /** Our own errors keep their message; anything else (an SDK error, a bug) gets the logical id in front. */
  private toHandlerError(error: unknown): HandlerError {
    const message = error instanceof HandlerError ? error.message : `${this.logicalId}: ${awsErrorText(error)}`;
    const scrubbed = scrubSecrets(message, this.secrets());
    if (scrubbed !== message) {
      // The original error quotes a secret: do not keep it even as the cause.
      return new HandlerError(scrubbed);
    }
    return error instanceof HandlerError ? error : new HandlerError(message, { cause: error });
  }
}
