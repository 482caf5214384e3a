/**
 * The handler of `Custom::ByoasnCidrAssociation`: associates an ASN with a BYOIP CIDR (AssociateIpamByoasn)
 * and removes the association (DisassociateIpamByoasn), waiting for each. Association state is visible only
 * in DescribeByoipCidrs, as `ByoipCidr.AsnAssociations[]`.
 */
import { AsnAssociation, AsnAssociationState, ByoipCidr } from '@aws-sdk/client-ec2';
import {
  AssociationData,
  AssociationResourceProperties,
  associationPhysicalId,
  parseBooleanProperty,
  splitPhysicalId,
} from '../lib/private/contract';
import { Finding, checkCidr, parseAsn } from '../lib/private/validation';
import { IsCompleteResponse, OnEventResponse, ResourceHandler, withSuperseded } from './common';
import { isRefusal, listByoipCidrs, mayBeOurOwnEarlierAttempt } from './ec2';
import { HandlerError, awsErrorText, statusText } from './errors';
import { boundData } from './limits';
import { enforceFindings } from './validate';

/** Which ASN with which CIDR: the identity of the resource, and its physical id `<asn>|<cidr>`. */
interface AssociationTarget {
  /** Asplain, canonical decimal (the SDK's Asn fields are strings). */
  readonly asn: string;
  /** Canonical form, compared exactly with what AWS lists. */
  readonly cidr: string;
}

/** AWS's tutorial shows an association in this state, which the API reference does not list. */
const ADVERTISED = 'advertised';

const KNOWN_STATES: ReadonlySet<string> = new Set([...Object.values(AsnAssociationState), ADVERTISED]);

/** States in which the association exists and serves. */
const ASSOCIATED_STATES: ReadonlySet<string> = new Set([AsnAssociationState.associated, ADVERTISED]);

/** BYOIP CIDR states in which the CIDR is (being) advertised, which blocks disassociating its origin ASN. */
const ADVERTISED_CIDR_STATES: ReadonlySet<string> = new Set(['advertised', 'pending-advertising']);

/** Handles `Custom::ByoasnCidrAssociation`. */
export class ByoasnCidrAssociationHandler extends ResourceHandler<AssociationResourceProperties> {

  // =========================================================================================================
  // CREATE
  // =========================================================================================================

  protected async onCreate(): Promise<OnEventResponse> {
    const adopt = parseBooleanProperty(this.event.ResourceProperties.AdoptExisting) ? 'adoptExisting is true' : undefined;
    return this.startAssociating(this.validatedTarget(), adopt);
  }

  protected async isCreateComplete(): Promise<IsCompleteResponse> {
    return this.waitUntilAssociated(this.physicalTarget());
  }

  /**
   * Reads the association's state and associates when there is none. Whatever it returns carries `Data`
   * with the state it left the association in, which tells isComplete whether it still has to associate.
   *
   * @param adopt why an existing association may be taken over; undefined to refuse it
   */
  private async startAssociating(target: AssociationTarget, adopt: string | undefined): Promise<OnEventResponse> {
    const byoip = await this.readCidr(target);
    if (!byoip) {
      const region = process.env.AWS_REGION ? `Region ${process.env.AWS_REGION}` : 'this Region';
      throw new HandlerError(`${this.logicalId}: CIDR ${target.cidr} is not a BYOIP CIDR in ${region}. Provision it as a BYOIP CIDR first (ProvisionByoipCidr; see "Bring your own IP addresses" in the Amazon VPC documentation) in this Region, then associate it with ASN ${target.asn}.`);
    }
    const association = this.associationIn(byoip, target);
    const state: string | undefined = association?.State;
    switch (state) {
      case undefined:
      case AsnAssociationState.disassociated:
        return this.associate(target);
      case AsnAssociationState.failed_association:
        // The failed association stays listed, and the first reads after our call may still show it.
        return this.associate(target, association);
      case AsnAssociationState.pending_association:
        return this.waiting(target, association, 'waiting for the association in progress to end');
      case AsnAssociationState.associated:
      case ADVERTISED:
        if (adopt === undefined) {
          throw new HandlerError(`${this.logicalId}: ASN ${target.asn} is already associated with CIDR ${target.cidr} (state ${state}). Set adoptExisting: true to manage the association with this stack (deleting the resource will then disassociate it), or disassociate it first.`);
        }
        return this.waiting(target, association, `adopting it (${adopt})`);
      case AsnAssociationState.pending_disassociation:
        // Associating while a disassociation runs would be refused: isComplete associates once it is over.
        return this.waiting(target, association, 'waiting for the disassociation to end before associating again');
      case AsnAssociationState.failed_disassociation:
        throw new HandlerError(`${this.logicalId}: the association of ASN ${target.asn} with CIDR ${target.cidr} is in state failed-disassociation; resolve the problem and disassociate it (DisassociateIpamByoasn) before associating it again. AWS's status message: ${statusText(association?.StatusMessage)}`);
      default:
        this.logger.warn(`the association of ASN ${target.asn} with ${target.cidr} is in unknown state '${state}'; waiting for a known one`);
        return this.response(target, association);
    }
  }

  /**
   * Calls AssociateIpamByoasn: the last fallible step of onEvent, so a failure leaves nothing behind.
   *
   * @param failed the failed-association record that the call replaces, if any: the response then carries it
   * as `Superseded`, so that isComplete can tell that old record from a new failure
   */
  private async associate(target: AssociationTarget, failed?: AsnAssociation): Promise<OnEventResponse> {
    try {
      const result = await this.ec2.associateIpamByoasn({ Asn: target.asn, Cidr: target.cidr });
      const superseded = this.supersededRecord(failed);
      return withSuperseded(this.response(target, result.AsnAssociation ?? { State: AsnAssociationState.pending_association }), superseded);
    } catch (error) {
      const superseded = this.supersededRecord(failed);
      if (isRefusal(error)) {
        // Our read said absent a moment ago. The likeliest "already associated" is our own earlier attempt,
        // whose answer was lost on a connection that the SDK then retried.
        const byoip = await this.readCidr(target);
        const association = byoip && this.associationIn(byoip, target);
        if (association?.State === AsnAssociationState.pending_association || ASSOCIATED_STATES.has(association?.State ?? '')) {
          this.logger.info(`the association of ASN ${target.asn} with ${target.cidr} is ${association?.State} after all: taking it as our own request`);
          return withSuperseded(this.response(target, association), superseded);
        }
        if (mayBeOurOwnEarlierAttempt(error)) {
          // Failing here would leave our request orphaned: the Delete after a failed onEvent never arrives.
          this.logger.info(`AssociateIpamByoasn was refused (${awsErrorText(error)}) after the SDK retried it: an earlier attempt may have been applied, not visible yet; waiting for it`);
          return withSuperseded(this.response(target, { State: AsnAssociationState.pending_association }), superseded);
        }
      }
      throw new HandlerError(`${this.logicalId}: could not associate ASN ${target.asn} with CIDR ${target.cidr}: AssociateIpamByoasn failed with ${awsErrorText(error)}`, { cause: error });
    }
  }

  /** Polls until the association is associated; associates when onEvent left that to us. */
  private async waitUntilAssociated(target: AssociationTarget): Promise<IsCompleteResponse> {
    const byoip = await this.readCidr(target);
    if (!byoip) {
      throw new HandlerError(`${this.logicalId}: CIDR ${target.cidr} is no longer a BYOIP CIDR, so ASN ${target.asn} cannot be associated with it.`);
    }
    const association = this.associationIn(byoip, target);
    const state: string | undefined = association?.State;
    switch (state) {
      case AsnAssociationState.associated:
      case ADVERTISED:
        return { IsComplete: true, Data: { ...this.data(target, association) } };
      case AsnAssociationState.failed_association:
        if (association && this.isSupersededRecord(association, `the association of ASN ${target.asn} with ${target.cidr}`, 'AssociateIpamByoasn')) {
          return this.notComplete();
        }
        throw new HandlerError(`${this.logicalId}: AWS could not associate ASN ${target.asn} with CIDR ${target.cidr}: ${statusText(association?.StatusMessage)}`);
      case AsnAssociationState.failed_disassociation:
        throw new HandlerError(`${this.logicalId}: AWS could not disassociate ASN ${target.asn} from CIDR ${target.cidr}, so it cannot be associated again: ${statusText(association?.StatusMessage)}`);
      case AsnAssociationState.pending_association:
      case AsnAssociationState.pending_disassociation:
        return this.notComplete();
      case undefined:
      case AsnAssociationState.disassociated:
        if (this.mustAssociateNow()) {
          // onEvent waited for a disassociation (or an unknown state) to end; it has, so associate now.
          this.validatedTarget();
          return this.actFromIsComplete(`AssociateIpamByoasn of ASN ${target.asn} with ${target.cidr}`, () => this.associate(target));
        }
        // Otherwise our request is not visible yet (the Describe calls are eventually consistent).
        return this.notComplete();
      default:
        this.logger.warn(`the association of ASN ${target.asn} with ${target.cidr} is in unknown state '${state}'; waiting for a known one`);
        return this.notComplete();
    }
  }

  /** True when onEvent only waited (for a disassociation, or an unknown state) and did not associate. */
  private mustAssociateNow(): boolean {
    const left = this.stateLeftByOnEvent;
    return left !== undefined && (left === AsnAssociationState.pending_disassociation || !KNOWN_STATES.has(left));
  }

  // =========================================================================================================
  // UPDATE
  // =========================================================================================================

  protected async onUpdate(): Promise<OnEventResponse> {
    const next = this.validatedTarget();
    const current = targetFromId(this.event.PhysicalResourceId);
    // The physical id is the truth (also in a rollback, when the properties swap but the id stays).
    if (current && current.asn === next.asn && current.cidr === next.cidr) {
      this.logger.info('update: none (only adoptExisting changed)', { current, next });
      return { PhysicalResourceId: this.physicalId() };
    }
    this.logger.info('update: replace', { current, next });
    // A new physical id: CloudFormation deletes the old association once the whole stack update has succeeded.
    // When CloudFormation rolls such a replacement back, it sends an Update from the new association back to
    // the old one, which still exists (it is deleted only after success): that one must be taken back, not
    // refused. An Update cannot tell a rollback from a forward change, so an Update adopts an association always.
    return this.startAssociating(next, parseBooleanProperty(this.event.ResourceProperties.AdoptExisting)
      ? 'adoptExisting is true'
      : 'an Update takes back an existing association, as a rollback of a replacement needs');
  }

  protected async isUpdateComplete(): Promise<IsCompleteResponse> {
    const target = this.physicalTarget();
    if (this.stateLeftByOnEvent === undefined) {
      // An in-place update: nothing was requested from AWS, so report the association as it is.
      const byoip = await this.readCidr(target);
      return { IsComplete: true, Data: { ...this.data(target, byoip && this.associationIn(byoip, target)) } };
    }
    return this.waitUntilAssociated(target);
  }

  // =========================================================================================================
  // DELETE
  // =========================================================================================================

  protected async onDelete(): Promise<OnEventResponse> {
    const target = targetFromId(this.event.PhysicalResourceId);
    if (!target) {
      // E.g. the Provider framework's marker after a failed create: nothing of ours exists.
      this.logger.info('the physical id is not a ByoasnCidrAssociation id: nothing to delete');
      return { PhysicalResourceId: this.physicalId() };
    }
    const byoip = await this.readCidr(target);
    if (!byoip) {
      this.logger.info(`CIDR ${target.cidr} is not a BYOIP CIDR any more: nothing to delete`);
      return { PhysicalResourceId: this.physicalId() };
    }
    const association = this.associationIn(byoip, target);
    const state: string | undefined = association?.State;
    switch (state) {
      case undefined:
      case AsnAssociationState.disassociated:
      case AsnAssociationState.failed_association:
        this.logger.info(`ASN ${target.asn} is not associated with ${target.cidr}: nothing to delete`);
        return { PhysicalResourceId: this.physicalId() };
      case AsnAssociationState.associated:
      case ADVERTISED:
        return this.disassociate(target);
      case AsnAssociationState.pending_association:
        return this.waiting(target, association, 'waiting for the association to end, then disassociating');
      case AsnAssociationState.pending_disassociation:
        return this.waiting(target, association, 'waiting for the disassociation in progress to end');
      case AsnAssociationState.failed_disassociation:
        throw new HandlerError(`${this.logicalId}: AWS could not disassociate ASN ${target.asn} from CIDR ${target.cidr} (state failed-disassociation); resolve the problem and disassociate it (DisassociateIpamByoasn), then delete again. AWS's status message: ${statusText(association?.StatusMessage)}`);
      default:
        this.logger.warn(`the association of ASN ${target.asn} with ${target.cidr} is in unknown state '${state}'; waiting for a known one`);
        return this.response(target, association);
    }
  }

  protected async isDeleteComplete(): Promise<IsCompleteResponse> {
    const target = targetFromId(this.event.PhysicalResourceId);
    if (!target || this.stateLeftByOnEvent === undefined) {
      // onEvent found nothing to delete.
      return { IsComplete: true };
    }
    const byoip = await this.readCidr(target);
    const association = byoip && this.associationIn(byoip, target);
    const state: string | undefined = association?.State;
    switch (state) {
      case undefined:
      case AsnAssociationState.disassociated:
      case AsnAssociationState.failed_association:
        return { IsComplete: true };
      case AsnAssociationState.failed_disassociation:
        throw new HandlerError(`${this.logicalId}: AWS could not disassociate ASN ${target.asn} from CIDR ${target.cidr}: ${statusText(association?.StatusMessage)}`);
      case AsnAssociationState.associated:
      case ADVERTISED:
        if (this.mustDisassociateNow()) {
          return this.actFromIsComplete(`DisassociateIpamByoasn of ASN ${target.asn} from ${target.cidr}`, () => this.disassociate(target));
        }
        // Otherwise our DisassociateIpamByoasn is not visible yet (eventual consistency).
        return this.notComplete();
      case AsnAssociationState.pending_association:
      case AsnAssociationState.pending_disassociation:
        return this.notComplete();
      default:
        this.logger.warn(`the association of ASN ${target.asn} with ${target.cidr} is in unknown state '${state}'; waiting for a known one`);
        return this.notComplete();
    }
  }

  /** True when onEvent only waited (for an association, or an unknown state) and did not disassociate. */
  private mustDisassociateNow(): boolean {
    const left = this.stateLeftByOnEvent;
    return left !== undefined && (left === AsnAssociationState.pending_association || !KNOWN_STATES.has(left));
  }

  /** Calls DisassociateIpamByoasn; when AWS refuses, finds out why and says what blocks. */
  private async disassociate(target: AssociationTarget): Promise<OnEventResponse> {
    try {
      const result = await this.ec2.disassociateIpamByoasn({ Asn: target.asn, Cidr: target.cidr });
      return this.response(target, result.AsnAssociation ?? { State: AsnAssociationState.pending_disassociation });
    } catch (error) {
      if (!isRefusal(error)) {
        throw new HandlerError(`${this.logicalId}: could not disassociate ASN ${target.asn} from CIDR ${target.cidr}: DisassociateIpamByoasn failed with ${awsErrorText(error)}`, { cause: error });
      }
      // The codes for these refusals are undocumented: the state tells what happened.
      const byoip = await this.readCidr(target);
      const association = byoip && this.associationIn(byoip, target);
      const state: string | undefined = association?.State;
      if (!byoip || state === undefined || state === AsnAssociationState.disassociated || state === AsnAssociationState.pending_disassociation) {
        this.logger.info(`the association of ASN ${target.asn} with ${target.cidr} is ${state ?? 'absent'} after all: taking it as our own request`);
        return this.response(target, association ?? { State: AsnAssociationState.disassociated });
      }
      if (ADVERTISED_CIDR_STATES.has(byoip.State ?? '') || state === ADVERTISED) {
        throw new HandlerError(`${this.logicalId}: cannot disassociate ASN ${target.asn} from CIDR ${target.cidr}: the CIDR is advertised (state ${byoip.State}), and AWS does not disassociate the ASN it is advertised with. Withdraw the CIDR first (WithdrawByoipCidr), or switch its origin to Amazon's ASN (AdvertiseByoipCidr with Asn AWS). AWS said: ${awsErrorText(error)}`, { cause: error, blocking: true });
      }
      if (mayBeOurOwnEarlierAttempt(error)) {
        this.logger.info(`DisassociateIpamByoasn was refused (${awsErrorText(error)}) after the SDK retried it: an earlier attempt may have been applied, not visible yet; waiting for it`);
        return this.response(target, { State: AsnAssociationState.pending_disassociation });
      }
      throw new HandlerError(`${this.logicalId}: AWS refused to disassociate ASN ${target.asn} from CIDR ${target.cidr}: ${awsErrorText(error)}`, { cause: error });
    }
  }

  // =========================================================================================================
  // Helpers
  // =========================================================================================================

  /** Re-validates the resolved properties; throws before any AWS call when they are wrong. */
  private validatedTarget(): AssociationTarget {
    const props = this.event.ResourceProperties;
    const parsed = parseAsn(props.Asn);
    // Not publiclyAdvertisable: the handler cannot know, so it allows the longest prefix BYOIP accepts (/56)
    // and leaves the rest to AWS; the constructs check the stricter bound where they know.
    const findings: Finding[] = [...parsed.findings, ...checkCidr(props.Cidr, { publiclyAdvertisable: false })];
    enforceFindings(findings, this.logicalId, this.logger);
    if (parsed.asn === undefined) {
      // parseAsn reports an error finding whenever it has no ASN, so enforceFindings threw already.
      throw new HandlerError(`${this.logicalId}: the Asn property could not be read.`);
    }
    return { asn: String(parsed.asn), cidr: props.Cidr };
  }

  /** The target of the physical id of an isComplete event (which onEvent chose). */
  private physicalTarget(): AssociationTarget {
    const target = targetFromId(this.event.PhysicalResourceId);
    if (!target) {
      throw new HandlerError(`${this.logicalId}: '${this.event.PhysicalResourceId}' is not a ByoasnCidrAssociation physical id (<asn>|<cidr>).`);
    }
    return target;
  }

  private physicalId(): string {
    return this.event.PhysicalResourceId ?? '';
  }

  /** The BYOIP CIDR (one that is not deprovisioned), with one log line for its state. */
  private async readCidr(target: AssociationTarget): Promise<ByoipCidr | undefined> {
    const byoip = (await listByoipCidrs(this.ec2)).find((c) => c.Cidr === target.cidr && c.State !== 'deprovisioned');
    this.logger.info(byoip ? `BYOIP CIDR ${target.cidr} is ${byoip.State}` : `BYOIP CIDR ${target.cidr} is not listed`,
      { cidr: target.cidr, state: byoip?.State, statusMessage: byoip?.StatusMessage });
    return byoip;
  }

  /** The association of the target's ASN with the CIDR, with one log line for its state. */
  private associationIn(byoip: ByoipCidr, target: AssociationTarget): AsnAssociation | undefined {
    const association = byoip.AsnAssociations?.find((a) => a.Asn === target.asn);
    this.logger.info(association
      ? `the association of ASN ${target.asn} with ${target.cidr} is ${association.State}`
      : `ASN ${target.asn} has no association with ${target.cidr}`,
    { asn: target.asn, cidr: target.cidr, state: association?.State, statusMessage: association?.StatusMessage });
    return association;
  }

  /** onEvent's answer when it leaves the work to isComplete (or adopts): logs why, and returns the state. */
  private waiting(target: AssociationTarget, record: AsnAssociation | undefined, why: string): OnEventResponse {
    this.logger.info(`the association of ASN ${target.asn} with ${target.cidr} is ${record?.State}: ${why}`);
    return this.response(target, record);
  }

  private response(target: AssociationTarget, association: AsnAssociation | undefined): OnEventResponse {
    // A Delete must answer with the id it was given; otherwise the id follows the target.
    const physicalId = this.event.RequestType === 'Delete' ? this.physicalId() : associationPhysicalId(target.asn, target.cidr);
    return { PhysicalResourceId: physicalId, Data: { ...this.data(target, association) } };
  }

  /** The attributes: identity, state and AWS's message, all strings, bounded. */
  private data(target: AssociationTarget, association: AsnAssociation | undefined): AssociationData {
    return boundData({
      Asn: target.asn,
      Cidr: target.cidr,
      State: association?.State ?? '',
      StatusMessage: association?.StatusMessage ?? '',
    });
  }
}

/** Parses `<asn>|<cidr>`; undefined when the id is not one of ours (e.g. the create-failed marker). */
function targetFromId(physicalId: string | undefined): AssociationTarget | undefined {
  const parts = physicalId === undefined ? undefined : splitPhysicalId(physicalId);
  // Only canonical ids: the ids we answer with must be exactly the ones we were given.
  if (!parts || !/^(0|[1-9]\d{0,9})$/.test(parts[0]) || !parts[1].includes('/')) {
    return undefined;
  }
  return { asn: parts[0], cidr: parts[1] };
}
