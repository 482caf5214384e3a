import { CustomResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The custom resource (child `Resource`) of a construct of this library defined in this app; undefined for an
 * imported one, which has none.
 *
 * Dependents depend on that resource rather than on the whole construct: `associateCidr` makes an association a
 * child of its ASN's construct, and depending on one's own parent would be a cycle.
 */
export function customResourceOf(construct: IConstruct): CustomResource | undefined {
  const child = construct.node.tryFindChild('Resource');
  return child instanceof CustomResource ? child : undefined;
}
