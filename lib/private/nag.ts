import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * A cdk-nag rule acknowledged on one resource of the library's own, with the reason a reviewer reads.
 *
 * The library does not depend on cdk-nag: it writes the marks that cdk-nag reads, so that an app that runs cdk-nag
 * over a stack with these constructs gets no finding for what the library creates and the user cannot change.
 */
export interface NagAcknowledgment {
  /** The rule, e.g. `AwsSolutions-IAM5`. */
  readonly id: string;
  /** Why the finding is right for this resource (cdk-nag 2 refuses fewer than 10 characters). */
  readonly reason: string;
  /**
   * The findings of the rule that are acknowledged, e.g. `Resource::*`; only these, never the whole rule.
   * @default - the whole rule (for rules that report no findings of their own)
   */
  readonly findings?: string[];
}

/**
 * The construct metadata key that cdk-nag 3 reads on a resource and its ancestors (`Validations.of(c).acknowledge()`
 * writes it in aws-cdk-lib; the literal keeps this working on aws-cdk-lib versions without `Validations`).
 */
export const ACKNOWLEDGED_RULES_METADATA_KEY = 'aws:cdk:acknowledged-rules';

/** The CloudFormation metadata key that cdk-nag 2 reads on a resource (`NagSuppressions` writes it). */
export const CDK_NAG_METADATA_KEY = 'cdk_nag';

/** One entry of `cdk_nag.rules_to_suppress`, as cdk-nag 2 writes and reads it. */
interface CfnSuppression {
  readonly id: string;
  readonly reason: string;
  readonly applies_to?: string[];
}

/**
 * Acknowledges `rules` on `resource` alone (not its children), for cdk-nag 3 and cdk-nag 2:
 * - cdk-nag 3 reads construct metadata `aws:cdk:acknowledged-rules`: `{ 'annotation::RULE[FINDING]': reason }`;
 * - cdk-nag 2 reads the resource's CloudFormation metadata `cdk_nag`: `{ rules_to_suppress: [{ id, reason,
 *   applies_to }] }`, which also leaves an audit trail in the template.
 * Entries already there (e.g. the user's own `NagSuppressions`) are kept.
 */
export function acknowledgeNagRules(resource: CfnResource, rules: readonly NagAcknowledgment[]): void {
  const acknowledged: Record<string, string> = {};
  for (const rule of rules) {
    for (const id of rule.findings?.map((finding) => `${rule.id}[${finding}]`) ?? [rule.id]) {
      acknowledged[`annotation::${id}`] = rule.reason;
    }
  }
  resource.node.addMetadata(ACKNOWLEDGED_RULES_METADATA_KEY, acknowledged);

  const existing: CfnSuppression[] = resource.getMetadata(CDK_NAG_METADATA_KEY)?.rules_to_suppress ?? [];
  const added: CfnSuppression[] = rules.map((rule) => ({
    id: rule.id,
    reason: rule.reason,
    ...(rule.findings ? { applies_to: [...rule.findings] } : {}),
  }));
  resource.addMetadata(CDK_NAG_METADATA_KEY, { rules_to_suppress: [...existing, ...added] });
}

/**
 * The CloudFormation resource at `path` below `scope` (each step a child id; a construct with a default child,
 * such as an L2, stands for it), or undefined when aws-cdk-lib builds that part of the tree differently.
 */
export function findCfnResource(scope: IConstruct, ...path: string[]): CfnResource | undefined {
  let node: IConstruct | undefined = scope;
  for (const id of path) {
    node = node?.node.tryFindChild(id);
  }
  const resource = node?.node.defaultChild ?? node;
  // isCfnResource is false for undefined too.
  return CfnResource.isCfnResource(resource) ? resource : undefined;
}
