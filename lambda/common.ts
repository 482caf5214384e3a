/**
 * What every resource handler shares: the shapes of the events and responses of the CloudFormation custom
 * resource Provider framework, and a base class that turns a request into one of six methods.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { Ec2Api, errorName, isPermanentRefusal, isRefusal } from './ec2';
import { HandlerError, awsErrorText } from './errors';
import { MAX_AWS_TEXT_BYTES, truncateUtf8 } from './limits';
import { redact, scrubSecrets } from './logger';

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
 * How long after our mutating call a `failed-*` record that equals the one the call superseded (same State,
 * same StatusMessage) is taken for that old record, which the eventually consistent Describe calls may still
 * show, rather than for a new failure. After it, such a record fails the deployment as any failure does.
 */
export const STALE_RECORD_WINDOW_MS = 2 * 60 * 1000;

/**
 * The failed record (`failed-provision`, `failed-association`) that onEvent's mutating call replaced: AWS
 * keeps listing such records for days, and the first reads after the call may still show it.
 *
 * It travels as a TOP-LEVEL field of onEvent's response, never inside `Data`: the Provider framework passes
 * isComplete the request merged with every field of onEvent's response (and passes that same event to every
 * poll), but sends CloudFormation only `PhysicalResourceId`, `Data` and its own fixed keys. So it reaches
 * isComplete without ever becoming a resource attribute. JSON only, and small: StatusMessage is capped.
 */
export interface SupersededRecord {
  /** The state the record had when we read it before the call, e.g. `failed-provision`. */
  readonly State: string;
  /** Its StatusMessage, secrets scrubbed and capped at `MAX_AWS_TEXT_BYTES`; '' when AWS gave none. */
  readonly StatusMessage: string;
  /** `Date.now()` (milliseconds since the epoch) when the mutating call returned. */
  readonly At: number;
}

/** What `onEvent` returns. */
export interface OnEventResponse {
  readonly PhysicalResourceId: string;
  /** Attributes; the Provider framework merges them with those that `isComplete` returns. */
  readonly Data?: ResponseData;
  /** Set when the mutating call replaced a failed record; for isComplete only (see `SupersededRecord`). */
  readonly Superseded?: SupersededRecord;
}

/** What the Provider framework passes to `isComplete`: the request merged with onEvent's response. */
export interface IsCompleteEvent<P = object> extends CustomResourceEvent<P> {
  readonly PhysicalResourceId: string;
  readonly Data?: ResponseData;
  readonly Superseded?: SupersededRecord;
}

/** The response with `Superseded` added when there is one (a top-level field, never in `Data`). */
export function withSuperseded(response: OnEventResponse, superseded: SupersededRecord | undefined): OnEventResponse {
  return superseded ? { ...response, Superseded: superseded } : response;
}

/** The event a handler works on: the request, and for `isComplete` the fields of onEvent's response too. */
export type HandlerEvent<P> = CustomResourceEvent<P> & { readonly Data?: ResponseData; readonly Superseded?: SupersededRecord };

/** What `isComplete` returns. `Data` is only allowed (and required by this library) once complete. */
export interface IsCompleteResponse {
  readonly IsComplete: boolean;
  readonly Data?: ResponseData;
}

/**
 * Base of the resource handlers. Subclasses implement the six lifecycle methods; this class dispatches on
 * the request type, logs the request (redacted) and the response, and turns every error into a
 * `HandlerError` that starts with the logical id and carries no secret.
 */
export abstract class ResourceHandler<P> {
  /** The resource's logical id: the prefix of every error message. */
  protected readonly logicalId: string;

  /**
   * @param ec2 the EC2 calls available to the handler
   * @param logger the invocation's logger (its keys already identify the request)
   * @param event the request; for `isComplete`, merged with onEvent's response
   */
  public constructor(
    protected readonly ec2: Ec2Api,
    protected readonly logger: Logger,
    protected readonly event: HandlerEvent<P>,
  ) {
    this.logicalId = event.LogicalResourceId;
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

  /**
   * The state in which onEvent left the resource, handed over in its response `Data`. isComplete uses it to
   * tell "onEvent has not acted yet, act now" from "onEvent acted, AWS does not show it yet". Undefined when
   * onEvent returned no Data (nothing to wait for).
   */
  protected get stateLeftByOnEvent(): string | undefined {
    return this.event.Data?.State;
  }

  /**
   * The failed record that a mutating call has just replaced, as onEvent hands it over to isComplete in
   * `Superseded`; undefined when there is none. Call it right after the call returned: that is its `At`.
   */
  protected supersededRecord(record: { readonly State?: string; readonly StatusMessage?: string } | undefined): SupersededRecord | undefined {
    if (record === undefined) {
      return undefined;
    }
    return { State: record.State ?? '', StatusMessage: this.safeStatus(record.StatusMessage), At: Date.now() };
  }

  /**
   * Whether a failed record that isComplete reads is still the one onEvent's call replaced: the same State and
   * StatusMessage as `Superseded`, read less than `STALE_RECORD_WINDOW_MS` after the call. Logs what it
   * decides when the record matches.
   *
   * @param what the record, for the log line, e.g. `ASN 64496 in ipam-0123456789abcdef0`
   * @param call the mutating call, for the log line, e.g. `ProvisionIpamByoasn`
   */
  protected isSupersededRecord(record: { readonly State?: string; readonly StatusMessage?: string }, what: string, call: string): boolean {
    const superseded = this.superseded;
    if (!superseded || record.State !== superseded.State || this.safeStatus(record.StatusMessage) !== superseded.StatusMessage) {
      return false;
    }
    const elapsed = Date.now() - superseded.At;
    const seconds = Math.round(elapsed / 1000);
    if (elapsed < STALE_RECORD_WINDOW_MS) {
      this.logger.info(`${what} is ${record.State} with the status message of the record from before our ${call} call ${seconds} s ago: it looks like that old record (the Describe calls are eventually consistent); waiting for the new one`,
        { superseded, elapsedMs: elapsed });
      return true;
    }
    this.logger.info(`${what} is ${record.State} with the status message of the record from before our ${call} call, but ${seconds} s have passed: taking it as a new failure`,
      { superseded, elapsedMs: elapsed });
    return false;
  }

  /** A response that tells the Provider framework to poll again. It must carry no Data. */
  protected notComplete(): IsCompleteResponse {
    return { IsComplete: false };
  }

  /**
   * Makes a mutating call from isComplete (after an earlier operation that onEvent waited for has ended), then
   * polls again. Every poll gets the same event and reads eventually consistent Describe results, so a later
   * poll may not see yet the request that an earlier poll made, and make it again; AWS then refuses the
   * second one. Such a refusal means that a request is under way, so it waits for it, unless the error says
   * that something only the user can change blocks the call.
   */
  protected async actFromIsComplete(what: string, act: () => Promise<unknown>): Promise<IsCompleteResponse> {
    try {
      await act();
    } catch (error) {
      if (!(error instanceof HandlerError) || error.blocking || !isRefusal(error.cause) || isPermanentRefusal(error.cause)) {
        throw error;
      }
      this.logger.info(`${what} was refused (${awsErrorText(error.cause)}): most likely the request of an earlier poll, not visible yet; waiting for it`);
    }
    return this.notComplete();
  }

  /** `Superseded` of the event when it has the expected shape (it comes back from our own onEvent). */
  private get superseded(): SupersededRecord | undefined {
    const value: unknown = this.event.Superseded;
    if (value === null || typeof value !== 'object') {
      return undefined;
    }
    const { State, StatusMessage, At } = value as Record<string, unknown>;
    return typeof State === 'string' && typeof StatusMessage === 'string' && typeof At === 'number' && Number.isFinite(At)
      ? { State, StatusMessage, At }
      : undefined;
  }

  /**
   * AWS's StatusMessage as the handler passes it on (in `Superseded`, `Data` and log lines): secrets that AWS
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
