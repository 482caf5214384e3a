/**
 * The handler of `Custom::IpamByoasn`: brings a public ASN to an IPAM (ProvisionIpamByoasn) and removes it
 * again (DeprovisionIpamByoasn), waiting for each until AWS reports a terminal state.
 */
import { AsnState, Byoasn } from '@aws-sdk/client-ec2';
import {
  ByoasnData,
  ByoasnResourceProperties,
  byoasnPhysicalId,
  parseBooleanProperty,
  splitPhysicalId,
} from '../lib/private/contract';
import { Finding, checkAuthorizationContext, checkIpamId, parseAsn } from '../lib/private/validation';
import { IsCompleteResponse, OnEventResponse, ResourceHandler, withSuperseded } from './common';
import { isRefusal, listByoipCidrs, listIpamByoasns, mayBeOurOwnEarlierAttempt } from './ec2';
import { HandlerError, awsErrorText, statusText } from './errors';
import { boundData } from './limits';
import { accountFromServiceToken, enforceFindings } from './validate';

/** Which ASN in which IPAM: the identity of the resource, and its physical id `<ipamId>|<asn>`. */
interface AsnTarget {
  readonly ipamId: string;
  /** Asplain, canonical decimal (the SDK's Asn fields are strings). */
  readonly asn: string;
}

const KNOWN_STATES: ReadonlySet<string> = new Set(Object.values(AsnState));

/** `failed-provision` and `deprovisioned` records stay listed for 7 days: they count as absent. */
const ABSENT_STATES: ReadonlySet<string> = new Set([AsnState.deprovisioned, AsnState.failed_provision]);

/** What an Update changes. */
type AsnChange = 'none' | 'replace' | 'move-ipam';

/** Handles `Custom::IpamByoasn`. */
export class IpamByoasnHandler extends ResourceHandler<ByoasnResourceProperties> {

  // =========================================================================================================
  // CREATE
  // =========================================================================================================

  protected async onCreate(): Promise<OnEventResponse> {
    const { target, findings } = this.parseTarget();
    enforceFindings([...findings, ...(target ? this.authorizationFindings(target) : [])], this.logicalId, this.logger);
    const adopt = parseBooleanProperty(this.event.ResourceProperties.AdoptExisting) ? 'adoptExisting is true' : undefined;
    return this.startProvisioning(this.required(target), adopt);
  }

  protected async isCreateComplete(): Promise<IsCompleteResponse> {
    return this.waitUntilProvisioned(this.physicalTarget());
  }

  /**
   * Reads the ASN's state and provisions it when it is absent. Whatever it returns carries `Data` with the
   * state it left the ASN in, which tells isComplete whether it still has to provision (after waiting for
   * an earlier deprovisioning to end).
   *
   * @param adopt why an ASN already provisioned in this IPAM may be taken over; undefined to refuse it
   */
  private async startProvisioning(target: AsnTarget, adopt: string | undefined): Promise<OnEventResponse> {
    const records = await this.readRecords(target.asn);
    this.refuseIfInAnotherIpam(target, records);
    const mine = this.recordIn(target, records);
    const state: string | undefined = mine?.State;
    switch (state) {
      case undefined:
      case AsnState.deprovisioned:
        return this.provision(target);
      case AsnState.failed_provision:
        // The failed record stays listed for 7 days, and the first reads after our call may still show it.
        return this.provision(target, mine);
      case AsnState.pending_provision:
        return this.waiting(target, mine, 'waiting for the provisioning in progress to end');
      case AsnState.provisioned:
        if (adopt === undefined) {
          throw new HandlerError(`${this.logicalId}: ASN ${target.asn} is already provisioned in ${target.ipamId}. Set adoptExisting: true to manage it with this stack (deleting the resource will then deprovision it), or deprovision it first.`);
        }
        return this.waiting(target, mine, `adopting it (${adopt})`);
      case AsnState.pending_deprovision:
        // AWS refuses to provision an ASN while it is being deprovisioned: isComplete provisions it later.
        return this.waiting(target, mine, 'waiting for the deprovisioning to end before provisioning it again');
      case AsnState.failed_deprovision:
        throw new HandlerError(`${this.logicalId}: ASN ${target.asn} is in state failed-deprovision in ${target.ipamId}; resolve the problem and deprovision it (DeprovisionIpamByoasn) before provisioning it again. AWS's status message: ${statusText(mine?.StatusMessage)}`);
      default:
        throw new HandlerError(`${this.logicalId}: ASN ${target.asn} is in state '${state}' in ${target.ipamId}, which this handler does not know; nothing was changed. AWS's status message: ${statusText(mine?.StatusMessage)}`);
    }
  }

  /**
   * Calls ProvisionIpamByoasn: the last fallible step of onEvent, so a failure leaves nothing behind.
   *
   * @param failed the failed-provision record in this IPAM that the call replaces, if any: the response then
   * carries it as `Superseded`, so that isComplete can tell that old record from a new failure
   */
  private async provision(target: AsnTarget, failed?: Byoasn): Promise<OnEventResponse> {
    const props = this.event.ResourceProperties;
    try {
      const result = await this.ec2.provisionIpamByoasn({
        IpamId: target.ipamId,
        Asn: target.asn,
        AsnAuthorizationContext: { Message: props.AuthorizationMessage, Signature: props.AuthorizationSignature },
      });
      const superseded = this.supersededRecord(failed);
      return withSuperseded(this.response(target, result.Byoasn ?? { State: AsnState.pending_provision }), superseded);
    } catch (error) {
      const superseded = this.supersededRecord(failed);
      if (isRefusal(error)) {
        // Our read said absent a moment ago. The likeliest "already provisioned" is our own earlier attempt,
        // whose answer was lost on a connection that the SDK then retried.
        const records = await this.readRecords(target.asn);
        const mine = this.recordIn(target, records);
        if (mine?.State === AsnState.pending_provision || mine?.State === AsnState.provisioned) {
          this.logger.info(`ASN ${target.asn} is ${mine.State} in ${target.ipamId} after all: taking it as our own request`);
          return withSuperseded(this.response(target, mine), superseded);
        }
        this.refuseIfInAnotherIpam(target, records);
        if (mayBeOurOwnEarlierAttempt(error)) {
          // Failing here would leave our request orphaned: the Delete after a failed onEvent never arrives.
          this.logger.info(`ProvisionIpamByoasn was refused (${awsErrorText(error)}) after the SDK retried it: an earlier attempt may have been applied, not visible yet; waiting for it`);
          return withSuperseded(this.response(target, { State: AsnState.pending_provision }), superseded);
        }
      }
      throw new HandlerError(`${this.logicalId}: could not provision ASN ${target.asn} in ${target.ipamId}: ProvisionIpamByoasn failed with ${awsErrorText(error)}`, { cause: error });
    }
  }

  /** Polls until the ASN is provisioned in the target IPAM; provisions it when onEvent left that to us. */
  private async waitUntilProvisioned(target: AsnTarget): Promise<IsCompleteResponse> {
    const records = await this.readRecords(target.asn);
    const mine = this.recordIn(target, records);
    const state: string | undefined = mine?.State;
    switch (state) {
      case AsnState.provisioned:
        return { IsComplete: true, Data: { ...this.data(target, mine) } };
      case AsnState.failed_provision:
        if (mine && this.isSupersededRecord(mine, `ASN ${target.asn} in ${target.ipamId}`, 'ProvisionIpamByoasn')) {
          return this.notComplete();
        }
        throw new HandlerError(`${this.logicalId}: AWS could not provision ASN ${target.asn} in ${target.ipamId}: ${statusText(mine?.StatusMessage)}`);
      case AsnState.failed_deprovision:
        throw new HandlerError(`${this.logicalId}: AWS could not deprovision ASN ${target.asn} from ${target.ipamId}, so it cannot be provisioned again: ${statusText(mine?.StatusMessage)}`);
      case AsnState.pending_provision:
      case AsnState.pending_deprovision:
        return this.notComplete();
      case undefined:
      case AsnState.deprovisioned:
        if (this.stateLeftByOnEvent === AsnState.pending_deprovision) {
          // onEvent found the ASN being deprovisioned and left the provisioning to us: that has ended now.
          const { findings } = this.parseTarget();
          enforceFindings([...findings, ...this.authorizationFindings(target)], this.logicalId, this.logger);
          this.refuseIfInAnotherIpam(target, records);
          return this.actFromIsComplete(`ProvisionIpamByoasn of ASN ${target.asn} in ${target.ipamId}`, () => this.provision(target));
        }
        // Otherwise our request is not visible yet (the Describe calls are eventually consistent), unless the
        // ASN turns up in another IPAM: then ours can never succeed.
        this.refuseIfInAnotherIpam(target, records);
        return this.notComplete();
      default:
        this.logger.warn(`ASN ${target.asn} is in unknown state '${state}' in ${target.ipamId}; waiting for a known one`);
        return this.notComplete();
    }
  }

  // =========================================================================================================
  // UPDATE
  // =========================================================================================================

  protected async onUpdate(): Promise<OnEventResponse> {
    const { target, findings } = this.parseTarget();
    enforceFindings(findings, this.logicalId, this.logger);
    const next = this.required(target);
    const current = this.currentTarget();
    const change = analyzeUpdate(current, next);
    this.logger.info(`update: ${change}`, { current, next });
    switch (change) {
      case 'none':
        // Only the authorization context or adoptExisting changed: they matter only when provisioning.
        return { PhysicalResourceId: this.physicalId() };
      case 'move-ipam':
        throw new HandlerError(`${this.logicalId}: cannot move ASN ${next.asn} from ${current?.ipamId} to ${next.ipamId} in one deployment: CloudFormation would provision it in ${next.ipamId} before deprovisioning it from ${current?.ipamId}, and AWS refuses to provision an ASN that is still in another IPAM. Migrate in two deployments: first deploy without this IpamByoasn (and its ByoasnCidrAssociations) so that the ASN is deprovisioned from ${current?.ipamId}, then deploy again with ipamId ${next.ipamId}.`);
      case 'replace':
        enforceFindings(this.authorizationFindings(next), this.logicalId, this.logger);
        // A new physical id: CloudFormation deletes the old ASN once the whole stack update has succeeded.
        // When CloudFormation rolls such a replacement back, it sends an Update from the new ASN back to the old
        // one, which still exists (it is deleted only after success): that ASN must be taken back, not refused.
        // An Update cannot tell a rollback from a forward change, so an Update adopts a provisioned ASN always.
        return this.startProvisioning(next, parseBooleanProperty(this.event.ResourceProperties.AdoptExisting)
          ? 'adoptExisting is true'
          : 'an Update takes back an ASN that is already provisioned here, as a rollback of a replacement needs');
    }
  }

  protected async isUpdateComplete(): Promise<IsCompleteResponse> {
    const target = this.physicalTarget();
    if (this.stateLeftByOnEvent === undefined) {
      // An in-place update: nothing was requested from AWS, so report the ASN as it is.
      const mine = this.recordIn(target, await this.readRecords(target.asn));
      return { IsComplete: true, Data: { ...this.data(target, mine) } };
    }
    return this.waitUntilProvisioned(target);
  }

  /**
   * What the resource is now, from its physical id: that is what CloudFormation recorded, also when it rolls
   * an update back (then the properties swap, but the id stays that of the resource that exists).
   */
  private currentTarget(): AsnTarget | undefined {
    return targetFromId(this.event.PhysicalResourceId);
  }

  // =========================================================================================================
  // DELETE
  // =========================================================================================================

  protected async onDelete(): Promise<OnEventResponse> {
    const target = targetFromId(this.event.PhysicalResourceId);
    if (!target) {
      // E.g. the Provider framework's marker after a failed create: nothing of ours exists.
      this.logger.info('the physical id is not an IpamByoasn id: nothing to delete');
      return { PhysicalResourceId: this.physicalId() };
    }
    const mine = this.recordIn(target, await this.readRecords(target.asn));
    const state: string | undefined = mine?.State;
    switch (state) {
      case undefined:
      case AsnState.deprovisioned:
      case AsnState.failed_provision:
        this.logger.info(`ASN ${target.asn} is not provisioned in ${target.ipamId}: nothing to delete`);
        return { PhysicalResourceId: this.physicalId() };
      case AsnState.provisioned:
        return this.deprovision(target);
      case AsnState.pending_provision:
        return this.waiting(target, mine, 'waiting for the provisioning to end, then deprovisioning it');
      case AsnState.pending_deprovision:
        return this.waiting(target, mine, 'waiting for the deprovisioning in progress to end');
      case AsnState.failed_deprovision:
        throw new HandlerError(`${this.logicalId}: AWS could not deprovision ASN ${target.asn} from ${target.ipamId} (state failed-deprovision); resolve the problem and deprovision it (DeprovisionIpamByoasn), then delete again. AWS's status message: ${statusText(mine?.StatusMessage)}`);
      default:
        this.logger.warn(`ASN ${target.asn} is in unknown state '${state}' in ${target.ipamId}; waiting for a known one`);
        return this.response(target, mine);
    }
  }

  protected async isDeleteComplete(): Promise<IsCompleteResponse> {
    const target = targetFromId(this.event.PhysicalResourceId);
    if (!target || this.stateLeftByOnEvent === undefined) {
      // onEvent found nothing to delete.
      return { IsComplete: true };
    }
    const mine = this.recordIn(target, await this.readRecords(target.asn));
    const state: string | undefined = mine?.State;
    switch (state) {
      case undefined:
      case AsnState.deprovisioned:
      case AsnState.failed_provision:
        return { IsComplete: true };
      case AsnState.failed_deprovision:
        throw new HandlerError(`${this.logicalId}: AWS could not deprovision ASN ${target.asn} from ${target.ipamId}: ${statusText(mine?.StatusMessage)}`);
      case AsnState.provisioned:
        if (this.mustDeprovisionNow()) {
          return this.actFromIsComplete(`DeprovisionIpamByoasn of ASN ${target.asn} from ${target.ipamId}`, () => this.deprovision(target));
        }
        // Otherwise our DeprovisionIpamByoasn is not visible yet (eventual consistency).
        return this.notComplete();
      case AsnState.pending_provision:
      case AsnState.pending_deprovision:
        return this.notComplete();
      default:
        this.logger.warn(`ASN ${target.asn} is in unknown state '${state}' in ${target.ipamId}; waiting for a known one`);
        return this.notComplete();
    }
  }

  /** True when onEvent only waited (for a provisioning, or an unknown state) and did not deprovision. */
  private mustDeprovisionNow(): boolean {
    const left = this.stateLeftByOnEvent;
    return left !== undefined && (left === AsnState.pending_provision || !KNOWN_STATES.has(left));
  }

  /** Calls DeprovisionIpamByoasn; when AWS refuses, finds out why and says what blocks. */
  private async deprovision(target: AsnTarget): Promise<OnEventResponse> {
    try {
      const result = await this.ec2.deprovisionIpamByoasn({ IpamId: target.ipamId, Asn: target.asn });
      return this.response(target, result.Byoasn ?? { State: AsnState.pending_deprovision });
    } catch (error) {
      if (!isRefusal(error)) {
        throw new HandlerError(`${this.logicalId}: could not deprovision ASN ${target.asn} from ${target.ipamId}: DeprovisionIpamByoasn failed with ${awsErrorText(error)}`, { cause: error });
      }
      // The codes for these refusals are undocumented: the state tells what happened.
      const mine = this.recordIn(target, await this.readRecords(target.asn));
      if (mine === undefined || mine.State === AsnState.deprovisioned || mine.State === AsnState.pending_deprovision) {
        this.logger.info(`ASN ${target.asn} is ${mine?.State ?? 'absent'} in ${target.ipamId} after all: taking it as our own request`);
        return this.response(target, mine ?? { State: AsnState.deprovisioned });
      }
      const associations = await this.associationsOf(target.asn);
      if (associations.length > 0) {
        throw new HandlerError(`${this.logicalId}: cannot deprovision ASN ${target.asn} from ${target.ipamId}: it is still associated with ${associations.join(', ')}. Delete the ByoasnCidrAssociation resources of these CIDRs (or disassociate them with DisassociateIpamByoasn) first. AWS said: ${awsErrorText(error)}`, { cause: error, blocking: true });
      }
      if (mayBeOurOwnEarlierAttempt(error)) {
        this.logger.info(`DeprovisionIpamByoasn was refused (${awsErrorText(error)}) after the SDK retried it: an earlier attempt may have been applied, not visible yet; waiting for it`);
        return this.response(target, { State: AsnState.pending_deprovision });
      }
      throw new HandlerError(`${this.logicalId}: AWS refused to deprovision ASN ${target.asn} from ${target.ipamId}: ${awsErrorText(error)}`, { cause: error });
    }
  }

  /** The CIDRs the ASN is (being) associated with, e.g. `203.0.113.0/24 (associated)`. */
  private async associationsOf(asn: string): Promise<string[]> {
    const found: string[] = [];
    for (const cidr of await listByoipCidrs(this.ec2)) {
      for (const association of cidr.AsnAssociations ?? []) {
        if (association.Asn === asn && association.State !== 'disassociated' && association.State !== 'failed-association') {
          found.push(`${association.Cidr ?? cidr.Cidr} (${association.State})`);
        }
      }
    }
    this.logger.info(`ASN ${asn} has ${found.length} association(s)`, { associations: found });
    return found;
  }

  // =========================================================================================================
  // Helpers
  // =========================================================================================================

  protected secrets(): string[] {
    return [this.event.ResourceProperties?.AuthorizationSignature, this.event.OldResourceProperties?.AuthorizationSignature]
      .filter((s): s is string => typeof s === 'string');
  }

  /** Parses IpamId and Asn from the properties; `target` is undefined when the ASN is not a number at all. */
  private parseTarget(): { target?: AsnTarget; findings: Finding[] } {
    const props = this.event.ResourceProperties;
    const parsed = parseAsn(props.Asn);
    const findings = [...checkIpamId(props.IpamId), ...parsed.findings];
    return { target: parsed.asn === undefined ? undefined : { ipamId: props.IpamId, asn: String(parsed.asn) }, findings };
  }

  /** Checks the authorization context against the ASN and the stack's account. */
  private authorizationFindings(target: AsnTarget): Finding[] {
    const props = this.event.ResourceProperties;
    return checkAuthorizationContext(props.AuthorizationMessage, props.AuthorizationSignature, {
      resource: target.asn,
      kind: 'asn',
      account: accountFromServiceToken(this.event.ServiceToken),
    });
  }

  private required(target: AsnTarget | undefined): AsnTarget {
    if (!target) {
      // parseTarget reports an error finding whenever it has no target, so enforceFindings threw already.
      throw new HandlerError(`${this.logicalId}: the Asn property could not be read.`);
    }
    return target;
  }

  /** The target of the physical id of an isComplete event (which onEvent chose). */
  private physicalTarget(): AsnTarget {
    const target = targetFromId(this.event.PhysicalResourceId);
    if (!target) {
      throw new HandlerError(`${this.logicalId}: '${this.event.PhysicalResourceId}' is not an IpamByoasn physical id (<ipamId>|<asn>).`);
    }
    return target;
  }

  private physicalId(): string {
    return this.event.PhysicalResourceId ?? '';
  }

  /** Every record of the ASN (in any IPAM), one log line per record. */
  private async readRecords(asn: string): Promise<Byoasn[]> {
    const records = (await listIpamByoasns(this.ec2)).filter((record) => record.Asn === asn);
    if (records.length === 0) {
      this.logger.info(`ASN ${asn} is not listed`);
    }
    for (const record of records) {
      this.logger.info(`ASN ${asn} is ${record.State} in ${record.IpamId}`, { asn, ipamId: record.IpamId, state: record.State, statusMessage: this.safeStatus(record.StatusMessage) });
    }
    return records;
  }

  private recordIn(target: AsnTarget, records: readonly Byoasn[]): Byoasn | undefined {
    return records.find((record) => record.IpamId === target.ipamId);
  }

  /** An ASN can be in one IPAM only: refuses when another IPAM holds it in any state but an absent one. */
  private refuseIfInAnotherIpam(target: AsnTarget, records: readonly Byoasn[]): void {
    const elsewhere = records.find((record) => record.IpamId !== target.ipamId && !ABSENT_STATES.has(record.State ?? ''));
    if (elsewhere) {
      throw new HandlerError(`${this.logicalId}: ASN ${target.asn} is already in another IPAM, ${elsewhere.IpamId} (state ${elsewhere.State}); an ASN can be in only one IPAM at a time. Deprovision it from ${elsewhere.IpamId} first, or use ${elsewhere.IpamId} as ipamId.`);
    }
  }

  /** onEvent's answer when it leaves the work to isComplete (or adopts): logs why, and returns the state. */
  private waiting(target: AsnTarget, record: Byoasn | undefined, why: string): OnEventResponse {
    this.logger.info(`ASN ${target.asn} in ${target.ipamId} is ${record?.State}: ${why}`);
    return this.response(target, record);
  }

  private response(target: AsnTarget, record: Byoasn | undefined): OnEventResponse {
    // A Delete must answer with the id it was given; otherwise the id follows the target.
    const physicalId = this.event.RequestType === 'Delete' ? this.physicalId() : byoasnPhysicalId(target.ipamId, target.asn);
    return { PhysicalResourceId: physicalId, Data: { ...this.data(target, record) } };
  }

  /** The attributes: identity, state and AWS's message, all strings, bounded, never the signature. */
  private data(target: AsnTarget, record: Byoasn | undefined): ByoasnData {
    return boundData({
      Asn: target.asn,
      IpamId: target.ipamId,
      State: record?.State ?? '',
      StatusMessage: this.safeStatus(record?.StatusMessage),
    });
  }
}

/** Parses `<ipamId>|<asn>`; undefined when the id is not one of ours (e.g. the create-failed marker). */
function targetFromId(physicalId: string | undefined): AsnTarget | undefined {
  const parts = physicalId === undefined ? undefined : splitPhysicalId(physicalId);
  // Only canonical ids: the ids we answer with must be exactly the ones we were given.
  if (!parts || checkIpamId(parts[0]).length > 0 || !/^(0|[1-9]\d{0,9})$/.test(parts[1])) {
    return undefined;
  }
  return { ipamId: parts[0], asn: parts[1] };
}

/**
 * Same ASN in the same IPAM: in place. Another ASN (or no readable current one): a replacement. Same ASN in
 * another IPAM: refused.
 */
function analyzeUpdate(current: AsnTarget | undefined, next: AsnTarget): AsnChange {
  if (!current || current.asn !== next.asn) {
    return 'replace';
  }
  return current.ipamId === next.ipamId ? 'none' : 'move-ipam';
}
