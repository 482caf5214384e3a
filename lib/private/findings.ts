import { Annotations, RemovalPolicy } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Finding, formatErrors } from './validation';

/**
 * Reports validation findings at synth time: every error at once in one thrown Error (so a user fixes them
 * in one pass), every warning as a warning annotation on the construct. Messages start with the construct path.
 */
export function reportFindings(scope: IConstruct, findings: readonly Finding[]): void {
  const errors = formatErrors(findings, scope.node.path);
  if (errors !== undefined) {
    throw new Error(errors);
  }
  for (const finding of findings) {
    // The id lets users acknowledge a warning (`Annotations.acknowledgeWarning`), e.g. in examples.
    const id = finding.documentationValue ? 'cdk-ipam-byoasn:documentationValue' : `cdk-ipam-byoasn:${finding.property}`;
    Annotations.of(scope).addWarningV2(id, finding.message);
  }
}

/** Only DESTROY and the RETAIN variants make sense for an ASN or an association: there is nothing to snapshot. */
export function checkRemovalPolicy(scope: IConstruct, removalPolicy: RemovalPolicy | undefined): RemovalPolicy {
  const policy = removalPolicy ?? RemovalPolicy.DESTROY;
  const allowed = [RemovalPolicy.DESTROY, RemovalPolicy.RETAIN, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE];
  if (!allowed.includes(policy)) {
    const name = Object.entries(RemovalPolicy).find(([, value]) => value === policy)?.[0] ?? policy;
    throw new Error(`${scope.node.path}: removalPolicy RemovalPolicy.${name} is not supported; allowed: RemovalPolicy.DESTROY (the default), RemovalPolicy.RETAIN or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE.`);
  }
  return policy;
}
