import { CustomResource, IResource, RemovalPolicy, Resource, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { AuthorizationContext } from './ipam-byoasn';
import { BYOIP_CIDR_ATTRIBUTES, BYOIP_CIDR_RESOURCE_TYPE, ByoipCidrResourceProperties } from './private/contract';
import { checkRemovalPolicy, reportFindings } from './private/findings';
import { claimTarget } from './private/ownership';
import { ByoasnProvider } from './private/provider';
import { checkAuthorizationAtSynth } from './private/synth-authorization';
import { Finding, checkCidr, parsePrefix } from './private/validation';
import { ByoasnProviderOptions } from './provider-options';

/**
 * An address range brought to AWS (BYOIP), defined in this app or imported.
 */
export interface IByoipCidr extends IResource {
  /**
   * The range, in canonical form, e.g. `203.0.113.0/24` or `2001:db8:1000::/48`.
   * @attribute
   */
  readonly cidr: string;
}

/**
 * Properties of a `ByoipCidr`.
 */
export interface ByoipCidrProps {
  /**
   * The address range to bring to AWS, in canonical form.
   *
   * Allowed: a public IPv4 prefix of /24 or shorter; a public IPv6 prefix of /48 or shorter, or of /56 or shorter
   * when `publiclyAdvertisable` is false.
   */
  readonly cidr: string;

  /**
   * The signed authorization message for the range (`cdk-ipam-byoasn sign --cidr ...` prints it as JSON ready to
   * paste here). Its CIDR must be this resource's `cidr`, its account the stack's.
   */
  readonly authorizationContext: AuthorizationContext;

  /**
   * A description of the range, shown by AWS.
   *
   * @default - none
   */
  readonly description?: string;

  /**
   * Whether AWS may advertise the range to the internet. Only an IPv6 range may be kept from being advertised
   * (false); it may then be as long as /56.
   *
   * @default true
   */
  readonly publiclyAdvertisable?: boolean;

  /**
   * The network border group (a Local Zone's group) to provision the range to.
   *
   * @default - the Region's default network border group
   */
  readonly networkBorderGroup?: string;

  /**
   * Whether the deployment waits until AWS reports the range provisioned.
   *
   * Provisioning a publicly advertisable range can take days (up to a week), longer than CloudFormation waits
   * for a resource (one hour). Set false to complete the resource once AWS has accepted the request; resources
   * that need the range provisioned (an association, an advertisement) then belong in a later deployment.
   *
   * @default true
   */
  readonly waitForProvisioning?: boolean;

  /**
   * Take over the range when it is already provisioned in this account and Region, instead of failing.
   *
   * Once adopted, the range belongs to the stack: deleting the resource deprovisions it (unless
   * `removalPolicy` is `RETAIN`).
   *
   * @default false
   */
  readonly adoptExisting?: boolean;

  /**
   * What happens to the range when the resource leaves the stack. `RETAIN` leaves it provisioned.
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

/**
 * Brings your address range to AWS (ProvisionByoipCidr), and releases it when the resource is deleted
 * (DeprovisionByoipCidr).
 *
 * Deployment waits until AWS reports the range `provisioned` (or `provisioned-not-publicly-advertisable`), unless
 * `waitForProvisioning` is false. Deletion completes once AWS has accepted the deprovisioning, which can take a
 * day. AWS refuses to deprovision a range that is advertised, associated with an ASN or has addresses allocated:
 * associations and advertisements of this app depend on the range, so CloudFormation removes them first.
 *
 * Declare each range once per app: a second `ByoipCidr` of the same CIDR, in any stack, is a synth error, since
 * both would own it. Elsewhere, reference this construct or import the range with `ByoipCidr.fromCidr`.
 *
 * @example
 * const range = new ByoipCidr(this, 'Range', {
 *   cidr: '203.0.113.0/24',
 *   authorizationContext: {
 *     message: '1|aws|123456789012|203.0.113.0/24|20271231|SHA256|RSAPSS',
 *     signature: 'output-of-cdk-ipam-byoasn-sign',
 *   },
 * });
 * declare const asn: IpamByoasn;
 * asn.associateByoipCidr('Range', range);
 */
export class ByoipCidr extends Resource implements IByoipCidr {
  /**
   * References a range brought to AWS outside this app, e.g. to associate it with an ASN or advertise it.
   * The range is validated, but never owned: nothing of this app provisions or deprovisions it.
   *
   * @param scope the construct scope
   * @param id the construct id
   * @param cidr the range, e.g. `203.0.113.0/24` or `2001:db8::/48`
   */
  public static fromCidr(scope: Construct, id: string, cidr: string): IByoipCidr {
    class Import extends Resource implements IByoipCidr {
      public readonly cidr = cidr;
    }
    const imported = new Import(scope, id);
    // Whether it is publicly advertisable is unknown here: the looser IPv6 bound (/56) applies.
    reportFindings(imported, Token.isUnresolved(cidr) ? [] : checkCidr(cidr, { publiclyAdvertisable: false }));
    return imported;
  }

  public readonly cidr: string;

  /** Whether AWS may advertise the range. */
  public readonly publiclyAdvertisable: boolean;

  /**
   * The state AWS reported when the deployment finished: normally `provisioned` or
   * `provisioned-not-publicly-advertisable`; `pending-provision` with `waitForProvisioning: false`.
   * @attribute
   */
  public readonly byoipCidrState: string;

  /**
   * AWS's status message for the range.
   * @attribute
   */
  public readonly byoipCidrStatusMessage: string;

  /**
   * The id of the address pool AWS made of the range (an IPv4 address pool or an IPv6 pool); empty until the
   * range is provisioned.
   * @attribute
   */
  public readonly byoipCidrPoolId: string;

  /**
   * @param scope the construct scope
   * @param id the construct id
   * @param props the range, its authorization and how to provision it
   */
  constructor(scope: Construct, id: string, props: ByoipCidrProps) {
    super(scope, id);
    this.cidr = props.cidr;
    this.publiclyAdvertisable = props.publiclyAdvertisable ?? true;

    reportFindings(this, validateProps(this, props));
    const removalPolicy = checkRemovalPolicy(this, props.removalPolicy);
    claimTarget(this, {
      kind: 'ByoipCidr',
      identity: { cidr: props.cidr },
      onDelete: 'deprovisions the CIDR',
      alternative: 'import it with ByoipCidr.fromCidr, which never owns the range',
    });

    const provider = ByoasnProvider.getOrCreate(this, props.providerOptions);
    // None of these actions has a resource type: `*` is the narrowest resource IAM accepts.
    provider.grant(['ec2:ProvisionByoipCidr', 'ec2:DeprovisionByoipCidr', 'ec2:DescribeByoipCidrs'], ['*']);

    const properties: ByoipCidrResourceProperties = {
      Cidr: props.cidr,
      AuthorizationMessage: props.authorizationContext.message,
      AuthorizationSignature: props.authorizationContext.signature,
      Description: props.description ?? '',
      PubliclyAdvertisable: String(this.publiclyAdvertisable),
      NetworkBorderGroup: props.networkBorderGroup ?? '',
      WaitForProvisioning: String(props.waitForProvisioning ?? true),
      AdoptExisting: String(props.adoptExisting ?? false),
    };
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: BYOIP_CIDR_RESOURCE_TYPE,
      properties: { ...properties },
      removalPolicy,
    });

    this.byoipCidrState = resource.getAttString(BYOIP_CIDR_ATTRIBUTES.STATE);
    this.byoipCidrStatusMessage = resource.getAttString(BYOIP_CIDR_ATTRIBUTES.STATUS_MESSAGE);
    this.byoipCidrPoolId = resource.getAttString(BYOIP_CIDR_ATTRIBUTES.POOL_ID);
  }
}

/** The synth-time checks of DESIGN §5; unresolved tokens are left to the handler. */
function validateProps(scope: Construct, props: ByoipCidrProps): Finding[] {
  const findings: Finding[] = [];
  const publiclyAdvertisable = props.publiclyAdvertisable ?? true;
  const cidrResolved = !Token.isUnresolved(props.cidr);
  if (cidrResolved) {
    findings.push(...checkCidr(props.cidr, { publiclyAdvertisable }));
    if (!publiclyAdvertisable && parsePrefix(props.cidr)?.version === 4) {
      findings.push({
        severity: 'error',
        property: 'publiclyAdvertisable',
        message: `publiclyAdvertisable is false, but cidr '${props.cidr}' is IPv4; AWS advertises every IPv4 range brought to it. Only an IPv6 range may be kept from being advertised: remove publiclyAdvertisable, or set it to true.`,
      });
    }
  }
  findings.push(...checkAuthorizationAtSynth(scope, props.authorizationContext, cidrResolved ? props.cidr : undefined, 'cidr'));
  return findings;
}
