/**
 * The handler of `Custom::ByoipCidrAdvertisement`: advertises a BYOIP CIDR (AdvertiseByoipCidr), with an own
 * ASN or Amazon's as the origin, and withdraws it (WithdrawByoipCidr). Its identity, its states and its calls;
 * the lifecycle is `LifecycleHandler`'s.
 *
 * The advertisement has no record of its own: its state is the CIDR's, as DescribeByoipCidrs lists it, seen
 * from this origin. DescribeByoipCidrs does not name the origin ASN; AWS's tutorial shows the association of
 * the origin ASN in state `advertised`, so the origin is the ASN of such an association, else Amazon's.
 * AdvertiseByoipCidr and WithdrawByoipCidr are limited to one call per 10 seconds per account: the SDK retries
 * the throttling, and the lifecycle never fails on it (isComplete makes the call again).
 */
import { ByoipCidr, ByoipCidrState } from '@aws-sdk/client-ec2';
import { AMAZON_ASN, AdvertisementData, AdvertisementResourceProperties, advertisementPhysicalId, splitPhysicalId } from '../lib/private/contract';
import { checkCidr, formatPrefix, parseAsn, parsePrefix } from '../lib/private/validation';
import { ResponseData } from './common';
import { listByoipCidrs } from './ec2';
import { HandlerError, statusText } from './errors';
import { LifecycleHandler, Phase, Reading, StateRecord } from './lifecycle';
import { boundData } from './limits';
import { enforceFindings } from './validate';

/** Which CIDR with which origin: the identity of the resource, and its physical id `<cidr>|<asn or AWS>`. */
export interface AdvertisementTarget {
  /** Canonical form, compared exactly with what AWS lists. */
  readonly cidr: string;
  /** The origin: an asplain ASN in canonical decimal, or `AWS` (AMAZON_ASN) for Amazon's. */
  readonly asn: string;
}

/** The CIDR as this advertisement sees it. */
export interface AdvertisementRecord extends StateRecord {
  /**
   * The CIDR's state as it concerns this advertisement: undefined when the CIDR is not listed, or is advertised
   * with another origin (which is not this advertisement).
   */
  readonly State?: string;
  readonly StatusMessage?: string;
  /** The CIDR's own state. */
  readonly CidrState?: string;
  /** The origin it is advertised with, when advertised. */
  readonly Origin?: string;
}

/** What each state of the CIDR means to the advertisement. */
const PHASES: Readonly<Record<string, Phase>> = {
  [ByoipCidrState.pending_advertising]: 'creating',
  // Only with this origin: another origin reads as no state at all (see `read`).
  [ByoipCidrState.advertised]: 'created',
  [ByoipCidrState.pending_withdrawal]: 'deleting',
  // Not advertised: the advertisement is absent, whatever else the CIDR is.
  [ByoipCidrState.provisioned]: 'absent',
  [ByoipCidrState.provisioned_not_publicly_advertisable]: 'absent',
  [ByoipCidrState.pending_provision]: 'absent',
  [ByoipCidrState.failed_provision]: 'absent',
  [ByoipCidrState.pending_deprovision]: 'absent',
  [ByoipCidrState.deprovisioned]: 'absent',
  [ByoipCidrState.failed_deprovision]: 'absent',
};

/** CIDR states of a range that is not (or no longer, or not yet) provisioned. */
const NOT_PROVISIONED: ReadonlySet<string> = new Set([
  ByoipCidrState.pending_provision, ByoipCidrState.failed_provision, ByoipCidrState.pending_deprovision,
  ByoipCidrState.deprovisioned, ByoipCidrState.failed_deprovision,
]);

/** CIDR records that AWS keeps listing beside a newer provisioning of the same range. */
const LINGERING_CIDR: ReadonlySet<string> = new Set([ByoipCidrState.deprovisioned, ByoipCidrState.failed_provision]);

/** The association state of the origin ASN while the CIDR is advertised with it (AWS's tutorial). */
const ADVERTISED = 'advertised';

/** Association states in which the ASN may originate the CIDR. */
const USABLE_ASSOCIATION: ReadonlySet<string> = new Set(['associated', ADVERTISED]);

/** Handles `Custom::ByoipCidrAdvertisement`. */
export class ByoipCidrAdvertisementHandler extends LifecycleHandler<AdvertisementResourceProperties, AdvertisementTarget, AdvertisementRecord> {
  protected readonly createCall = 'AdvertiseByoipCidr';
  protected readonly removeCall = 'WithdrawByoipCidr';

  // =========================================================================================================
  // Identity
  // =========================================================================================================

  protected targetOf(props: AdvertisementResourceProperties): AdvertisementTarget {
    // Only a publicly advertisable range can be advertised, so the stricter bound applies.
    const cidrFindings = checkCidr(props.Cidr, { publiclyAdvertisable: true });
    if (props.Asn === AMAZON_ASN) {
      enforceFindings(cidrFindings, this.logicalId, this.logger);
      return { cidr: props.Cidr, asn: AMAZON_ASN };
    }
    const parsed = parseAsn(props.Asn);
    enforceFindings([...parsed.findings, ...cidrFindings], this.logicalId, this.logger);
    if (parsed.asn === undefined) {
      // parseAsn reports an error finding whenever it has no ASN, so enforceFindings threw already.
      throw new HandlerError(`${this.logicalId}: the Asn property could not be read.`);
    }
    return { cidr: props.Cidr, asn: String(parsed.asn) };
  }

  protected targetOfLenient(props: AdvertisementResourceProperties | undefined): AdvertisementTarget | undefined {
    return this.targetFromId(props && advertisementPhysicalId(String(props.Cidr), String(props.Asn)));
  }

  protected targetFromId(physicalId: string | undefined): AdvertisementTarget | undefined {
    return targetFromId(physicalId);
  }

  protected physicalIdOf(target: AdvertisementTarget): string {
    return advertisementPhysicalId(target.cidr, target.asn);
  }

  protected describe(target: AdvertisementTarget): string {
    return `the advertisement of ${target.cidr} with ${origin(target.asn)}`;
  }

  /**
   * One CIDR has one origin at a time, so the advertisements of one CIDR with two origins are not two targets
   * that can exist side by side, as a replacement needs (the new one first, the old one deleted after).
   */
  protected changeRefusal(current: AdvertisementTarget, next: AdvertisementTarget): string | undefined {
    if (current.cidr !== next.cidr) {
      return undefined;
    }
    return `${this.logicalId}: cannot switch the origin of ${next.cidr} from ${origin(current.asn)} to ${origin(next.asn)} in one deployment: CloudFormation would advertise it with ${origin(next.asn)} and then delete the old advertisement, withdrawing the CIDR. Switch in two deployments: first deploy without this ByoipCidrAdvertisement (the CIDR is withdrawn), then deploy it again with the new origin. AWS allows switching from Amazon's ASN to your own at most once per hour.`;
  }

  // =========================================================================================================
  // States
  // =========================================================================================================

  protected phaseOf(state: string | undefined): Phase {
    return state === undefined ? 'absent' : PHASES[state] ?? 'unknown';
  }

  /**
   * The CIDR as this advertisement sees it, and a conflict when it cannot be advertised with this origin now:
   * not provisioned, not publicly advertisable, advertised with another origin, or (with an own ASN) that ASN not
   * associated with it.
   */
  protected async read(target: AdvertisementTarget): Promise<Reading<AdvertisementRecord>> {
    const records = (await listByoipCidrs(this.ec2)).filter((c) => c.Cidr === target.cidr);
    const cidr = this.pickLive(records, `BYOIP CIDR ${target.cidr}`, (state) => (LINGERING_CIDR.has(state ?? '') ? 'absent' : 'created'));
    const reading = this.readingOf(target, cidr);
    this.logger.info(cidr === undefined ? `BYOIP CIDR ${target.cidr} is not listed`
      : `BYOIP CIDR ${target.cidr} is ${cidr.State}${reading.record?.Origin ? ` with ${origin(reading.record.Origin)}` : ''}`, {
      cidr: target.cidr,
      state: cidr?.State,
      origin: reading.record?.Origin,
      statusMessage: this.safeStatus(cidr?.StatusMessage),
      associations: (cidr?.AsnAssociations ?? []).map((a) => `${a.Asn} (${a.State})`),
    });
    return reading;
  }

  private readingOf(target: AdvertisementTarget, cidr: ByoipCidr | undefined): Reading<AdvertisementRecord> {
    const region = process.env.AWS_REGION ? `Region ${process.env.AWS_REGION}` : 'this Region';
    const state = cidr?.State;
    if (cidr === undefined || state === undefined) {
      return { conflict: `${this.logicalId}: CIDR ${target.cidr} is not a BYOIP CIDR in ${region}, so it cannot be advertised. Provision it first (a ByoipCidr resource, or ProvisionByoipCidr), then advertise it.` };
    }
    const base = { StatusMessage: cidr.StatusMessage, CidrState: state };
    if (state === ByoipCidrState.advertised) {
      const advertisedWith = cidr.AsnAssociations?.find((a) => (a.State as string | undefined) === ADVERTISED)?.Asn ?? AMAZON_ASN;
      if (advertisedWith === target.asn) {
        return { record: { ...base, State: state, Origin: advertisedWith } };
      }
      // Not this advertisement: absent to a Delete, a conflict to a Create.
      return {
        record: { ...base, Origin: advertisedWith },
        conflict: `${this.logicalId}: CIDR ${target.cidr} is already advertised with ${origin(advertisedWith)}, not with ${origin(target.asn)}; it has one origin at a time. Withdraw it (WithdrawByoipCidr, or delete the ByoipCidrAdvertisement that advertises it) first, or advertise it with ${origin(advertisedWith)}.`,
      };
    }
    const record: AdvertisementRecord = { ...base, State: state };
    if (state === ByoipCidrState.pending_provision) {
      return { record, conflict: `${this.logicalId}: CIDR ${target.cidr} is still being provisioned (pending-provision), so it cannot be advertised yet. BYOIP provisioning can take days: advertise it once it is provisioned (deploy the ByoipCidrAdvertisement then, or let the ByoipCidr wait for provisioning).` };
    }
    if (NOT_PROVISIONED.has(state)) {
      return { record, conflict: `${this.logicalId}: CIDR ${target.cidr} is not a provisioned BYOIP CIDR in ${region} (state ${state}), so it cannot be advertised. Provision it first (a ByoipCidr resource, or ProvisionByoipCidr), then advertise it. AWS's status message: ${statusText(cidr.StatusMessage)}` };
    }
    if (state === ByoipCidrState.provisioned_not_publicly_advertisable) {
      return { record, conflict: `${this.logicalId}: CIDR ${target.cidr} is provisioned-not-publicly-advertisable: it was provisioned with publiclyAdvertisable false, so it cannot be advertised. To advertise it, release it and provision it again with publiclyAdvertisable true.` };
    }
    if (target.asn !== AMAZON_ASN && this.phaseOf(state) === 'absent') {
      const associations = (cidr.AsnAssociations ?? []).filter((a) => a.Asn === target.asn);
      if (!associations.some((a) => USABLE_ASSOCIATION.has(a.State ?? ''))) {
        const now = associations.length === 0 ? 'it has no association with it' : `its association is ${associations.map((a) => a.State).join(', ')}`;
        return { record, conflict: `${this.logicalId}: ASN ${target.asn} cannot originate CIDR ${target.cidr}: ${now}. Associate ASN ${target.asn} with the CIDR first (a ByoasnCidrAssociation resource, on which this advertisement depends, or AssociateIpamByoasn), then advertise it.` };
      }
    }
    return { record };
  }

  // =========================================================================================================
  // Calls
  // =========================================================================================================

  protected async create(target: AdvertisementTarget): Promise<unknown> {
    const props = this.event.ResourceProperties;
    return this.ec2.advertiseByoipCidr({
      Cidr: target.cidr,
      // Without an Asn, AWS advertises with Amazon's ASN.
      ...(target.asn === AMAZON_ASN ? {} : { Asn: target.asn }),
      ...(props.NetworkBorderGroup ? { NetworkBorderGroup: props.NetworkBorderGroup } : {}),
    });
  }

  protected async remove(target: AdvertisementTarget): Promise<unknown> {
    return this.ec2.withdrawByoipCidr({ Cidr: target.cidr });
  }

  // =========================================================================================================
  // Attributes and messages
  // =========================================================================================================

  protected data(target: AdvertisementTarget, record: AdvertisementRecord | undefined): ResponseData {
    const data: AdvertisementData = {
      Cidr: target.cidr,
      Asn: target.asn,
      State: record?.State ?? '',
      StatusMessage: this.safeStatus(record?.StatusMessage),
    };
    return { ...boundData(data) };
  }

  protected existsMessage(target: AdvertisementTarget, _record: AdvertisementRecord | undefined): string {
    return `${this.logicalId}: CIDR ${target.cidr} is already advertised with ${origin(target.asn)}. Set adoptExisting: true to manage the advertisement with this stack (deleting the resource will then withdraw the CIDR), or withdraw it first (WithdrawByoipCidr).`;
  }

  // An advertisement has no failed state (a failed advertisement leaves the range provisioned, with AWS's
  // message), so the lifecycle never asks for these.
  protected createFailedMessage(): string {
    return noFailedState();
  }

  protected blockedByFailedRemovalMessage(): string {
    return noFailedState();
  }

  protected removeFailedMessage(): string {
    return noFailedState();
  }
}

function noFailedState(): never {
  throw new Error('an advertisement has no failed state');
}

/** How messages name an origin. */
function origin(asn: string): string {
  return asn === AMAZON_ASN ? "Amazon's ASN" : `ASN ${asn}`;
}

/** Parses `<cidr>|<asn or AWS>`; undefined when the id is not one of ours (e.g. the create-failed marker). */
function targetFromId(physicalId: string | undefined): AdvertisementTarget | undefined {
  const parts = physicalId === undefined ? undefined : splitPhysicalId(physicalId);
  const prefix = parts && parsePrefix(parts[0]);
  // Only canonical ids: the ids we answer with must be exactly the ones we were given.
  if (!parts || prefix === undefined || formatPrefix(prefix) !== parts[0] || !(parts[1] === AMAZON_ASN || /^(0|[1-9]\d{0,9})$/.test(parts[1]))) {
    return undefined;
  }
  return { cidr: parts[0], asn: parts[1] };
}
