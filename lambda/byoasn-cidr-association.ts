/**
 * The handler of `Custom::ByoasnCidrAssociation`: associates an ASN with a BYOIP CIDR (AssociateIpamByoasn)
 * and removes the association (DisassociateIpamByoasn). Association state is visible only in
 * DescribeByoipCidrs, as `ByoipCidr.AsnAssociations[]`. Its identity, its states and its calls; the lifecycle
 * is `LifecycleHandler`'s.
 */
import { AsnAssociation, AsnAssociationState, ByoipCidr } from '@aws-sdk/client-ec2';
import { AssociationResourceProperties, associationPhysicalId, splitPhysicalId } from '../lib/private/contract';
import { checkCidr, parseAsn } from '../lib/private/validation';
import { ResponseData } from './common';
import { listByoipCidrs } from './ec2';
import { HandlerError, statusText } from './errors';
import { LifecycleHandler, Phase, Reading } from './lifecycle';
import { boundData } from './limits';
import { enforceFindings } from './validate';

/** Which ASN with which CIDR: the identity of the resource, and its physical id `<asn>|<cidr>`. */
export interface AssociationTarget {
  /** Asplain, canonical decimal (the SDK's Asn fields are strings). */
  readonly asn: string;
  /** Canonical form, compared exactly with what AWS lists. */
  readonly cidr: string;
}

/** AWS's tutorial shows an association in this state, which the API reference does not list. */
const ADVERTISED = 'advertised';

/** What each association state means to the lifecycle (DESIGN §3, §6). */
const PHASES: Readonly<Record<string, Phase>> = {
  [AsnAssociationState.pending_association]: 'creating',
  [AsnAssociationState.associated]: 'created',
  [ADVERTISED]: 'created',
  [AsnAssociationState.failed_association]: 'create-failed',
  [AsnAssociationState.pending_disassociation]: 'deleting',
  [AsnAssociationState.disassociated]: 'absent',
  [AsnAssociationState.failed_disassociation]: 'delete-failed',
};

/** BYOIP CIDR states of a range that is no longer (or never was) brought: listed, but not a BYOIP CIDR. */
const CIDR_GONE_STATES: ReadonlySet<string> = new Set(['deprovisioned', 'failed-provision']);

/** BYOIP CIDR states in which the CIDR is (being) advertised, which may block disassociating its origin ASN. */
const ADVERTISED_CIDR_STATES: ReadonlySet<string> = new Set(['advertised', 'pending-advertising']);

/** Handles `Custom::ByoasnCidrAssociation`. */
export class ByoasnCidrAssociationHandler extends LifecycleHandler<AssociationResourceProperties, AssociationTarget, AsnAssociation> {
  protected readonly createCall = 'AssociateIpamByoasn';
  protected readonly removeCall = 'DisassociateIpamByoasn';

  // =========================================================================================================
  // Identity
  // =========================================================================================================

  protected targetOf(props: AssociationResourceProperties): AssociationTarget {
    const parsed = parseAsn(props.Asn);
    // Not publiclyAdvertisable: the handler cannot know, so it allows the longest prefix BYOIP accepts (/56)
    // and leaves the rest to AWS; the constructs check the stricter bound where they know.
    enforceFindings([...parsed.findings, ...checkCidr(props.Cidr, { publiclyAdvertisable: false })], this.logicalId, this.logger);
    if (parsed.asn === undefined) {
      // parseAsn reports an error finding whenever it has no ASN, so enforceFindings threw already.
      throw new HandlerError(`${this.logicalId}: the Asn property could not be read.`);
    }
    return { asn: String(parsed.asn), cidr: props.Cidr };
  }

  protected targetOfLenient(props: AssociationResourceProperties | undefined): AssociationTarget | undefined {
    return this.targetFromId(props && associationPhysicalId(String(props.Asn), String(props.Cidr)));
  }

  protected targetFromId(physicalId: string | undefined): AssociationTarget | undefined {
    return targetFromId(physicalId);
  }

  protected physicalIdOf(target: AssociationTarget): string {
    return associationPhysicalId(target.asn, target.cidr);
  }

  protected describe(target: AssociationTarget): string {
    return `the association of ASN ${target.asn} with ${target.cidr}`;
  }

  // =========================================================================================================
  // States
  // =========================================================================================================

  protected phaseOf(state: string | undefined): Phase {
    return state === undefined ? 'absent' : PHASES[state] ?? 'unknown';
  }

  /** The association, found in the BYOIP CIDR's listing; a conflict when the CIDR is not a BYOIP CIDR. */
  protected async read(target: AssociationTarget): Promise<Reading<AsnAssociation>> {
    const byoip = await this.readCidr(target);
    if (byoip === undefined) {
      const region = process.env.AWS_REGION ? `Region ${process.env.AWS_REGION}` : 'this Region';
      return { conflict: `${this.logicalId}: CIDR ${target.cidr} is not a BYOIP CIDR in ${region}. Provision it as a BYOIP CIDR first (ProvisionByoipCidr; see "Bring your own IP addresses" in the Amazon VPC documentation) in this Region, then associate it with ASN ${target.asn}.` };
    }
    const record = this.pickLive((byoip.AsnAssociations ?? []).filter((a) => a.Asn === target.asn), this.describe(target));
    this.logger.info(record ? `${this.describe(target)} is ${record.State}` : `ASN ${target.asn} has no association with ${target.cidr}`,
      { asn: target.asn, cidr: target.cidr, state: record?.State, statusMessage: this.safeStatus(record?.StatusMessage) });
    return { record };
  }

  /** The BYOIP CIDR (the live record, when AWS lists several), with one log line for its state. */
  private async readCidr(target: AssociationTarget): Promise<ByoipCidr | undefined> {
    const matching = (await listByoipCidrs(this.ec2)).filter((c) => c.Cidr === target.cidr);
    const live = matching.filter((c) => !CIDR_GONE_STATES.has(c.State ?? ''));
    if (matching.length > 1) {
      this.logger.info(`${matching.length} BYOIP CIDR records match ${target.cidr}; the live one wins`, { states: matching.map((c) => c.State) });
    }
    const byoip = live[0];
    this.logger.info(byoip ? `BYOIP CIDR ${target.cidr} is ${byoip.State}` : `BYOIP CIDR ${target.cidr} is not listed`,
      { cidr: target.cidr, state: byoip?.State, statusMessage: this.safeStatus(byoip?.StatusMessage) });
    return byoip;
  }

  // =========================================================================================================
  // Calls
  // =========================================================================================================

  protected async create(target: AssociationTarget): Promise<unknown> {
    return this.ec2.associateIpamByoasn({ Asn: target.asn, Cidr: target.cidr });
  }

  protected async remove(target: AssociationTarget): Promise<unknown> {
    return this.ec2.disassociateIpamByoasn({ Asn: target.asn, Cidr: target.cidr });
  }

  /**
   * AWS does not disassociate the ASN that a CIDR is advertised with. The listing does not say which ASN is the
   * origin, so an advertised CIDR may block the call; AWS's own message says whether it did.
   */
  protected async removalBlocker(target: AssociationTarget, error: unknown): Promise<string | undefined> {
    const byoip = await this.readCidr(target);
    const association = byoip && this.pickLive((byoip.AsnAssociations ?? []).filter((a) => a.Asn === target.asn), this.describe(target));
    if (byoip === undefined || !(ADVERTISED_CIDR_STATES.has(byoip.State ?? '') || (association?.State as string | undefined) === ADVERTISED)) {
      return undefined;
    }
    return `${this.logicalId}: AWS refused to disassociate ASN ${target.asn} from CIDR ${target.cidr}, which is advertised (CIDR state ${byoip.State}, association state ${association?.State ?? 'not listed'}). AWS does not disassociate the ASN a CIDR is advertised with, so the advertisement may be what blocks it: withdraw the CIDR (WithdrawByoipCidr), or switch its origin to Amazon's ASN (AdvertiseByoipCidr with Asn AWS), then delete again. AWS said: ${this.awsText(error)}`;
  }

  // =========================================================================================================
  // Attributes and messages
  // =========================================================================================================

  protected data(target: AssociationTarget, record: AsnAssociation | undefined): ResponseData {
    return { ...boundData({ Asn: target.asn, Cidr: target.cidr, State: record?.State ?? '', StatusMessage: this.safeStatus(record?.StatusMessage) }) };
  }

  protected existsMessage(target: AssociationTarget, record: AsnAssociation | undefined): string {
    return `${this.logicalId}: ASN ${target.asn} is already associated with CIDR ${target.cidr} (state ${record?.State ?? 'associated'}). Set adoptExisting: true to manage the association with this stack (deleting the resource will then disassociate it), or disassociate it first.`;
  }

  protected createFailedMessage(target: AssociationTarget, record: AsnAssociation | undefined): string {
    return `${this.logicalId}: AWS could not associate ASN ${target.asn} with CIDR ${target.cidr}: ${statusText(record?.StatusMessage)}`;
  }

  protected blockedByFailedRemovalMessage(target: AssociationTarget, record: AsnAssociation | undefined): string {
    return `${this.logicalId}: the association of ASN ${target.asn} with CIDR ${target.cidr} is in state failed-disassociation; resolve the problem and disassociate it (DisassociateIpamByoasn) before associating it again. AWS's status message: ${statusText(record?.StatusMessage)}`;
  }

  protected removeFailedMessage(target: AssociationTarget, record: AsnAssociation | undefined): string {
    return `${this.logicalId}: AWS could not disassociate ASN ${target.asn} from CIDR ${target.cidr} (state failed-disassociation); resolve the problem and disassociate it (DisassociateIpamByoasn), then delete again. AWS's status message: ${statusText(record?.StatusMessage)}`;
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
