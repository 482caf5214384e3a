import { Annotations, Stack } from 'aws-cdk-lib';

/**
 * The inputs of the integration tests (test/integ.*.ts), read from environment variables. Only you can supply
 * real ones: your ASN or range, the authorization signed with your certificate, your IPAM (docs/integ-tests.md).
 *
 * Each has an offline default, so that the committed snapshots synthesize anywhere, without an account: valid in
 * form (the constructs check inputs at synth), but fake. AWS refuses them: the defaults are documentation values
 * (RFC 5398 ASN, RFC 5737 range), an account that is nobody's and a signature that signs nothing.
 */

/** A placeholder of the signature's alphabet and of a length that is a multiple of 4, as the synth checks want. */
export const FAKE_SIGNATURE = 'FAKE-offline-default-run-cdk-ipam-byoasn-sign-for-a-real-one';

/** The message expiry of the defaults: far in the future, so that they do not expire under the snapshots. */
const FAR_FUTURE = '20991231';

/** A fake account of the right form for the default messages (the test stacks have no account, so none is compared). */
const FAKE_ACCOUNT = '123456789012';

/** An input and whether it is the offline default. */
export interface IntegInput {
  readonly value: string;
  readonly isDefault: boolean;
}

/** The environment variable `name`, or `fallback` when it is unset or empty. */
export function integInput(name: string, fallback: string): IntegInput {
  const value = process.env[name];
  return value === undefined || value === '' ? { value: fallback, isDefault: true } : { value, isDefault: false };
}

/** The inputs of test/integ.byoasn.ts: the ASN, its signed authorization and the IPAM to provision it to. */
export function byoasnInputs() {
  const asn = integInput('INTEG_ASN', '64496');
  return {
    ipamId: integInput('INTEG_IPAM_ID', 'ipam-0123456789abcdef0'),
    asn,
    message: integInput('INTEG_ASN_MESSAGE', `1|aws|${FAKE_ACCOUNT}|${asn.value}|${FAR_FUTURE}|SHA256|RSAPSS`),
    signature: integInput('INTEG_ASN_SIGNATURE', FAKE_SIGNATURE),
  };
}

/** The inputs of test/integ.byoip.ts: the range and its signed authorization. */
export function byoipInputs() {
  const cidr = integInput('INTEG_CIDR', '203.0.113.0/24');
  return {
    cidr,
    message: integInput('INTEG_CIDR_MESSAGE', `1|aws|${FAKE_ACCOUNT}|${cidr.value}|${FAR_FUTURE}|SHA256|RSAPSS`),
    signature: integInput('INTEG_CIDR_SIGNATURE', FAKE_SIGNATURE),
  };
}

/**
 * With the offline defaults, the constructs rightly warn that the ASN or range is a documentation value; the
 * warning is acknowledged then, and only then, so that a real input that is one still warns.
 */
export function acknowledgeDefaultDocumentationValues(stack: Stack, ...inputs: IntegInput[]): void {
  if (inputs.every((input) => input.isDefault)) {
    Annotations.of(stack).acknowledgeWarning('cdk-ipam-byoasn:documentationValue', 'The offline defaults of the integration test are documentation values on purpose.');
  }
}
