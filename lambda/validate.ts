/**
 * Deploy-time validation: the shared findings of lib/private/validation.ts, judged by the stricter rules of a
 * deployment. Runs on the resolved property values before any AWS call.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { ALLOW_DOCUMENTATION_VALUES_ENV } from '../lib/private/contract';
import { Finding, formatErrors } from '../lib/private/validation';
import { HandlerError } from './errors';

/**
 * Throws one error listing every error finding, each line prefixed with the logical id; logs the warnings.
 * Documentation values (RFC 5398 ASNs, RFC 5737 / RFC 3849 prefixes) are errors here, because AWS cannot
 * provision them, unless `CDK_IPAM_BYOASN_ALLOW_DOCUMENTATION_VALUES` is `'true'` (emulators and tests).
 */
export function enforceFindings(findings: readonly Finding[], logicalId: string, logger: Logger): void {
  const allowDocumentationValues = process.env[ALLOW_DOCUMENTATION_VALUES_ENV] === 'true';
  const judged = findings.map((finding): Finding =>
    finding.documentationValue && !allowDocumentationValues ? { ...finding, severity: 'error' } : finding);
  for (const warning of judged.filter((f) => f.severity === 'warning')) {
    logger.warn(`${logicalId}: ${warning.message}`, { property: warning.property });
  }
  const errors = formatErrors(judged, logicalId);
  if (errors !== undefined) {
    throw new HandlerError(errors);
  }
}

/**
 * The account of the function that CloudFormation invoked (`ServiceToken` is its ARN:
 * `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME`): the stack's account. Undefined when the token is not
 * such an ARN, and the account check is then skipped.
 */
export function accountFromServiceToken(serviceToken: unknown): string | undefined {
  if (typeof serviceToken !== 'string') {
    return undefined;
  }
  const match = /^arn:[^:]+:lambda:[^:]*:(\d{12}):function:[^:]+/.exec(serviceToken);
  return match?.[1];
}
