/**
 * The lifecycle machinery that every resource type shares (DESIGN §6): the Create, Update and Delete rules,
 * the handover from onEvent to isComplete, waiting, refusal recovery, the consistency windows, and telling a
 * rollback from a forward update by the stack's status. A resource handler supplies its identity, the meaning
 * of its states (a `Phase` for each) and its EC2 calls; it never decides what comes next itself.
 */
import {
  CONSISTENCY_WINDOW_MS,
  Goal,
  Handover,
  IsCompleteResponse,
  OnEventResponse,
  ResourceHandler,
  ResponseData,
  StatusQuestion,
  SupersededRecord,
} from './common';
import {
  WORST_CASE_CALL_MS,
  isParameterRefusal,
  isPermanentRefusal,
  isRefusal,
  isThrottling,
  isTransient,
  mayHaveBeenApplied,
} from './ec2';
import { HandlerError, statusText } from './errors';
import { ROLLBACK_STATUSES, UPDATE_ROLLBACK_IN_PROGRESS, readStackStatus } from './stack';
import { parseBooleanProperty } from '../lib/private/contract';

/** What a record's state means to the lifecycle. */
export type Phase =
  /** Not there, or only a lingering record of something gone (deprovisioned, disassociated). */
  | 'absent'
  /** Being created (pending-provision, pending-association). */
  | 'creating'
  /** There (provisioned, associated). */
  | 'created'
  /** The last create failed; a lingering record that holds nothing (failed-provision, failed-association). */
  | 'create-failed'
  /** Being removed (pending-deprovision, pending-disassociation). */
  | 'deleting'
  /** The last removal failed; the target is still there (failed-deprovision, failed-disassociation). */
  | 'delete-failed'
  /** A state this handler does not know: wait for a known one. */
  | 'unknown';

/** Phases of records that hold nothing: AWS keeps listing them for days beside live ones. */
const LINGERING: ReadonlySet<Phase> = new Set<Phase>(['absent', 'create-failed']);

/** The fields every AWS record here has. */
export interface StateRecord {
  readonly State?: string;
  readonly StatusMessage?: string;
}

/** What a read of the target found. */
export interface Reading<R> {
  /** The target's record (the live one when several match); undefined when none is listed. */
  readonly record?: R;
  /**
   * Why the target cannot be created where it is meant to be (an ASN in another IPAM, a CIDR that is not a
   * BYOIP CIDR): the complete error message. Create refuses with it; Delete ignores it.
   */
  readonly conflict?: string;
}

/** Reserve, beyond one call's worst case, so that the invocation can still answer after it. */
const ANSWER_RESERVE_MS = 15_000;

/**
 * A resource type's lifecycle: `T` is its identity (what the physical id holds), `R` its AWS record.
 */
export abstract class LifecycleHandler<P extends { readonly AdoptExisting?: string }, T, R extends StateRecord> extends ResourceHandler<P> {

  // =========================================================================================================
  // What a resource type supplies
  // =========================================================================================================

  /** The mutating call that creates the target, e.g. `ProvisionIpamByoasn` (for messages and logs). */
  protected abstract readonly createCall: string;
  /** The mutating call that removes it, e.g. `DeprovisionIpamByoasn`. */
  protected abstract readonly removeCall: string;

  /** The target of the properties, every value validated; throws before any AWS call when one is wrong. */
  protected abstract targetOf(properties: P): T;
  /** The target of properties that may be of a failed update; undefined when they do not name one. */
  protected abstract targetOfLenient(properties: P | undefined): T | undefined;
  /** The target of one of our physical ids; undefined for any other id (e.g. the framework's marker). */
  protected abstract targetFromId(physicalId: string | undefined): T | undefined;
  protected abstract physicalIdOf(target: T): string;
  /** How messages name the target, e.g. `ASN 64496 in ipam-0123456789abcdef0`. */
  protected abstract describe(target: T): string;
  /** A message when an update may not go from `current` to `next` (e.g. an ASN moving IPAM). */
  protected changeRefusal(_current: T, _next: T): string | undefined {
    return undefined;
  }

  /** Reads the target's record, picking the live one (see `pickLive`). */
  protected abstract read(target: T): Promise<Reading<R>>;
  /** The phase of a state; `unknown` for states the handler does not know. */
  protected abstract phaseOf(state: string | undefined): Phase;

  /** Makes the create call. */
  protected abstract create(target: T): Promise<unknown>;
  /** Makes the remove call. */
  protected abstract remove(target: T): Promise<unknown>;
  /** Checks what only a create call needs (the authorization), right before it; throws when wrong. */
  protected checkBeforeCreate(_target: T): void {
    // Nothing by default.
  }
  /**
   * Whether a phase already counts as the goal reached. By default the target must be `created`, or gone; a
   * resource type whose AWS operation can outlast CloudFormation (BYOIP provisioning takes days) counts an
   * accepted request as done.
   */
  protected settled(goal: 'created' | 'deleted', phase: Phase): boolean {
    return goal === 'created' ? phase === 'created' : LINGERING.has(phase);
  }
  /** Checks, right before the remove call, what would block it; throws a blocking error that says how to unblock it. */
  protected async checkBeforeRemove(_target: T, _record: R | undefined): Promise<void> {
    // Nothing by default: AWS's refusal is explained by `removalBlocker`.
  }
  /** After AWS refused the remove call: what blocks it and how to unblock it, if the handler can tell. */
  protected async removalBlocker(_target: T, _error: unknown): Promise<string | undefined> {
    return undefined;
  }
  /** The attributes: identity, state and AWS's message, all strings, bounded, never a secret. */
  protected abstract data(target: T, record: R | undefined): ResponseData;

  /** The target exists, and this request may not take it over. */
  protected abstract existsMessage(target: T, record: R | undefined): string;
  /** AWS ended the create in failure. */
  protected abstract createFailedMessage(target: T, record: R | undefined): string;
  /** The target's last removal failed, so it cannot be created again. */
  protected abstract blockedByFailedRemovalMessage(target: T, record: R | undefined): string;
  /** AWS ended the removal in failure. */
  protected abstract removeFailedMessage(target: T, record: R | undefined): string;

  // =========================================================================================================
  // CREATE
  // =========================================================================================================

  protected async onCreate(): Promise<OnEventResponse> {
    return this.startCreating(this.targetOf(this.event.ResourceProperties));
  }

  protected async isCreateComplete(): Promise<IsCompleteResponse> {
    return this.poll();
  }

  /** The Create rule: reads the target and creates it, waits for it, takes it over, or refuses. */
  private async startCreating(target: T): Promise<OnEventResponse> {
    const { record, conflict } = await this.read(target);
    if (conflict !== undefined) {
      throw new HandlerError(conflict);
    }
    const phase = this.phaseOf(record?.State);
    switch (phase) {
      case 'absent':
        return this.createNow(target, undefined);
      case 'create-failed':
        // The failed record stays listed for days, and the first reads after our call may still show it.
        return this.createNow(target, record);
      case 'creating':
        this.logger.info(`${this.describe(target)} is ${record?.State}: waiting for the request in progress to end`);
        return this.handover(target, { Goal: 'created', Acted: true });
      case 'created':
        return this.existing(target, record);
      case 'deleting':
        // AWS refuses to create what is being removed: isComplete creates it once the removal has ended.
        this.logger.info(`${this.describe(target)} is ${record?.State}: waiting for that to end before ${this.createCall}`);
        return this.handover(target, { Goal: 'created', Acted: false });
      case 'delete-failed':
        throw new HandlerError(this.blockedByFailedRemovalMessage(target, record));
      default:
        throw new HandlerError(`${this.logicalId}: ${this.describe(target)} is in state '${record?.State}', which this handler does not know; nothing was changed. AWS's status message: ${statusText(record?.StatusMessage)}`);
    }
  }

  /**
   * The target exists already. Create takes it over only with adoptExisting; so does a forward Update. The
   * rollback of a replacement sends an Update back to the old target, which still exists (CloudFormation deletes
   * it only after success): that Update takes it back, and only the stack's status tells it from a forward one.
   */
  private async existing(target: T, record: R | undefined): Promise<OnEventResponse> {
    if (this.adoptExisting(this.event.ResourceProperties)) {
      this.logger.info(`${this.describe(target)} is ${record?.State}: adopting it (adoptExisting is true)`);
      return this.handover(target, { Goal: 'created', Acted: true });
    }
    if (this.event.RequestType !== 'Update') {
      throw new HandlerError(this.existsMessage(target, record));
    }
    let status: string;
    try {
      status = await this.stackStatus();
    } catch (error) {
      if (isTransient(error)) {
        this.logger.warn(`could not read the stack's status (${this.awsText(error)}); isComplete asks again before it takes ${this.describe(target)} back or refuses it`);
        return this.handover(target, { Goal: 'created', Acted: true, Ask: 'may-take-back' });
      }
      throw new HandlerError(`${this.logicalId}: ${this.describe(target)} exists, and whether this update may take it back depends on the stack's status, which could not be read: ${this.awsText(error)}. Nothing was changed.`, { cause: error });
    }
    return this.takeBackOrRefuse(target, record, status);
  }

  private takeBackOrRefuse(target: T, record: R | undefined, status: string): OnEventResponse {
    if (status !== UPDATE_ROLLBACK_IN_PROGRESS) {
      this.logger.info(`the stack is ${status}, not rolling back: this update follows the Create rule`);
      throw new HandlerError(this.existsMessage(target, record));
    }
    this.logger.info(`the stack is ${status}: taking back ${this.describe(target)} (${record?.State ?? 'state not read'}), which the update being rolled back replaced`);
    return this.handover(target, { Goal: 'created', Acted: true });
  }

  /**
   * Makes the create call: the last fallible step of onEvent, so a failure leaves nothing behind. The
   * authorization is checked right before it, and only there.
   *
   * @param failed the failed record in place that the call replaces, if any
   */
  private async createNow(target: T, failed: R | undefined): Promise<OnEventResponse> {
    if (!this.hasTimeForCall()) {
      this.logger.warn(`too little time left in this invocation to make ${this.createCall} safely; isComplete makes it`);
      return this.handover(target, { Goal: 'created', Acted: false });
    }
    this.checkBeforeCreate(target);
    const superseded = this.superseded(failed);
    try {
      await this.create(target);
      return this.handover(target, { Goal: 'created', Acted: true, Superseded: superseded });
    } catch (error) {
      const message = `${this.logicalId}: could not create ${this.describe(target)}: ${this.createCall} failed with ${this.awsText(error)}`;
      if (mayHaveBeenApplied(error) && !isPermanentRefusal(error)) {
        // Failing now could orphan our request: the Delete after a failed onEvent never arrives.
        this.logger.warn(`${this.createCall} failed (${this.awsText(error)}) after an attempt that AWS may have applied (no answer, or a 5xx); waiting for that request to become visible, at most ${CONSISTENCY_WINDOW_MS / 1000} s`);
        return this.handover(target, { Goal: 'created', Acted: true, Superseded: superseded, Refused: message });
      }
      if (isThrottling(error)) {
        // Nothing was applied: isComplete makes the call, and throttling never fails the resource.
        this.logger.warn(`${this.createCall} was still throttled after the SDK's retries (${this.awsText(error)}); nothing was applied, and isComplete makes the call`);
        return this.handover(target, { Goal: 'created', Acted: false });
      }
      throw new HandlerError(message, { cause: error });
    }
  }

  /** isComplete of a create (or replacement): until the target exists; fails with AWS's message. */
  private async waitUntilCreated(next: Handover): Promise<IsCompleteResponse> {
    const target = this.physicalTarget();
    const { record, conflict } = await this.read(target);
    if (next.Ask === 'may-take-back' && this.phaseOf(record?.State) !== 'absent') {
      this.takeBackOrRefuse(target, record, await this.stackStatus());
    }
    const phase = this.phaseOf(record?.State);
    switch (phase) {
      case 'created':
        return { IsComplete: true, Data: this.data(target, record) };
      case 'create-failed':
        if (this.isSupersededRecord(record, next, target)) {
          return this.notComplete();
        }
        throw new HandlerError(this.createFailedMessage(target, record));
      case 'delete-failed':
        throw new HandlerError(this.blockedByFailedRemovalMessage(target, record));
      case 'creating':
        return this.settled('created', phase) ? { IsComplete: true, Data: this.data(target, record) } : this.notComplete();
      case 'deleting':
        return this.notComplete();
      case 'absent':
        if (next.Refused !== undefined) {
          return this.waitForOwnRequest(next, next.Refused);
        }
        if (conflict !== undefined) {
          // Our request can never succeed now (e.g. the ASN turned up in another IPAM).
          throw new HandlerError(conflict);
        }
        if (!next.Acted) {
          // onEvent waited for a removal (or a state it did not know) to end: it has, so create now.
          return this.actFromIsComplete(target, 'create');
        }
        // Our request is not visible yet: the Describe calls are eventually consistent.
        return this.notComplete();
      default:
        this.logger.warn(`${this.describe(target)} is in unknown state '${record?.State}'; waiting for a known one`);
        return this.notComplete();
    }
  }

  // =========================================================================================================
  // UPDATE
  // =========================================================================================================

  protected async onUpdate(): Promise<OnEventResponse> {
    const next = this.targetOf(this.event.ResourceProperties);
    const current = this.targetFromId(this.event.PhysicalResourceId);
    // The physical id is the truth (also in a rollback, when the properties swap but the id stays).
    if (current !== undefined && this.physicalIdOf(current) === this.physicalIdOf(next)) {
      this.logger.info('update: in place (the identity is unchanged)', { current, next });
      return this.handover(current, { Goal: 'unchanged', Acted: false, ...await this.orphanOfFailedReplacement(current) });
    }
    const refusal = current === undefined ? undefined : this.changeRefusal(current, next);
    if (refusal !== undefined) {
      throw new HandlerError(refusal);
    }
    // A new physical id: CloudFormation deletes the old target once the whole stack update has succeeded.
    this.logger.info('update: replacement', { current, next });
    return this.startCreating(next);
  }

  protected async isUpdateComplete(): Promise<IsCompleteResponse> {
    return this.poll();
  }

  /**
   * When a replacement fails or times out, the framework keeps the old physical id, and CloudFormation rolls
   * back with an Update whose physical id names the old target and whose OldResourceProperties name the new one
   * (aws/aws-cdk#17040). The new target is then nobody's: this finds it, when this resource started it.
   *
   * Started by this resource means: it was not adopted (adoptExisting false) and it is still being created.
   * One that is already there may as well be one that the failed update refused because it existed before
   * (the Create rule), so it is left in place with a warning that names it.
   */
  private async orphanOfFailedReplacement(current: T): Promise<Pick<Handover, 'Orphan' | 'Ask'>> {
    const old = this.event.OldResourceProperties;
    const attempted = this.targetOfLenient(old);
    if (attempted === undefined || this.physicalIdOf(attempted) === this.physicalIdOf(current)) {
      return {};
    }
    const { record } = await this.read(attempted);
    const phase = this.phaseOf(record?.State);
    if (LINGERING.has(phase)) {
      this.logger.info(`nothing of ${this.describe(attempted)}, the target of the previous properties, is left to clean up`);
      return {};
    }
    const leftInPlace = (why: string) => {
      this.logger.warn(`left ${this.describe(attempted)} (${record?.State}) in place: ${why}; remove it with ${this.removeCall} if a failed update of this stack started it`);
      return {};
    };
    if (this.adoptExisting(old)) {
      return leftInPlace('the previous properties had adoptExisting true, so it may have been there before');
    }
    if (phase !== 'creating') {
      return leftInPlace('the update being rolled back may have refused it because it existed already, and this resource cannot tell');
    }
    let status: string;
    try {
      status = await this.stackStatus();
    } catch (error) {
      if (isTransient(error)) {
        this.logger.warn(`could not read the stack's status (${this.awsText(error)}); isComplete asks again before it removes ${this.describe(attempted)}`);
        return { Orphan: this.physicalIdOf(attempted), Ask: 'remove-orphan-if-rolling-back' };
      }
      return leftInPlace(`the stack's status could not be read (${this.awsText(error)})`);
    }
    if (status !== UPDATE_ROLLBACK_IN_PROGRESS) {
      return leftInPlace(`the stack is ${status}, not rolling back, so it is not this resource's`);
    }
    this.logger.info(`${this.describe(attempted)} is ${record?.State}: the update being rolled back started it; removing it once that has ended`);
    return { Orphan: this.physicalIdOf(attempted) };
  }

  /** isComplete of an in-place update: removes the orphan first, if any, then reports the target as it is. */
  private async waitUntilUnchanged(next: Handover): Promise<IsCompleteResponse> {
    const target = this.physicalTarget();
    let orphan = this.targetFromId(next.Orphan);
    if (orphan !== undefined && next.Ask === 'remove-orphan-if-rolling-back' && await this.stackStatus() !== UPDATE_ROLLBACK_IN_PROGRESS) {
      this.logger.warn(`left ${this.describe(orphan)} in place: the stack is not rolling back, so it is not this resource's`);
      orphan = undefined;
    }
    if (orphan !== undefined && !(await this.isGone(orphan, { ...next, Acted: false }, 'orphan'))) {
      return this.notComplete();
    }
    const { record } = await this.read(target);
    return { IsComplete: true, Data: this.data(target, record) };
  }

  // =========================================================================================================
  // DELETE
  // =========================================================================================================

  protected async onDelete(): Promise<OnEventResponse> {
    const target = this.targetFromId(this.event.PhysicalResourceId);
    if (target === undefined) {
      // E.g. the Provider framework's marker after a failed create: nothing of ours exists.
      this.logger.info('the physical id is not one of this resource type: nothing to delete');
      return { PhysicalResourceId: this.physicalId() };
    }
    const { record } = await this.read(target);
    const phase = this.phaseOf(record?.State);
    switch (phase) {
      case 'absent':
      case 'create-failed':
        return this.nothingToDelete(target);
      case 'created':
        return this.removeNow(target, record);
      case 'creating':
        this.logger.info(`${this.describe(target)} is ${record?.State}: waiting for that to end, then ${this.removeCall}`);
        return this.handover(target, { Goal: 'deleted', Acted: false });
      case 'deleting':
        this.logger.info(`${this.describe(target)} is ${record?.State}: waiting for the removal in progress to end`);
        return this.handover(target, { Goal: 'deleted', Acted: true });
      case 'delete-failed':
        throw new HandlerError(this.removeFailedMessage(target, record));
      default:
        this.logger.warn(`${this.describe(target)} is in unknown state '${record?.State}'; waiting for a known one`);
        return this.handover(target, { Goal: 'deleted', Acted: false });
    }
  }

  protected async isDeleteComplete(): Promise<IsCompleteResponse> {
    return this.poll();
  }

  /**
   * Nothing to delete, as far as the Describe calls show. While the stack rolls back, the target may have been
   * created seconds ago and not be listed yet: then isComplete re-reads for the consistency window.
   */
  private async nothingToDelete(target: T): Promise<OnEventResponse> {
    let status: string;
    try {
      status = await this.stackStatus();
    } catch (error) {
      if (isTransient(error)) {
        this.logger.warn(`could not read the stack's status (${this.awsText(error)}); isComplete asks again`);
        return this.handover(target, { Goal: 'deleted', Acted: false, Ask: 'confirm-if-rolling-back' });
      }
      // Never assume a rollback: without the status, nothing listed means nothing to delete.
      this.logger.warn(`could not read the stack's status (${this.awsText(error)}); taking ${this.describe(target)} as absent`);
      return { PhysicalResourceId: this.physicalId() };
    }
    if (ROLLBACK_STATUSES.has(status)) {
      this.logger.info(`${this.describe(target)} is not listed, and the stack is ${status}: re-reading for ${CONSISTENCY_WINDOW_MS / 1000} s in case it was created seconds ago`);
      return this.handover(target, { Goal: 'deleted', Acted: false, ConfirmAbsence: true });
    }
    this.logger.info(`${this.describe(target)} is not there: nothing to delete`);
    return { PhysicalResourceId: this.physicalId() };
  }

  /** Makes the remove call; when AWS refuses, finds out why and says what blocks. */
  private async removeNow(target: T, record: R | undefined): Promise<OnEventResponse> {
    if (!this.hasTimeForCall()) {
      this.logger.warn(`too little time left in this invocation to make ${this.removeCall} safely; isComplete makes it`);
      return this.handover(target, { Goal: 'deleted', Acted: false });
    }
    await this.checkBeforeRemove(target, record);
    try {
      await this.remove(target);
      return this.handover(target, { Goal: 'deleted', Acted: true });
    } catch (error) {
      const message = `${this.logicalId}: could not remove ${this.describe(target)}: ${this.removeCall} failed with ${this.awsText(error)}`;
      if (isRefusal(error) && !isPermanentRefusal(error)) {
        const blocker = await this.removalBlocker(target, error);
        if (blocker !== undefined) {
          throw new HandlerError(blocker, { cause: error });
        }
        // The codes for these refusals are undocumented: the state tells what happened.
        const { record } = await this.read(target);
        const phase = this.phaseOf(record?.State);
        if (LINGERING.has(phase) || phase === 'deleting') {
          this.logger.info(`${this.describe(target)} is ${record?.State ?? 'not listed'} after all: its removal is done or under way`);
          return this.handover(target, { Goal: 'deleted', Acted: true });
        }
      }
      if (mayHaveBeenApplied(error) && !isPermanentRefusal(error)) {
        this.logger.warn(`${this.removeCall} failed (${this.awsText(error)}) after an attempt that AWS may have applied; waiting for that request to become visible, at most ${CONSISTENCY_WINDOW_MS / 1000} s`);
        return this.handover(target, { Goal: 'deleted', Acted: true, Refused: message });
      }
      if (isThrottling(error)) {
        this.logger.warn(`${this.removeCall} was still throttled after the SDK's retries (${this.awsText(error)}); nothing was applied, and isComplete makes the call`);
        return this.handover(target, { Goal: 'deleted', Acted: false });
      }
      throw new HandlerError(message, { cause: error });
    }
  }

  private async waitUntilDeleted(next: Handover): Promise<IsCompleteResponse> {
    const target = this.targetFromId(this.event.PhysicalResourceId);
    if (target === undefined) {
      return { IsComplete: true };
    }
    let confirm = next.ConfirmAbsence === true;
    if (next.Ask === 'confirm-if-rolling-back') {
      confirm = ROLLBACK_STATUSES.has(await this.stackStatus());
    }
    return (await this.isGone(target, { ...next, ConfirmAbsence: confirm }, 'target')) ? { IsComplete: true } : this.notComplete();
  }

  /**
   * One poll toward "gone": true once it is. Removes the target when onEvent left that to isComplete, or when
   * it shows up while a rollback re-reads.
   *
   * @param role `orphan` for the target of a failed replacement: a failed removal is then left with a warning,
   * since failing would fail the stack's rollback
   */
  private async isGone(target: T, next: Handover, role: 'target' | 'orphan'): Promise<boolean> {
    const { record } = await this.read(target);
    const phase = this.phaseOf(record?.State);
    switch (phase) {
      case 'absent':
      case 'create-failed':
        if (next.ConfirmAbsence === true && this.elapsed(next) < CONSISTENCY_WINDOW_MS) {
          this.logger.info(`${this.describe(target)} is still not listed; re-reading until ${CONSISTENCY_WINDOW_MS / 1000} s have passed`);
          return false;
        }
        return true;
      case 'created':
        if (next.Refused !== undefined) {
          return (await this.waitForOwnRequest(next, next.Refused)).IsComplete;
        }
        if (!next.Acted || next.ConfirmAbsence === true) {
          try {
            await this.actFromIsComplete(target, 'remove', record);
          } catch (error) {
            if (role === 'orphan' && error instanceof HandlerError) {
              // Failing here would fail the stack's rollback: leave the orphan, and say so.
              this.logger.warn(`left ${this.describe(target)} in place: ${error.message}`);
              return true;
            }
            throw error;
          }
        }
        // Otherwise our remove call is not visible yet (eventual consistency).
        return false;
      case 'creating':
        return false;
      case 'deleting':
        return this.settled('deleted', phase);
      case 'delete-failed':
        if (role === 'orphan') {
          this.logger.warn(`left ${this.describe(target)} in place: AWS could not remove it: ${statusText(record?.StatusMessage)}`);
          return true;
        }
        throw new HandlerError(this.removeFailedMessage(target, record));
      default:
        this.logger.warn(`${this.describe(target)} is in unknown state '${record?.State}'; waiting for a known one`);
        return false;
    }
  }

  // =========================================================================================================
  // Polling
  // =========================================================================================================

  /**
   * One isComplete poll: follows the handover. A read that fails for a passing reason (throttling, 5xx, a
   * timeout, a dropped connection, after the SDK's own retries) means "not complete yet": the framework would
   * fail the resource on any error, and `totalTimeout` already bounds the waiting.
   */
  private async poll(): Promise<IsCompleteResponse> {
    const next = this.readHandover();
    if (next === undefined) {
      return { IsComplete: true };
    }
    try {
      switch (next.Goal) {
        case 'created': return await this.waitUntilCreated(next);
        case 'deleted': return await this.waitUntilDeleted(next);
        case 'unchanged': return await this.waitUntilUnchanged(next);
      }
    } catch (error) {
      if (!(error instanceof HandlerError) && isTransient(error)) {
        this.logger.warn(`a call failed for a passing reason (${this.awsText(error)}); polling again`);
        return this.notComplete();
      }
      throw error;
    }
  }

  /**
   * Makes a mutating call from isComplete, after an operation that onEvent waited for has ended, then polls
   * again. Every poll gets the same event and reads eventually consistent results, so a later poll may not see
   * yet the request that an earlier poll made, and make it again: AWS then refuses the second one because the
   * first is under way. Such a refusal (of the moment, not of the request) is waited on; a refusal of the
   * request's parameters, of permissions or of a quota fails at once with AWS's message.
   */
  private async actFromIsComplete(target: T, act: 'create' | 'remove', record?: R): Promise<IsCompleteResponse> {
    const call = act === 'create' ? this.createCall : this.removeCall;
    try {
      if (act === 'create') {
        this.checkBeforeCreate(target);
        await this.create(target);
      } else {
        await this.checkBeforeRemove(target, record);
        await this.remove(target);
      }
    } catch (error) {
      if (!isRefusal(error)) {
        // Passing failures poll again (see `poll`); anything else fails.
        throw error;
      }
      const message = `${this.logicalId}: could not ${act} ${this.describe(target)}: ${call} failed with ${this.awsText(error)}`;
      if (isPermanentRefusal(error)) {
        throw new HandlerError(message, { cause: error });
      }
      // What blocks a removal is explained whatever code AWS chose for it (the codes are undocumented).
      const blocker = act === 'remove' ? await this.removalBlocker(target, error) : undefined;
      if (blocker !== undefined) {
        throw new HandlerError(blocker, { cause: error });
      }
      if (isParameterRefusal(error)) {
        throw new HandlerError(message, { cause: error });
      }
      this.logger.warn(`${call} was refused (${this.awsText(error)}): most likely the request of an earlier poll, not visible yet; waiting for it`);
    }
    return this.notComplete();
  }

  /** Waits for a request whose refusal may have been about itself, for the consistency window at most. */
  private waitForOwnRequest(next: Handover, message: string): IsCompleteResponse {
    if (this.elapsed(next) < CONSISTENCY_WINDOW_MS) {
      this.logger.info('waiting for our own request, which AWS may have applied, to become visible');
      return this.notComplete();
    }
    throw new HandlerError(`${message} (and in ${Math.round(CONSISTENCY_WINDOW_MS / 1000)} s no earlier attempt of it became visible)`);
  }

  // =========================================================================================================
  // Helpers
  // =========================================================================================================

  /**
   * The live record among several that match one target: AWS lists lingering records (deprovisioned,
   * failed-provision, disassociated, ...) for days beside the live one, in no documented order.
   *
   * @param what the target, for the log line when several match
   */
  protected pickLive<X extends StateRecord>(records: readonly X[], what: string, phaseOf: (state: string | undefined) => Phase = (s) => this.phaseOf(s)): X | undefined {
    if (records.length > 1) {
      this.logger.info(`${records.length} records match ${what}; the live one wins`, { states: records.map((r) => r.State) });
    }
    return records.find((r) => !LINGERING.has(phaseOf(r.State))) ?? records[0];
  }

  /** The target of the physical id of an isComplete event (which onEvent chose). */
  protected physicalTarget(): T {
    const target = this.targetFromId(this.event.PhysicalResourceId);
    if (target === undefined) {
      throw new HandlerError(`${this.logicalId}: '${this.event.PhysicalResourceId}' is not a physical id of this resource type.`);
    }
    return target;
  }

  protected physicalId(): string {
    return this.event.PhysicalResourceId ?? '';
  }

  protected adoptExisting(properties: P | undefined): boolean {
    return parseBooleanProperty(properties?.AdoptExisting);
  }

  private async stackStatus(): Promise<string> {
    const status = await readStackStatus(this.cloudFormation, this.event.StackId);
    this.logger.info(`the stack is ${status}`);
    return status;
  }

  /** Whether the invocation has time for one more mutating call, retries included. */
  private hasTimeForCall(): boolean {
    return this.deadline.remainingMs() >= WORST_CASE_CALL_MS + ANSWER_RESERVE_MS;
  }

  /** onEvent's answer when isComplete has more to do. */
  private handover(target: T, fields: { Goal: Goal; Acted: boolean; Superseded?: SupersededRecord; Refused?: string; ConfirmAbsence?: boolean; Ask?: StatusQuestion; Orphan?: string }): OnEventResponse {
    // A Delete must answer with the id it was given; otherwise the id follows the target.
    const physicalId = this.event.RequestType === 'Delete' ? this.physicalId() : this.physicalIdOf(target);
    const next: Handover = Object.fromEntries(Object.entries({ ...fields, At: Date.now() }).filter(([, v]) => v !== undefined)) as unknown as Handover;
    return { PhysicalResourceId: physicalId, Next: next };
  }

  private superseded(record: R | undefined): SupersededRecord | undefined {
    return record === undefined ? undefined : { State: record.State ?? '', StatusMessage: this.safeStatus(record.StatusMessage) };
  }

  /**
   * Whether a failed record that isComplete reads is still the one onEvent's call replaced: the same State and
   * StatusMessage, read within the consistency window after the call.
   */
  private isSupersededRecord(record: R | undefined, next: Handover, target: T): boolean {
    const old = next.Superseded;
    if (record === undefined || old === undefined || record.State !== old.State || this.safeStatus(record.StatusMessage) !== old.StatusMessage) {
      return false;
    }
    const seconds = Math.round(this.elapsed(next) / 1000);
    if (this.elapsed(next) < CONSISTENCY_WINDOW_MS) {
      this.logger.info(`${this.describe(target)} is ${record.State} with the status message of the record from before our ${this.createCall} call ${seconds} s ago: it looks like that old record (the Describe calls are eventually consistent); waiting for the new one`);
      return true;
    }
    this.logger.info(`${this.describe(target)} is ${record.State} with the status message of the record from before our ${this.createCall} call, but ${seconds} s have passed: taking it as a new failure`);
    return false;
  }

  private elapsed(next: Handover): number {
    return Date.now() - next.At;
  }

  /**
   * The handover of the event when it has the expected shape (it comes back from our own onEvent). An event
   * without one comes from an onEvent that found nothing to do (a Delete), or from a version of this library
   * that did not hand over yet (an operation in flight across an upgrade): that one is waited on as a create or
   * an update that has acted, or a delete that has acted when its onEvent returned Data.
   */
  private readHandover(): Handover | undefined {
    const value: unknown = this.event.Next;
    if (value !== null && typeof value === 'object') {
      const { Goal, Acted, At } = value as Record<string, unknown>;
      if ((Goal === 'created' || Goal === 'deleted' || Goal === 'unchanged') && typeof Acted === 'boolean' && typeof At === 'number' && Number.isFinite(At)) {
        return value as Handover;
      }
    }
    // The previous version handed over the state onEvent left the target in (Data.State), and isComplete acted
    // itself when that state was one to wait out first; and the failed record it replaced (Superseded).
    const left = this.event.Data?.State;
    const phase = left === undefined ? undefined : this.phaseOf(left);
    const legacy = (this.event as { Superseded?: unknown }).Superseded as { State?: unknown; StatusMessage?: unknown; At?: unknown } | undefined;
    const superseded = legacy && typeof legacy.State === 'string' && typeof legacy.StatusMessage === 'string' && typeof legacy.At === 'number'
      ? { Superseded: { State: legacy.State, StatusMessage: legacy.StatusMessage }, At: legacy.At }
      : { At: Date.now() };
    switch (this.event.RequestType) {
      case 'Create':
      case 'Update':
        return { Goal: 'created', Acted: !(phase === 'deleting' || phase === 'unknown'), ...superseded };
      default:
        return phase === undefined ? undefined : { Goal: 'deleted', Acted: !(phase === 'creating' || phase === 'unknown'), At: Date.now() };
    }
  }
}
