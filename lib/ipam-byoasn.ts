import { CustomResource, IResource, RemovalPolicy, Resource, Stack, Token, Tokenization } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ByoasnCidrAssociation, ByoasnCidrAssociationOptions } from './byoasn-cidr-association';
import type { IByoipCidr } from './byoip-cidr';
import { BYOASN_ATTRIBUTES, BYOASN_RESOURCE_TYPE, ByoasnResourceProperties } from './private/contract';
import { reportFindings, checkRemovalPolicy } from './private/findings';
import { claimTarget } from './private/ownership';
import { ByoasnProvider } from './private/provider';
import { checkAuthorizationAtSynth } from './private/synth-authorization';
import { Finding, checkAsn, checkIpamId } from './private/validation';
import { ByoasnProviderOptions } from './provider-options';

/**
 * The signed authorization that proves you may bring an ASN (or a CIDR) to AWS.
 *
 * Produce both values with `cdk-ipam-byoasn sign --asn ...` (or `--cidr ...`), which prints them as JSON ready
 * to paste here.
 */
export interface AuthorizationContext {
  /**
   * The signed message: `1|aws|ACCOUNT|ASN|YYYYMMDD|SHA256|RSAPSS` for an ASN,
   * `1|aws|ACCOUNT|CIDR|YYYYMMDD|SHA256|RSAPSS` for a BYOIP CIDR.
   */
  readonly message: string;

  /**
   * The message's RSASSA-PSS SHA-256 signature, base64 with `+=/` replaced by `-_~` (not a secret, but it
   * is kept out of logs and resource attributes).
   */
  readonly signature: string;
}

/**
 * An ASN brought to an Amazon VPC IPAM, defined in this app or imported.
 */
export interface IIpamByoasn extends IResource {
  /**
   * The ASN, in asplain notation.
   * @attribute
   */
  readonly asn: number;

  /**
   * The id of the IPAM the ASN is provisioned to.
   * @attribute
   */
  readonly ipamId: string;

  /**
   * Associates the ASN with a BYOIP CIDR, so that the CIDR can be advertised with this ASN as its origin.
   *
   * @param id the construct id of the association, a child of this construct
   * @param cidr the BYOIP CIDR, in canonical form, e.g. `203.0.113.0/24` or `2001:db8:1000::/48`
   * @param options further settings of the association
   */
  associateCidr(id: string, cidr: string, options?: ByoasnCidrAssociationOptions): ByoasnCidrAssociation;

  /**
   * Associates the ASN with a BYOIP CIDR of this app (a `ByoipCidr`) or imported (`ByoipCidr.fromCidr`).
   *
   * Unlike `associateCidr`, the association then depends on the `ByoipCidr`: the range is provisioned before it
   * is associated, and disassociated before it is deprovisioned.
   *
   * @param id the construct id of the association, a child of this construct
   * @param byoipCidr the BYOIP CIDR
   * @param options further settings of the association
   */
  associateByoipCidr(id: string, byoipCidr: IByoipCidr, options?: ByoasnCidrAssociationOptions): ByoasnCidrAssociation;
}

/**
 * The attributes that identify an ASN already provisioned to an IPAM outside this app.
 */
export interface IpamByoasnAttributes {
  /** The id of the IPAM the ASN is provisioned to. */
  readonly ipamId: string;

  /** The ASN, in asplain notation. */
  readonly asn: number;
}

/**
 * Properties of an `IpamByoasn`.
 */
export interface IpamByoasnProps {
  /**
   * The id of the IPAM to provision the ASN to, e.g. `CfnIPAM.attrIpamId`.
   */
  readonly ipamId: string;

  /**
   * Your public ASN, in asplain notation (4-byte ASN `1.10` is `65546`).
   *
   * Allowed: 1-64495 (except 23456) and 131072-4199999999.
   */
  readonly asn: number;

  /**
   * The signed authorization message for the ASN (`cdk-ipam-byoasn sign --asn ...` makes it).
   */
  readonly authorizationContext: AuthorizationContext;

  /**
   * Take over the ASN when it is already provisioned to this IPAM, instead of failing.
   *
   * Once adopted, the ASN belongs to the stack: deleting the resource deprovisions it (unless
   * `removalPolicy` is `RETAIN`).
   *
   * @default false
   */
  readonly adoptExisting?: boolean;

  /**
   * What happens to the ASN when the resource leaves the stack. `RETAIN` leaves it provisioned.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Settings of the stack's shared custom resource provider.
   *
   * @default - the provider's defaults: 10-second query interval, 50-minute timeout, one month of logs
   */
  readonly providerOptions?: ByoasnProviderOptions;
}

/** What `IpamByoasn` and its imported form share: associating CIDRs. */
abstract class IpamByoasnBase extends Resource implements IIpamByoasn {
  public abstract readonly asn: number;
  public abstract readonly ipamId: string;

  /**
   * Associates the ASN with a BYOIP CIDR, so that the CIDR can be advertised with this ASN as its origin.
   *
   * @param id the construct id of the association, a child of this construct
   * @param cidr the BYOIP CIDR, in canonical form, e.g. `203.0.113.0/24` or `2001:db8:1000::/48`
   * @param options further settings of the association
   */
  public associateCidr(id: string, cidr: string, options: ByoasnCidrAssociationOptions = {}): ByoasnCidrAssociation {
    return new ByoasnCidrAssociation(this, id, { ...options, byoasn: this, cidr });
  }

  /**
   * Associates the ASN with a BYOIP CIDR of this app (a `ByoipCidr`) or imported (`ByoipCidr.fromCidr`); the
   * association then depends on the `ByoipCidr`.
   *
   * @param id the construct id of the association, a child of this construct
   * @param byoipCidr the BYOIP CIDR
   * @param options further settings of the association
   */
  public associateByoipCidr(id: string, byoipCidr: IByoipCidr, options: ByoasnCidrAssociationOptions = {}): ByoasnCidrAssociation {
    return new ByoasnCidrAssociation(this, id, { ...options, byoasn: this, byoipCidr });
  }
}

/**
 * Brings your public ASN to an Amazon VPC IPAM (ProvisionIpamByoasn), and removes it again when the
 * resource is deleted (DeprovisionIpamByoasn).
 *
 * Deployment waits until AWS reports the ASN `provisioned`, and fails with AWS's own status message when
 * provisioning fails. Associations created with `associateCidr` or `associateByoipCidr` are removed before the
 * ASN is deprovisioned.
 *
 * Declare each ASN of an IPAM once per app: a second `IpamByoasn` of the same IPAM and ASN, in any stack, is a
 * synth error, since both would own the ASN. Elsewhere, reference this construct or import the ASN.
 *
 * @example
 * const ipam = new ec2.CfnIPAM(this, 'Ipam', { operatingRegions: [{ regionName: 'us-east-1' }] });
 * const asn = new IpamByoasn(this, 'Asn', {
 *   ipamId: ipam.attrIpamId,
 *   asn: 64496,
 *   authorizationContext: {
 *     message: '1|aws|123456789012|64496|20271231|SHA256|RSAPSS',
 *     signature: 'output-of-cdk-ipam-byoasn-sign',
 *   },
 * });
 * asn.associateCidr('Prefix', '203.0.113.0/24');
 */
export class IpamByoasn extends IpamByoasnBase {
  /**
   * References an ASN already provisioned to an IPAM outside this app, so that CIDRs can be associated with it.
   *
   * @param scope the construct scope
   * @param id the construct id
   * @param attrs the ASN and the IPAM it is provisioned to
   */
  public static fromIpamByoasnAttributes(scope: Construct, id: string, attrs: IpamByoasnAttributes): IIpamByoasn {
    class Import extends IpamByoasnBase {
      public readonly asn = attrs.asn;
      public readonly ipamId = attrs.ipamId;
    }
    const imported = new Import(scope, id);
    reportFindings(imported, [
      ...(Token.isUnresolved(attrs.asn) ? [] : checkAsn(attrs.asn)),
      ...(Token.isUnresolved(attrs.ipamId) ? [] : checkIpamId(attrs.ipamId)),
    ]);
    return imported;
  }

  public readonly asn: number;
  public readonly ipamId: string;

  /**
   * The ASN as AWS reports it.
   * @attribute
   */
  public readonly byoasnAsn: string;

  /**
   * The IPAM id as AWS reports it.
   * @attribute
   */
  public readonly byoasnIpamId: string;

  /**
   * The state AWS reported when the deployment finished (normally `provisioned`).
   * @attribute
   */
  public readonly byoasnState: string;

  /**
   * AWS's status message for the ASN (often empty).
   * @attribute
   */
  public readonly byoasnStatusMessage: string;

  /**
   * @param scope the construct scope
   * @param id the construct id
   * @param props the ASN, its authorization and the IPAM to provision it to
   */
  constructor(scope: Construct, id: string, props: IpamByoasnProps) {
    super(scope, id);
    this.asn = props.asn;
    this.ipamId = props.ipamId;

    reportFindings(this, validateProps(this, props));
    const removalPolicy = checkRemovalPolicy(this, props.removalPolicy);
    claimTarget(this, {
      kind: 'IpamByoasn',
      identity: { ipamId: props.ipamId, asn: props.asn },
      onDelete: 'deprovisions the ASN',
      alternative: 'import it with IpamByoasn.fromIpamByoasnAttributes, which never owns the ASN',
    });

    const provider = ByoasnProvider.getOrCreate(this, props.providerOptions);
    // ProvisionIpamByoasn and DeprovisionIpamByoasn support the `ipam` resource type: scope them to this IPAM.
    // The ARN has no Region. A token id (CfnIPAM.attrIpamId) is joined into the ARN at deploy time.
    const ipamArn = Stack.of(this).formatArn({ service: 'ec2', region: '', resource: 'ipam', resourceName: props.ipamId });
    provider.grant(['ec2:ProvisionIpamByoasn', 'ec2:DeprovisionIpamByoasn'], [ipamArn]);
    // Describe calls have no resource types. DescribeByoipCidrs explains a refused deprovision (the CIDRs
    // still associated).
    provider.grant(['ec2:DescribeIpamByoasn', 'ec2:DescribeByoipCidrs'], ['*']);

    const properties: ByoasnResourceProperties = {
      IpamId: props.ipamId,
      Asn: Tokenization.stringifyNumber(props.asn),
      AuthorizationMessage: props.authorizationContext.message,
      AuthorizationSignature: props.authorizationContext.signature,
      AdoptExisting: String(props.adoptExisting ?? false),
    };
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: BYOASN_RESOURCE_TYPE,
      properties: { ...properties },
      removalPolicy,
    });

    this.byoasnAsn = resource.getAttString(BYOASN_ATTRIBUTES.ASN);
    this.byoasnIpamId = resource.getAttString(BYOASN_ATTRIBUTES.IPAM_ID);
    this.byoasnState = resource.getAttString(BYOASN_ATTRIBUTES.STATE);
    this.byoasnStatusMessage = resource.getAttString(BYOASN_ATTRIBUTES.STATUS_MESSAGE);
  }
}

/** The synth-time checks of DESIGN §5; unresolved tokens are left to the handler. */
function validateProps(scope: Construct, props: IpamByoasnProps): Finding[] {
  const findings: Finding[] = [];
  if (!Token.isUnresolved(props.asn)) {
    findings.push(...checkAsn(props.asn));
  }
  if (!Token.isUnresolved(props.ipamId)) {
    findings.push(...checkIpamId(props.ipamId));
  }
  findings.push(...checkAuthorizationAtSynth(
    scope,
    props.authorizationContext,
    Token.isUnresolved(props.asn) ? undefined : String(props.asn),
    'asn',
  ));
  return findings;
}
