import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Finding, checkAuthorizationContext, parseAuthorizationMessage } from './validation';

/** An authorization context as a construct receives it (the public `AuthorizationContext`). */
export interface SynthAuthorizationContext {
  readonly message: string;
  readonly signature: string;
}

/**
 * The synth-time checks of an authorization context (DESIGN §5), shared by `IpamByoasn` and `ByoipCidr`:
 * the message's form, resource, account (when the stack's is known) and expiry, and the signature's form.
 * Each of the three comparisons needs both of its sides resolved; the handler re-checks whatever a token hid.
 *
 * @param resource the ASN (asplain) or CIDR of the construct, or undefined when it is a token
 */
export function checkAuthorizationAtSynth(
  scope: IConstruct,
  context: SynthAuthorizationContext | undefined,
  resource: string | undefined,
  kind: 'asn' | 'cidr',
): Finding[] {
  const { message, signature } = context ?? {};
  if (message === undefined || signature === undefined) {
    return [{
      severity: 'error',
      property: 'authorizationContext',
      message: `authorizationContext needs both message and signature; make them with \`cdk-ipam-byoasn sign --${kind} ...\`.`,
    }];
  }
  const messageResolved = !Token.isUnresolved(message);
  const signatureResolved = !Token.isUnresolved(signature);
  if (!messageResolved && !signatureResolved) {
    return [];
  }
  const account = Stack.of(scope).account;
  return checkAuthorizationContext(message, signature, {
    // An unknown resource is compared with the message's own, i.e. that comparison is skipped.
    resource: resource ?? parseAuthorizationMessage(message)?.resource ?? '',
    kind,
    account: Token.isUnresolved(account) ? undefined : account,
  }).filter((f) => (f.property.endsWith('.message') ? messageResolved : signatureResolved));
}
