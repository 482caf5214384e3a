import { Annotations, CustomResource, RemovalPolicy, Resource, Stack, Stage, Token, Tokenization } from 'aws-cdk-lib';
import { Construct, Dependable, IConstruct } from 'constructs';
import { ByoasnCidrAssociation } from './byoasn-cidr-association';
import { ByoipCidr, IByoipCidr } from './byoip-cidr';
import type { IIpamByoasn } from './ipam-byoasn';
import {
  ADVERTISEMENT_ATTRIBUTES,
  ADVERTISEMENT_RESOURCE_TYPE,
  AMAZON_ASN,
  AdvertisementResourceProperties,
} from './private/contract';
import { customResourceOf } from './private/dependencies';
import { checkRemovalPolicy } from './private/findings';
import { claimTarget } from './private/ownership';
import { ByoasnProvider } from './private/provider';
import { ByoasnProviderOptions } from './provider-options';

/**
 * Properties of a `ByoipCidrAdvertisement`.
 */
export interface ByoipCidrAdvertisementProps {
  /**
   * The range to advertise: a `ByoipCidr` of this app, or one imported with `ByoipCidr.fromCidr`. It must be
   * provisioned and publicly advertisable.
   */
  readonly byoipCidr: IByoipCidr;

  /**
   * The ASN to advertise the range with, as its origin: an `IpamByoasn` of this app, or one imported with
   * `IpamByoasn.fromIpamByoasnAttributes`. The ASN must be associated with the range (a `ByoasnCidrAssociation`).
   *
   * AWS switches the origin of an advertised range from Amazon's ASN to your own at most once per hour.
   *
   * @default - Amazon's ASN
   */
  readonly byoasn?: IIpamByoasn;

  /**
   * The network border group to advertise the range in.
   *
   * @default - the Region's default network border group
   */
  readonly networkBorderGroup?: string;

  /**
   * Take over the advertisement when the range is already advertised with this origin, instead of failing.
   *
   * Once adopted, the advertisement belongs to the stack: deleting the resource withdraws it (unless
   * `removalPolicy` is `RETAIN`).
   *
   * @default false
   */
  readonly adoptExisting?: boolean;

  /**
   * What happens to the advertisement when the resource leaves the stack. `RETAIN` leaves the range advertised;
   * note that AWS will then refuse to deprovision the range, or to disassociate it from the ASN.
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
 * Advertises a BYOIP range to the internet from AWS (AdvertiseByoipCidr), with your own ASN or Amazon's as the
 * origin, and withdraws it when the resource is deleted (WithdrawByoipCidr).
 *
 * Deployment waits until AWS reports the range `advertised`; deletion waits until it no longer is. AWS allows
 * one Advertise or Withdraw call per 10 seconds per account: the handler retries a throttled call with backoff,
 * so several advertisements in one stack succeed, only more slowly. AWS switches the origin from Amazon's ASN to
 * your own at most once per hour.
 *
 * The advertisement depends on its `ByoipCidr` and, with your own ASN, on the ASN's association with the range
 * (the `ByoasnCidrAssociation` of that ASN and CIDR anywhere in the app's stage, found when the app is
 * synthesized), so that destroy withdraws the range before it disassociates and deprovisions it. With your own
 * ASN and no such association in the app, synth warns: the association must then exist before deployment.
 *
 * Declare one advertisement per range in an app: a second one of the same CIDR, in any stack, is a synth error.
 *
 * @example
 * declare const asn: IpamByoasn;
 * declare const range: ByoipCidr;
 * asn.associateByoipCidr('Range', range);
 * new ByoipCidrAdvertisement(this, 'Advertise', { byoipCidr: range, byoasn: asn });
 */
export class ByoipCidrAdvertisement extends Resource {
  /** The advertised range. */
  public readonly cidr: string;

  /**
   * The state AWS reported when the deployment finished (normally `advertised`).
   * @attribute
   */
  public readonly advertisementState: string;

  /**
   * AWS's status message for the range (often empty).
   * @attribute
   */
  public readonly advertisementStatusMessage: string;

  /**
   * @param scope the construct scope
   * @param id the construct id
   * @param props the range to advertise, and the ASN to advertise it with
   */
  constructor(scope: Construct, id: string, props: ByoipCidrAdvertisementProps) {
    super(scope, id);
    this.cidr = props.byoipCidr.cidr;
    const byoasn = props.byoasn;

    if (props.byoipCidr instanceof ByoipCidr && !props.byoipCidr.publiclyAdvertisable) {
      throw new Error(`${this.node.path}: byoipCidr ${props.byoipCidr.node.path} is provisioned with publiclyAdvertisable false, so AWS refuses to advertise it. Set publiclyAdvertisable to true on the ByoipCidr (which replaces it), or remove this advertisement.`);
    }
    const removalPolicy = checkRemovalPolicy(this, props.removalPolicy);
    claimTarget(this, {
      kind: 'ByoipCidrAdvertisement',
      identity: { cidr: this.cidr },
      onDelete: 'withdraws the CIDR',
    });

    const provider = ByoasnProvider.getOrCreate(this, props.providerOptions);
    // None of these actions has a resource type: `*` is the narrowest resource IAM accepts.
    provider.grant(['ec2:AdvertiseByoipCidr', 'ec2:WithdrawByoipCidr', 'ec2:DescribeByoipCidrs'], ['*']);

    const properties: AdvertisementResourceProperties = {
      Cidr: this.cidr,
      Asn: byoasn === undefined ? AMAZON_ASN : Tokenization.stringifyNumber(byoasn.asn),
      NetworkBorderGroup: props.networkBorderGroup ?? '',
      AdoptExisting: String(props.adoptExisting ?? false),
    };
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: ADVERTISEMENT_RESOURCE_TYPE,
      properties: { ...properties },
      removalPolicy,
    });

    // Advertise after the range (and the ASN) are provisioned; CloudFormation deletes in reverse, so the
    // advertisement is withdrawn first.
    for (const dependency of [props.byoipCidr, byoasn]) {
      const target = dependency === undefined ? undefined : customResourceOf(dependency);
      if (target !== undefined) {
        resource.node.addDependency(target);
      }
    }
    if (byoasn !== undefined) {
      // The association may be declared after this construct, so it is looked up when the app is synthesized:
      // the dependency's roots are read while the app is prepared, the warning added while it is validated.
      const association = () => findAssociation(this, byoasn, this.cidr);
      const lazy = {};
      Dependable.implement(lazy, {
        get dependencyRoots() {
          const target = association();
          return target === undefined ? [] : [target];
        },
      });
      resource.node.addDependency(lazy);
      this.node.addValidation({
        validate: () => {
          if (association() === undefined) {
            Annotations.of(this).addWarningV2('cdk-ipam-byoasn:byoasnAssociation', missingAssociationMessage(this, byoasn, this.cidr));
          }
          return [];
        },
      });
    }

    this.advertisementState = resource.getAttString(ADVERTISEMENT_ATTRIBUTES.STATE);
    this.advertisementStatusMessage = resource.getAttString(ADVERTISEMENT_ATTRIBUTES.STATUS_MESSAGE);
  }
}

/**
 * The custom resource of the association of `byoasn` with `cidr` in the stage of `scope`, if this app declares
 * one. There is at most one: `claimTarget` refuses a second association of one ASN and CIDR. Values compare
 * as written, so a token matches only itself. It walks the stage's constructs twice per advertisement and
 * synthesis: an app has a handful of advertisements (AWS allows 5 BYOIP CIDRs per Region).
 */
function findAssociation(scope: IConstruct, byoasn: IIpamByoasn, cidr: string): IConstruct | undefined {
  const stage = Stage.of(scope);
  const root = stage ?? scope.node.root;
  const match = root.node.findAll().find((c): c is ByoasnCidrAssociation => c instanceof ByoasnCidrAssociation
    && c.asn === byoasn.asn
    && c.cidr === cidr
    && Stage.of(c) === stage);
  return match === undefined ? undefined : customResourceOf(match);
}

function missingAssociationMessage(scope: IConstruct, byoasn: IIpamByoasn, cidr: string): string {
  return `byoasn: no ByoasnCidrAssociation of asn ${display(scope, byoasn.asn)} and cidr ${display(scope, cidr)} is declared in this app, so this advertisement cannot be ordered after it. `
    + 'The association must exist before deployment (AWS advertises a range with an ASN only once they are associated) and outlive the advertisement. '
    + 'Declare it in this app (IpamByoasn.associateByoipCidr) to have CloudFormation order the two.';
}

/** A value as a message shows it: a literal as written, a token as the CloudFormation it stands for. */
function display(scope: IConstruct, value: string | number): string {
  if (!Token.isUnresolved(value)) {
    return typeof value === 'number' ? String(value) : `'${value}'`;
  }
  try {
    return JSON.stringify(Stack.of(scope).resolve(value));
  } catch {
    return String(value);
  }
}
