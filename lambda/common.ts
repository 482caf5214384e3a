/**
 * What every resource handler shares: the shapes of the events and responses of the CloudFormation custom
 * resource Provider framework, and a base class that turns a request into one of six methods.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { Ec2Api, errorName } from './ec2';
import { HandlerError, awsErrorText } from './errors';
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

/** What `onEvent` returns. */
export interface OnEventResponse {
  readonly PhysicalResourceId: string;
  /** Attributes; the Provider framework merges them with those that `isComplete` returns. */
  readonly Data?: ResponseData;
}

/** What the Provider framework passes to `isComplete`: the request merged with onEvent's response. */
export interface IsCompleteEvent<P = object> extends CustomResourceEvent<P> {
  readonly PhysicalResourceId: string;
  readonly Data?: ResponseData;
}

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
    protected readonly event: CustomResourceEvent<P> & { readonly Data?: ResponseData },
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

  /** A response that tells the Provider framework to poll again. It must carry no Data. */
  protected notComplete(): IsCompleteResponse {
    return { IsComplete: false };
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
