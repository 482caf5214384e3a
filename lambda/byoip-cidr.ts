/**
 * The handler of `Custom::ByoipCidr`: brings a public address range to AWS (ProvisionByoipCidr) and releases it
 * again (DeprovisionByoipCidr). Its identity, its states and its calls; the lifecycle is `LifecycleHandler`'s.
 *
 * BYOIP provisioning can take days and deprovisioning a day, longer than CloudFormation waits: with
 * `WaitForProvisioning: 'false'` a create completes once AWS has accepted it, and a delete always does.
 */
import { ByoipCidr, ByoipCidrState } from '@aws-sdk/client-ec2';
import { ByoipCidrData, ByoipCidrResourceProperties, byoipCidrPhysicalId } from '../lib/private/contract';
import { Finding, checkAuthorizationContext, checkCidr, formatPrefix, parsePrefix } from '../lib/private/validation';
import { IsCompleteResponse, OnEventResponse, ResponseData } from './common';
import { isParameterRefusal, listByoipCidrs, mayHaveBeenApplied } from './ec2';
import { HandlerError, statusText } from './errors';
import { LifecycleHandler, Phase, Reading } from './lifecycle';
import { boundData } from './limits';
import { UPDATE_ROLLBACK_IN_PROGRESS, readStackStatus } from './stack';
import { accountFromServiceToken, enforceFindings } from './validate';

/** Which address range: the identity of the resource, and its physical id `<cidr>`. */
export interface CidrTarget {
  /** Canonical form, compared exactly with what AWS lists. */
  readonly cidr: string;
}

/** What each BYOIP CIDR state means to the lifecycle (DESIGN §3, §6). */
const PHASES: Readonly<Record<string, Phase>> = {
  [ByoipCidrState.pending_provision]: 'creating',
  [ByoipCidrState.provisioned]: 'created',
  [ByoipCidrState.provisioned_not_publicly_advertisable]: 'created',
  // The range is there, and advertised: a ByoipCidrAdvertisement's business, not this resource's.
  [ByoipCidrState.pending_advertising]: 'created',
  [ByoipCidrState.advertised]: 'created',
  [ByoipCidrState.pending_withdrawal]: 'created',
  // Listed beside live records; holds nothing.
  [ByoipCidrState.failed_provision]: 'create-failed',
  [ByoipCidrState.pending_deprovision]: 'deleting',
  [ByoipCidrState.deprovisioned]: 'absent',
  [ByoipCidrState.failed_deprovision]: 'delete-failed',
};

/** States in which the range is (being) advertised, or being withdrawn: AWS does not deprovision it then. */
const ADVERTISED_STATES: ReadonlySet<string> = new Set(['pending-advertising', 'advertised', 'pending-withdrawal']);

/** States from which DeprovisionByoipCidr should be accepted when nothing else blocks it. */
const REMOVABLE_STATES: ReadonlySet<string> = new Set(['provisioned', 'provisioned-not-publicly-advertisable']);

/** Association states that no longer tie an ASN to the range. */
const RELEASED_ASSOCIATION_STATES: ReadonlySet<string> = new Set(['disassociated', 'failed-association']);

/**
 * The address pool that AWS creates for the range: on success the StatusMessage holds its id (the API reference:
 * "Upon success, contains the ID of the address pool"; the CLI examples show `ipv4pool-ec2-1234567890abcdef0`).
 */
const POOL_ID = /\b(ipv[46]pool-ec2-[0-9a-f]+)\b/;

/** An AWS refusal that names allocated addresses (the code for it is undocumented, its wording unknown). */
const ALLOCATIONS_NAMED = /allocat|elastic ip|\beips?\b/i;

/** An AWS refusal that names an advertisement of the range (code and wording undocumented, like the others). */
const ADVERTISEMENT_NAMED = /advertis/i;

/** An AWS refusal that names ASN associations of the range (code and wording undocumented, like the others). */
const ASSOCIATIONS_NAMED = /associat/i;

/** The properties that AWS fixes when it provisions the range, with the construct's names for messages. */
const FIXED_PROPERTIES: ReadonlyArray<readonly [keyof ByoipCidrResourceProperties, string]> = [
  ['PubliclyAdvertisable', 'publiclyAdvertisable'],
  ['NetworkBorderGroup', 'networkBorderGroup'],
  ['Description', 'description'],
];

/** Handles `Custom::ByoipCidr`. */
export class ByoipCidrHandler extends LifecycleHandler<ByoipCidrResourceProperties, CidrTarget, ByoipCidr> {
  protected readonly createCall = 'ProvisionByoipCidr';
  protected readonly removeCall = 'DeprovisionByoipCidr';

  /** True in isComplete: a refused call there may be the repeat of an earlier poll's request. */
  private polling = false;

  public async isComplete(): Promise<IsCompleteResponse> {
    this.polling = true;
    return super.isComplete();
  }

  // =========================================================================================================
  // Identity
  // =========================================================================================================

  protected targetOf(props: ByoipCidrResourceProperties): CidrTarget {
    const advertisable = flag(props.PubliclyAdvertisable, 'PubliclyAdvertisable');
    const wait = flag(props.WaitForProvisioning, 'WaitForProvisioning');
    const cidr = checkCidr(props.Cidr, { publiclyAdvertisable: advertisable.value ?? true });
    const ipv4 = typeof props.Cidr === 'string' && parsePrefix(props.Cidr)?.version === 4;
    const ipv6Only: Finding[] = advertisable.value === false && ipv4
      ? [{ severity: 'error', property: 'PubliclyAdvertisable', message: `PubliclyAdvertisable 'false' applies to IPv6 ranges only; AWS advertises IPv4 range '${props.Cidr}' publicly. Leave it out (or 'true').` }]
      : [];
    enforceFindings([...cidr, ...advertisable.findings, ...ipv6Only, ...wait.findings], this.logicalId, this.logger);
    return { cidr: props.Cidr };
  }

  protected targetOfLenient(props: ByoipCidrResourceProperties | undefined): CidrTarget | undefined {
    return this.targetFromId(props && byoipCidrPhysicalId(String(props.Cidr)));
  }

  protected targetFromId(physicalId: string | undefined): CidrTarget | undefined {
    return targetFromId(physicalId);
  }

  protected physicalIdOf(target: CidrTarget): string {
    return byoipCidrPhysicalId(target.cidr);
  }

  protected describe(target: CidrTarget): string {
    return `BYOIP CIDR ${target.cidr}`;
  }

  // =========================================================================================================
  // States
  // =========================================================================================================

  protected phaseOf(state: string | undefined): Phase {
    return state === undefined ? 'absent' : PHASES[state] ?? 'unknown';
  }

  /** With `WaitForProvisioning: 'false'`, an accepted provisioning is done; an accepted deprovisioning always is. */
  protected settled(goal: 'created' | 'deleted', phase: Phase): boolean {
    if (goal === 'created' && phase === 'creating') {
      return flagValue(this.event.ResourceProperties?.WaitForProvisioning) === false;
    }
    if (goal === 'deleted' && phase === 'deleting') {
      return true;
    }
    return super.settled(goal, phase);
  }

  /** The range's record: the live one when AWS lists a deprovisioned one beside it. */
  protected async read(target: CidrTarget): Promise<Reading<ByoipCidr>> {
    const records = (await listByoipCidrs(this.ec2)).filter((c) => c.Cidr === target.cidr);
    const record = this.pickLive(records, this.describe(target));
    this.logger.info(record ? `BYOIP CIDR ${target.cidr} is ${record.State}` : `BYOIP CIDR ${target.cidr} is not listed`, {
      cidr: target.cidr,
      state: record?.State,
      statusMessage: this.safeStatus(record?.StatusMessage),
      associations: (record?.AsnAssociations ?? []).map((a) => `${a.Asn} (${a.State})`),
    });
    return { record };
  }

  // =========================================================================================================
  // Update
  // =========================================================================================================

  /**
   * AWS fixes a range's advertisability, network border group and description when it provisions it, and has
   * no call to change them: a forward update that changes them alone is refused. The rollback of such an update
   * (the stack's status says which it is) goes back to what AWS has, and changes nothing.
   */
  protected async onUpdate(): Promise<OnEventResponse> {
    const refusal = await this.fixedPropertyRefusal();
    if (refusal !== undefined) {
      throw new HandlerError(refusal);
    }
    return super.onUpdate();
  }

  private async fixedPropertyRefusal(): Promise<string | undefined> {
    const props = this.event.ResourceProperties;
    const old = this.event.OldResourceProperties;
    const current = this.targetFromId(this.event.PhysicalResourceId);
    const next = this.targetOfLenient(props);
    const previous = this.targetOfLenient(old);
    // Only an update of this very range: a replacement (or the rollback of one) creates or takes another.
    if (current === undefined || next?.cidr !== current.cidr || previous?.cidr !== current.cidr) {
      return undefined;
    }
    const changed = FIXED_PROPERTIES.filter(([key]) => normalized(key, props[key]) !== normalized(key, old?.[key]));
    if (changed.length === 0) {
      return undefined;
    }
    const what = changed.map(([key, name]) => `${name} (from '${normalized(key, old?.[key])}' to '${normalized(key, props[key])}')`).join(', ');
    let status: string;
    try {
      status = await readStackStatus(this.cloudFormation, this.event.StackId);
    } catch (error) {
      return `${this.logicalId}: this update changes ${what} of BYOIP CIDR ${current.cidr}, which AWS cannot change in place; whether it is the rollback of an earlier update (which may go back) depends on the stack's status, which could not be read: ${this.awsText(error)}. Nothing was changed.`;
    }
    if (status === UPDATE_ROLLBACK_IN_PROGRESS) {
      this.logger.info(`the stack is ${status}: ${what} go back to the values AWS has; nothing to change`);
      return undefined;
    }
    return `${this.logicalId}: cannot change ${what} of BYOIP CIDR ${current.cidr}: AWS sets them when it provisions a range and has no call to change them. To change them, release the range and bring it again: deploy once without this ByoipCidr (and what depends on it), then again with the new values. Nothing was changed.`;
  }

  // =========================================================================================================
  // Calls
  // =========================================================================================================

  /** Checks the CIDR authorization against the range and the stack's account: only ever right before a Provision. */
  protected checkBeforeCreate(target: CidrTarget): void {
    const props = this.event.ResourceProperties;
    enforceFindings(checkAuthorizationContext(props.AuthorizationMessage, props.AuthorizationSignature, {
      resource: target.cidr,
      kind: 'cidr',
      account: accountFromServiceToken(this.event.ServiceToken),
      // Date.now, not the system clock: the lifecycle tests run the handler at a simulated time.
      now: new Date(Date.now()),
    }), this.logicalId, this.logger);
  }

  protected async create(target: CidrTarget): Promise<unknown> {
    const props = this.event.ResourceProperties;
    return this.ec2.provisionByoipCidr({
      Cidr: target.cidr,
      CidrAuthorizationContext: { Message: props.AuthorizationMessage, Signature: props.AuthorizationSignature },
      // As validated (targetOf): 'false' or false; anything else that passed means true.
      PubliclyAdvertisable: flagValue(props.PubliclyAdvertisable) !== false,
      ...(props.Description ? { Description: props.Description } : {}),
      ...(props.NetworkBorderGroup ? { NetworkBorderGroup: props.NetworkBorderGroup } : {}),
    });
  }

  protected async remove(target: CidrTarget): Promise<unknown> {
    return this.ec2.deprovisionByoipCidr({ Cidr: target.cidr });
  }

  /** AWS does not deprovision a range that is advertised, or that ASNs are associated with: says so before asking. */
  protected async checkBeforeRemove(target: CidrTarget, record: ByoipCidr | undefined): Promise<void> {
    const blocker = this.blockerIn(target, record ?? (await this.read(target)).record);
    if (blocker !== undefined) {
      throw new HandlerError(blocker);
    }
  }

  /**
   * After AWS refused: an advertisement or associations that turned up since, or else addresses of the range
   * that are still allocated (AWS's code and wording for that are undocumented). In isComplete a refusal may be
   * the repeat of an earlier poll's request, not visible yet: there only a refusal that names allocations says so.
   */
  protected async removalBlocker(target: CidrTarget, error: unknown): Promise<string | undefined> {
    const { record } = await this.read(target);
    const aws = this.awsText(error);
    const blocker = this.blockerIn(target, record, aws) ?? this.blockerNamedBy(target, aws);
    if (blocker !== undefined) {
      return blocker;
    }
    if (!REMOVABLE_STATES.has(record?.State ?? '')) {
      // Gone, going, or in a state that says more than a guess would: the lifecycle decides.
      return undefined;
    }
    const named = ALLOCATIONS_NAMED.test(aws);
    if (!named && (this.polling || mayHaveBeenApplied(error) || isParameterRefusal(error))) {
      return undefined;
    }
    return `${this.logicalId}: AWS refused to deprovision BYOIP CIDR ${target.cidr} (state ${record?.State}), which is neither advertised nor associated with an ASN: addresses of the range may still be allocated (Elastic IPs, or an IPAM pool's allocations): release them first, then delete again. AWS said: ${aws}`;
  }

  /**
   * What AWS's refusal itself names as blocking when the read shows nothing that does: reads are eventually
   * consistent, so an advertisement or association made moments before may not be listed yet. A refusal that
   * names allocated addresses is left to `removalBlocker`.
   */
  private blockerNamedBy(target: CidrTarget, aws: string): string | undefined {
    if (ALLOCATIONS_NAMED.test(aws)) {
      return undefined;
    }
    if (ADVERTISEMENT_NAMED.test(aws)) {
      return `${this.logicalId}: AWS refused to deprovision BYOIP CIDR ${target.cidr} because it is advertised (DescribeByoipCidrs does not show it yet). AWS does not deprovision an advertised range: withdraw it first (delete the ByoipCidrAdvertisement, or WithdrawByoipCidr), then delete again. AWS said: ${aws}`;
    }
    if (ASSOCIATIONS_NAMED.test(aws)) {
      return `${this.logicalId}: AWS refused to deprovision BYOIP CIDR ${target.cidr} because ASNs are associated with it (DescribeByoipCidrs does not show them yet). Delete the ByoasnCidrAssociation resources of these ASNs (or disassociate them with DisassociateIpamByoasn) first, then delete again. AWS said: ${aws}`;
    }
    return undefined;
  }

  /** What in the record blocks a deprovisioning, as a message; undefined when nothing does. */
  private blockerIn(target: CidrTarget, record: ByoipCidr | undefined, aws?: string): string | undefined {
    const said = aws === undefined ? '' : ` AWS said: ${aws}`;
    const state = record?.State ?? '';
    if (ADVERTISED_STATES.has(state)) {
      return `${this.logicalId}: cannot deprovision BYOIP CIDR ${target.cidr}: it is ${state}. AWS does not deprovision an advertised range: withdraw it first (delete the ByoipCidrAdvertisement, or WithdrawByoipCidr), then delete again.${said}`;
    }
    const associations = (record?.AsnAssociations ?? []).filter((a) => !RELEASED_ASSOCIATION_STATES.has(a.State ?? ''));
    if (associations.length > 0) {
      const named = associations.map((a) => `ASN ${a.Asn} (${a.State})`).join(', ');
      return `${this.logicalId}: cannot deprovision BYOIP CIDR ${target.cidr}: it is still associated with ${named}. Delete the ByoasnCidrAssociation resources of these ASNs (or disassociate them with DisassociateIpamByoasn) first, then delete again.${said}`;
    }
    return undefined;
  }

  // =========================================================================================================
  // Attributes and messages
  // =========================================================================================================

  protected data(target: CidrTarget, record: ByoipCidr | undefined): ResponseData {
    const data: ByoipCidrData = {
      Cidr: target.cidr,
      State: record?.State ?? '',
      StatusMessage: this.safeStatus(record?.StatusMessage),
      PoolId: POOL_ID.exec(record?.StatusMessage ?? '')?.[1] ?? '',
    };
    return { ...boundData(data) };
  }

  protected existsMessage(target: CidrTarget, record: ByoipCidr | undefined): string {
    return `${this.logicalId}: BYOIP CIDR ${target.cidr} is already ${record?.State ?? 'provisioned'} in this account and Region. Set adoptExisting: true to manage it with this stack (deleting the resource will then deprovision it), or deprovision it first.`;
  }

  protected createFailedMessage(target: CidrTarget, record: ByoipCidr | undefined): string {
    return `${this.logicalId}: AWS could not provision BYOIP CIDR ${target.cidr}: ${statusText(record?.StatusMessage)}`;
  }

  protected blockedByFailedRemovalMessage(target: CidrTarget, record: ByoipCidr | undefined): string {
    return `${this.logicalId}: BYOIP CIDR ${target.cidr} is in state failed-deprovision; release every address of the range and deprovision it (DeprovisionByoipCidr) before provisioning it again. AWS's status message: ${statusText(record?.StatusMessage)}`;
  }

  protected removeFailedMessage(target: CidrTarget, record: ByoipCidr | undefined): string {
    return `${this.logicalId}: AWS could not deprovision BYOIP CIDR ${target.cidr} (state failed-deprovision); release every address of the range (Elastic IPs, IPAM pool allocations) and deprovision it (DeprovisionByoipCidr), then delete again. AWS's status message: ${statusText(record?.StatusMessage)}`;
  }

  protected secrets(): string[] {
    return [this.event.ResourceProperties?.AuthorizationSignature, this.event.OldResourceProperties?.AuthorizationSignature]
      .filter((s): s is string => typeof s === 'string');
  }
}

/** A `'true'`/`'false'` property (absent or `''` means the default, true); undefined for anything else. */
function flagValue(value: unknown): boolean | undefined {
  if (value === undefined || value === '' || value === 'true' || value === true) {
    return true;
  }
  if (value === 'false' || value === false) {
    return false;
  }
  return undefined;
}

/** {@link flagValue}, and a finding when the property has none. */
function flag(value: unknown, property: string): { value?: boolean; findings: Finding[] } {
  const parsed = flagValue(value);
  if (parsed === undefined) {
    return { findings: [{ severity: 'error', property, message: `${property} must be 'true' or 'false'; got ${JSON.stringify(value)}.` }] };
  }
  return { value: parsed, findings: [] };
}

/** A fixed property as compared between updates: the default when absent. */
function normalized(key: keyof ByoipCidrResourceProperties, value: unknown): string {
  if (key === 'PubliclyAdvertisable') {
    return value === 'false' || value === false ? 'false' : 'true';
  }
  return value === undefined || value === null ? '' : String(value);
}

/** Parses `<cidr>`; undefined when the id is not one of ours (e.g. the create-failed marker). */
function targetFromId(physicalId: string | undefined): CidrTarget | undefined {
  const prefix = physicalId === undefined ? undefined : parsePrefix(physicalId);
  // Only canonical ids: the ids we answer with must be exactly the ones we were given.
  if (prefix === undefined || formatPrefix(prefix) !== physicalId) {
    return undefined;
  }
  return { cidr: physicalId };
}
