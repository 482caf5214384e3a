import { CustomResource, RemovalPolicy, Resource, Token, Tokenization } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { IByoipCidr } from './byoip-cidr';
import type { IIpamByoasn } from './ipam-byoasn';
import { ASSOCIATION_ATTRIBUTES, ASSOCIATION_RESOURCE_TYPE, AssociationResourceProperties } from './private/contract';
import { customResourceOf } from './private/dependencies';
import { checkRemovalPolicy, reportFindings } from './private/findings';
import { claimTarget } from './private/ownership';
import { ByoasnProvider } from './private/provider';
import { checkCidr } from './private/validation';
import { ByoasnProviderOptions } from './provider-options';

/**
 * Settings of an association, other than the ASN and the CIDR (see `IIpamByoasn.associateCidr`).
 */
export interface ByoasnCidrAssociationOptions {
  /**
   * Take over the association when the ASN is already associated with the CIDR, instead of failing.
   *
   * Once adopted, the association belongs to the stack: deleting the resource disassociates it (unless
   * `removalPolicy` is `RETAIN`).
   *
   * @default false
   */
  readonly adoptExisting?: boolean;

  /**
   * What happens to the association when the resource leaves the stack. `RETAIN` leaves it in place; note
   * that AWS will then refuse to deprovision the ASN while the association remains.
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
 * Properties of a `ByoasnCidrAssociation`.
 */
export interface ByoasnCidrAssociationProps extends ByoasnCidrAssociationOptions {
  /**
   * The ASN to associate: an `IpamByoasn` of this app, or one imported with
   * `IpamByoasn.fromIpamByoasnAttributes`.
   */
  readonly byoasn: IIpamByoasn;

  /**
   * The BYOIP CIDR to associate with the ASN, in canonical form, provisioned outside this app. It must already
   * be provisioned as a BYOIP CIDR in the stack's Region. Give exactly one of `cidr` and `byoipCidr`.
   *
   * Allowed: a public IPv4 prefix of /24 or shorter, or a public IPv6 prefix of /56 or shorter.
   *
   * @default - the CIDR of `byoipCidr`
   */
  readonly cidr?: string;

  /**
   * The BYOIP CIDR to associate with the ASN: a `ByoipCidr` of this app, or one imported with
   * `ByoipCidr.fromCidr`. The association then depends on a `ByoipCidr` of this app, so that the range is
   * provisioned before it is associated and disassociated before it is deprovisioned. Give exactly one of
   * `cidr` and `byoipCidr`.
   *
   * @default - the CIDR given as `cidr`
   */
  readonly byoipCidr?: IByoipCidr;
}

/**
 * Associates your ASN with a BYOIP CIDR (AssociateIpamByoasn), and disassociates it when the resource is
 * deleted (DisassociateIpamByoasn).
 *
 * Deployment waits until AWS reports the association `associated`. The association depends on its ASN (and on
 * its `ByoipCidr`, when given one), so CloudFormation creates it after the ASN and the range are provisioned and
 * deletes it before either is deprovisioned.
 *
 * Declare each association once per app: a second association of the same ASN and CIDR, in any stack, is a
 * synth error, since both would own it.
 *
 * @example
 * declare const asn: IpamByoasn;
 * new ByoasnCidrAssociation(this, 'V6', { byoasn: asn, cidr: '2001:db8:1000::/48' });
 * declare const range: ByoipCidr;
 * new ByoasnCidrAssociation(this, 'Range', { byoasn: asn, byoipCidr: range });
 */
export class ByoasnCidrAssociation extends Resource {
  /** The associated ASN. */
  public readonly asn: number;

  /** The associated CIDR (the `cidr` of `byoipCidr` when given one). */
  public readonly cidr: string;

  /**
   * The state AWS reported when the deployment finished (normally `associated`).
   * @attribute
   */
  public readonly associationState: string;

  /**
   * AWS's status message for the association (often empty).
   * @attribute
   */
  public readonly associationStatusMessage: string;

  /**
   * @param scope the construct scope
   * @param id the construct id
   * @param props the ASN and the CIDR to associate with it
   */
  constructor(scope: Construct, id: string, props: ByoasnCidrAssociationProps) {
    super(scope, id);
    this.asn = props.byoasn.asn;
    if ((props.cidr === undefined) === (props.byoipCidr === undefined)) {
      const got = props.cidr === undefined ? 'neither' : 'both';
      throw new Error(`${this.node.path}: give exactly one of cidr (a range provisioned outside this app) and byoipCidr (a ByoipCidr, or ByoipCidr.fromCidr); got ${got}.`);
    }
    this.cidr = props.cidr ?? props.byoipCidr!.cidr;

    // A byoipCidr was checked where it was declared. The CIDR must be publicly advertisable to be advertised with
    // the ASN, but AWS does not say that an association requires it, so the looser IPv6 bound (/56) applies here.
    if (props.cidr !== undefined && !Token.isUnresolved(props.cidr)) {
      reportFindings(this, checkCidr(props.cidr, { publiclyAdvertisable: false }));
    }
    const removalPolicy = checkRemovalPolicy(this, props.removalPolicy);
    claimTarget(this, {
      kind: 'ByoasnCidrAssociation',
      identity: { asn: props.byoasn.asn, cidr: this.cidr },
      onDelete: 'disassociates the CIDR',
    });

    const provider = ByoasnProvider.getOrCreate(this, props.providerOptions);
    // None of these actions has a resource type: `*` is the narrowest resource IAM accepts.
    provider.grant(['ec2:AssociateIpamByoasn', 'ec2:DisassociateIpamByoasn', 'ec2:DescribeByoipCidrs'], ['*']);

    const properties: AssociationResourceProperties = {
      Asn: Tokenization.stringifyNumber(props.byoasn.asn),
      Cidr: this.cidr,
      AdoptExisting: String(props.adoptExisting ?? false),
    };
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: ASSOCIATION_RESOURCE_TYPE,
      properties: { ...properties },
      removalPolicy,
    });
    // Create after the ASN and the range are provisioned; CloudFormation deletes in reverse, so the association
    // goes first. Imported ones have no resource to depend on.
    for (const dependency of [props.byoasn, props.byoipCidr]) {
      const target = dependency === undefined ? undefined : customResourceOf(dependency);
      if (target !== undefined) {
        resource.node.addDependency(target);
      }
    }

    this.associationState = resource.getAttString(ASSOCIATION_ATTRIBUTES.STATE);
    this.associationStatusMessage = resource.getAttString(ASSOCIATION_ATTRIBUTES.STATUS_MESSAGE);
  }
}

