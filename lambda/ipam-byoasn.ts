/**
 * The handler of `Custom::IpamByoasn`: brings a public ASN to an IPAM (ProvisionIpamByoasn) and removes it
 * again (DeprovisionIpamByoasn). Its identity, its states and its calls; the lifecycle is `LifecycleHandler`'s.
 */
import { AsnState, Byoasn } from '@aws-sdk/client-ec2';
import { ByoasnResourceProperties, byoasnPhysicalId, splitPhysicalId } from '../lib/private/contract';
import { checkAuthorizationContext, checkIpamId, parseAsn } from '../lib/private/validation';
import { ResponseData } from './common';
import { listByoipCidrs, listIpamByoasns } from './ec2';
import { HandlerError, statusText } from './errors';
import { LifecycleHandler, Phase, Reading } from './lifecycle';
import { boundData } from './limits';
import { accountFromServiceToken, enforceFindings } from './validate';

/** Which ASN in which IPAM: the identity of the resource, and its physical id `<ipamId>|<asn>`. */
export interface AsnTarget {
  readonly ipamId: string;
  /** Asplain, canonical decimal (the SDK's Asn fields are strings). */
  readonly asn: string;
}

/** What each ASN state means to the lifecycle (DESIGN §3, §6). */
const PHASES: Readonly<Record<string, Phase>> = {
  [AsnState.pending_provision]: 'creating',
  [AsnState.provisioned]: 'created',
  // Listed for 7 days after a failed provisioning; holds nothing.
  [AsnState.failed_provision]: 'create-failed',
  [AsnState.pending_deprovision]: 'deleting',
  // Listed for 7 days; counts as absent.
  [AsnState.deprovisioned]: 'absent',
  [AsnState.failed_deprovision]: 'delete-failed',
};

/** Handles `Custom::IpamByoasn`. */
export class IpamByoasnHandler extends LifecycleHandler<ByoasnResourceProperties, AsnTarget, Byoasn> {
  protected readonly createCall = 'ProvisionIpamByoasn';
  protected readonly removeCall = 'DeprovisionIpamByoasn';

  // =========================================================================================================
  // Identity
  // =========================================================================================================

  protected targetOf(props: ByoasnResourceProperties): AsnTarget {
    const parsed = parseAsn(props.Asn);
    enforceFindings([...checkIpamId(props.IpamId), ...parsed.findings], this.logicalId, this.logger);
    if (parsed.asn === undefined) {
      // parseAsn reports an error finding whenever it has no ASN, so enforceFindings threw already.
      throw new HandlerError(`${this.logicalId}: the Asn property could not be read.`);
    }
    return { ipamId: props.IpamId, asn: String(parsed.asn) };
  }

  protected targetOfLenient(props: ByoasnResourceProperties | undefined): AsnTarget | undefined {
    return this.targetFromId(props && byoasnPhysicalId(String(props.IpamId), String(props.Asn)));
  }

  protected targetFromId(physicalId: string | undefined): AsnTarget | undefined {
    return targetFromId(physicalId);
  }

  protected physicalIdOf(target: AsnTarget): string {
    return byoasnPhysicalId(target.ipamId, target.asn);
  }

  protected describe(target: AsnTarget): string {
    return `ASN ${target.asn} in ${target.ipamId}`;
  }

  protected changeRefusal(current: AsnTarget, next: AsnTarget): string | undefined {
    if (current.asn !== next.asn) {
      return undefined;
    }
    return `${this.logicalId}: cannot move ASN ${next.asn} from ${current.ipamId} to ${next.ipamId} in one deployment: CloudFormation would provision it in ${next.ipamId} before deprovisioning it from ${current.ipamId}, and AWS refuses to provision an ASN that is still in another IPAM. Migrate in two deployments: first deploy without this IpamByoasn (and its ByoasnCidrAssociations) so that the ASN is deprovisioned from ${current.ipamId}, then deploy again with ipamId ${next.ipamId}.`;
  }

  // =========================================================================================================
  // States
  // =========================================================================================================

  protected phaseOf(state: string | undefined): Phase {
    return state === undefined ? 'absent' : PHASES[state] ?? 'unknown';
  }

  /** The ASN's record in the target IPAM, and a conflict when another IPAM holds it (an ASN is in one at most). */
  protected async read(target: AsnTarget): Promise<Reading<Byoasn>> {
    const records = await this.readRecords(target.asn);
    const record = this.pickLive(records.filter((r) => r.IpamId === target.ipamId), this.describe(target));
    const elsewhere = records.find((r) => r.IpamId !== target.ipamId && !['absent', 'create-failed'].includes(this.phaseOf(r.State)));
    const conflict = elsewhere && `${this.logicalId}: ASN ${target.asn} is already in another IPAM, ${elsewhere.IpamId} (state ${elsewhere.State}); an ASN can be in only one IPAM at a time. Deprovision it from ${elsewhere.IpamId} first, or use ${elsewhere.IpamId} as ipamId.`;
    return { record, conflict };
  }

  // =========================================================================================================
  // Calls
  // =========================================================================================================

  /** Checks the authorization message against the ASN and the stack's account: only ever right before a Provision. */
  protected checkBeforeCreate(target: AsnTarget): void {
    const props = this.event.ResourceProperties;
    enforceFindings(checkAuthorizationContext(props.AuthorizationMessage, props.AuthorizationSignature, {
      resource: target.asn,
      kind: 'asn',
      account: accountFromServiceToken(this.event.ServiceToken),
      // Date.now, not the system clock: the lifecycle tests run the handler at a simulated time.
      now: new Date(Date.now()),
    }), this.logicalId, this.logger);
  }

  protected async create(target: AsnTarget): Promise<unknown> {
    const props = this.event.ResourceProperties;
    return this.ec2.provisionIpamByoasn({
      IpamId: target.ipamId,
      Asn: target.asn,
      AsnAuthorizationContext: { Message: props.AuthorizationMessage, Signature: props.AuthorizationSignature },
    });
  }

  protected async remove(target: AsnTarget): Promise<unknown> {
    return this.ec2.deprovisionIpamByoasn({ IpamId: target.ipamId, Asn: target.asn });
  }

  /** AWS does not deprovision an ASN that is still associated with CIDRs. */
  protected async removalBlocker(target: AsnTarget, error: unknown): Promise<string | undefined> {
    const associations = await this.associationsOf(target.asn);
    if (associations.length === 0) {
      return undefined;
    }
    return `${this.logicalId}: cannot deprovision ASN ${target.asn} from ${target.ipamId}: it is still associated with ${associations.join(', ')}. Delete the ByoasnCidrAssociation resources of these CIDRs (or disassociate them with DisassociateIpamByoasn) first. AWS said: ${this.awsText(error)}`;
  }

  /** The CIDRs the ASN is (being) associated with, e.g. `203.0.113.0/24 (associated)`. */
  private async associationsOf(asn: string): Promise<string[]> {
    const found: string[] = [];
    for (const cidr of await listByoipCidrs(this.ec2)) {
      for (const association of cidr.AsnAssociations ?? []) {
        // disassociated and failed-association hold nothing; failed-disassociation still ties the ASN.
        if (association.Asn === asn && association.State !== 'disassociated' && association.State !== 'failed-association') {
          found.push(`${association.Cidr ?? cidr.Cidr} (${association.State})`);
        }
      }
    }
    this.logger.info(`ASN ${asn} has ${found.length} association(s)`, { associations: found });
    return found;
  }

  // =========================================================================================================
  // Attributes and messages
  // =========================================================================================================

  protected data(target: AsnTarget, record: Byoasn | undefined): ResponseData {
    return { ...boundData({ Asn: target.asn, IpamId: target.ipamId, State: record?.State ?? '', StatusMessage: this.safeStatus(record?.StatusMessage) }) };
  }

  protected existsMessage(target: AsnTarget, record: Byoasn | undefined): string {
    return `${this.logicalId}: ASN ${target.asn} is already ${record?.State ?? 'provisioned'} in ${target.ipamId}. Set adoptExisting: true to manage it with this stack (deleting the resource will then deprovision it), or deprovision it first.`;
  }

  protected createFailedMessage(target: AsnTarget, record: Byoasn | undefined): string {
    return `${this.logicalId}: AWS could not provision ASN ${target.asn} in ${target.ipamId}: ${statusText(record?.StatusMessage)}`;
  }

  protected blockedByFailedRemovalMessage(target: AsnTarget, record: Byoasn | undefined): string {
    return `${this.logicalId}: ASN ${target.asn} is in state failed-deprovision in ${target.ipamId}; resolve the problem and deprovision it (DeprovisionIpamByoasn) before provisioning it again. AWS's status message: ${statusText(record?.StatusMessage)}`;
  }

  protected removeFailedMessage(target: AsnTarget, record: Byoasn | undefined): string {
    return `${this.logicalId}: AWS could not deprovision ASN ${target.asn} from ${target.ipamId} (state failed-deprovision); resolve the problem and deprovision it (DeprovisionIpamByoasn), then delete again. AWS's status message: ${statusText(record?.StatusMessage)}`;
  }

  protected secrets(): string[] {
    return [this.event.ResourceProperties?.AuthorizationSignature, this.event.OldResourceProperties?.AuthorizationSignature]
      .filter((s): s is string => typeof s === 'string');
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
