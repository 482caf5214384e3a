import { checkCidr, expiryDate, parseAsn } from '../private/validation';
import { signAuthorizationMessage, verifyAuthorizationSignature } from './private/signing';

/*
 * The authorization context that AWS requires to provision an ASN (ProvisionIpamByoasn) or a BYOIP CIDR
 * (ProvisionByoipCidr): a message `1|aws|ACCOUNT|ASN-or-CIDR|YYYYMMDD|SHA256|RSAPSS` and its RSASSA-PSS signature
 * by the key whose X.509 certificate is in the resource's RIR record.
 *
 * jsii allows neither union types nor free functions, so the expiry ("a Date or a string") is a small class with
 * factory methods, and the signing functions are static methods.
 */

/**
 * The expiry date of an authorization message: a calendar day, in UTC, written `YYYYMMDD` in the message.
 *
 * @example
 * AuthorizationExpiry.fromString('2027-12-31');
 * AuthorizationExpiry.fromString('20271231');
 * AuthorizationExpiry.fromDate(new Date(Date.UTC(2027, 11, 31)));
 */
export class AuthorizationExpiry {
  /**
   * The UTC calendar day of a `Date`.
   *
   * Beware of local time: `new Date(2027, 11, 31)` is local midnight, which east of Greenwich is still
   * 30 December in UTC. Use `new Date('2027-12-31')` (a date-only string is parsed as UTC midnight),
   * `new Date(Date.UTC(2027, 11, 31))`, or `fromString`.
   *
   * @param date the day; only its UTC year, month and day are used
   */
  public static fromDate(date: Date): AuthorizationExpiry {
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
      throw new Error(`AuthorizationExpiry.fromDate: expiry ${String(date)} is not a valid Date.`);
    }
    const year = date.getUTCFullYear();
    if (year < 1000 || year > 9999) {
      throw new Error(`AuthorizationExpiry.fromDate: expiry ${date.toISOString()} has year ${year}; the message's YYYYMMDD takes years 1000 to 9999.`);
    }
    const yyyymmdd = `${year}${pad2(date.getUTCMonth() + 1)}${pad2(date.getUTCDate())}`;
    return new AuthorizationExpiry(yyyymmdd);
  }

  /**
   * A date written `YYYY-MM-DD` or `YYYYMMDD`, e.g. `'2027-12-31'` or `'20271231'`.
   *
   * @param text the date
   */
  public static fromString(text: string): AuthorizationExpiry {
    const match = typeof text === 'string' ? /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text) : null;
    // Both separators or none: '2027-1231' is a typo, not a date.
    if (!match || (text.length !== 8 && text.length !== 10)) {
      throw new Error(`AuthorizationExpiry.fromString: expiry ${quote(text)} is not a date; expected 'YYYY-MM-DD' or 'YYYYMMDD', e.g. '2027-12-31'.`);
    }
    const yyyymmdd = `${match[1]}${match[2]}${match[3]}`;
    if (!expiryDate(yyyymmdd)) {
      throw new Error(`AuthorizationExpiry.fromString: expiry ${quote(text)} is not a calendar date (no such month or day).`);
    }
    return new AuthorizationExpiry(yyyymmdd);
  }

  /** The expiry as written in the message: `YYYYMMDD`. */
  public readonly value: string;

  private constructor(value: string) {
    this.value = value;
  }

  /** The expiry as written in the message: `YYYYMMDD`. */
  public toString(): string {
    return this.value;
  }
}

/** Properties of `AuthorizationMessage.forAsn`. */
export interface AsnAuthorizationMessageProps {
  /** The 12-digit id of the AWS account that will provision the ASN, e.g. `'123456789012'`. */
  readonly account: string;

  /**
   * The public ASN in asplain notation, e.g. `64496`. Documentation ASNs (64496-64511, 65536-65551) are accepted
   * here so that examples work; AWS cannot provision them.
   */
  readonly asn: number;

  /** The last day of the authorization (UTC); must be today or later. */
  readonly expiry: AuthorizationExpiry;
}

/** Properties of `AuthorizationMessage.forCidr`. */
export interface CidrAuthorizationMessageProps {
  /** The 12-digit id of the AWS account that will provision the CIDR, e.g. `'123456789012'`. */
  readonly account: string;

  /**
   * The BYOIP CIDR in canonical form, e.g. `'203.0.113.0/24'` or `'2001:db8:1000::/48'`. Documentation prefixes
   * are accepted here so that examples work; AWS cannot provision them.
   */
  readonly cidr: string;

  /** The last day of the authorization (UTC); must be today or later. */
  readonly expiry: AuthorizationExpiry;

  /**
   * Whether the CIDR will be publicly advertisable: IPv6 prefixes may then be at most /48, otherwise /56.
   * @default true
   */
  readonly publiclyAdvertisable?: boolean;
}

/**
 * Builds the authorization message that you sign with your RIR certificate's private key.
 *
 * @example
 * const message = AuthorizationMessage.forAsn({
 *   account: '123456789012',
 *   asn: 64496,
 *   expiry: AuthorizationExpiry.fromString('2027-12-31'),
 * });
 * // '1|aws|123456789012|64496|20271231|SHA256|RSAPSS'
 */
export class AuthorizationMessage {
  /**
   * The message that authorizes an account to bring an ASN to IPAM:
   * `1|aws|ACCOUNT|ASN|YYYYMMDD|SHA256|RSAPSS`.
   *
   * @param props the account, the ASN and the expiry
   * @throws when the account, ASN or expiry is not valid (every problem is listed)
   */
  public static forAsn(props: AsnAuthorizationMessageProps): string {
    const where = 'AuthorizationMessage.forAsn';
    const errors = [...accountErrors(props.account), ...expiryErrors(props.expiry)];
    const parsed = parseAsn(props.asn, 'asn');
    errors.push(...parsed.findings.filter((f) => f.severity === 'error').map((f) => f.message));
    throwIfAny(where, errors);
    return `1|aws|${props.account}|${parsed.asn}|${props.expiry.value}|SHA256|RSAPSS`;
  }

  /**
   * The message that authorizes an account to bring a BYOIP CIDR to AWS:
   * `1|aws|ACCOUNT|CIDR|YYYYMMDD|SHA256|RSAPSS`.
   *
   * @param props the account, the CIDR and the expiry
   * @throws when the account, CIDR or expiry is not valid (every problem is listed)
   */
  public static forCidr(props: CidrAuthorizationMessageProps): string {
    const where = 'AuthorizationMessage.forCidr';
    const errors = [...accountErrors(props.account), ...expiryErrors(props.expiry)];
    const findings = checkCidr(props.cidr, { property: 'cidr', publiclyAdvertisable: props.publiclyAdvertisable ?? true });
    errors.push(...findings.filter((f) => f.severity === 'error').map((f) => f.message));
    throwIfAny(where, errors);
    return `1|aws|${props.account}|${props.cidr}|${props.expiry.value}|SHA256|RSAPSS`;
  }

  private constructor() {
  }
}

/**
 * Signs and verifies authorization messages: RSASSA-PSS with SHA-256 and a 32-byte salt, encoded as AWS
 * expects (base64 with `+=/` replaced by `-_~`, no line breaks). Equivalent to the openssl pipeline in AWS's
 * documentation; a 2048-bit key gives a 344-character signature.
 *
 * Sign once, offline (or with the `cdk-ipam-byoasn sign` command), and put the result in your app: the
 * private key belongs nowhere near a CDK app or a deployment.
 *
 * @example
 * const signature = AuthorizationSignature.signAuthorizationMessage(message, fs.readFileSync('private-key.pem', 'utf8'));
 * AuthorizationSignature.verifyAuthorizationSignature(message, signature, fs.readFileSync('certificate.pem', 'utf8')); // true
 */
export class AuthorizationSignature {
  /**
   * Signs a message with an RSA private key.
   *
   * @param message the message, signed exactly as given (no newline is added)
   * @param privateKeyPem the RSA private key (at least 2048 bits) in PEM format, PKCS#8 or PKCS#1, possibly encrypted
   * @param passphrase the passphrase of an encrypted key
   * @returns the encoded signature
   * @throws when the text is not a PEM private key, the key is encrypted and the passphrase is missing or wrong,
   * or the key is not an RSA key of at least 2048 bits
   */
  public static signAuthorizationMessage(message: string, privateKeyPem: string, passphrase?: string): string {
    return signAuthorizationMessage(message, privateKeyPem, passphrase);
  }

  /**
   * Checks a signature with the certificate from your RIR record, or its public key.
   *
   * @param message the message
   * @param signature the encoded signature
   * @param certificateOrPublicKeyPem an X.509 certificate or a public key in PEM format (the one-line form that
   * goes into the RIR record is accepted too)
   * @returns true when the signature is valid; false otherwise, including a malformed signature
   * @throws when the certificate or key cannot be read, or is not an RSA key
   */
  public static verifyAuthorizationSignature(message: string, signature: string, certificateOrPublicKeyPem: string): boolean {
    return verifyAuthorizationSignature(message, signature, certificateOrPublicKeyPem);
  }

  private constructor() {
  }
}

// ---------------------------------------------------------------------------------------------------------
// Checks (internal)
// ---------------------------------------------------------------------------------------------------------

function accountErrors(account: unknown): string[] {
  if (typeof account === 'string' && /^\d{12}$/.test(account)) {
    return [];
  }
  const token = typeof account === 'string' && account.includes('${Token[')
    ? ' A deploy-time value (such as Stack.of(this).account) cannot be signed: write the account id itself.'
    : '';
  return [`account ${quote(account)} is not an AWS account id; expected exactly 12 digits, e.g. '123456789012'.${token}`];
}

function expiryErrors(expiry: unknown): string[] {
  if (!(expiry instanceof AuthorizationExpiry)) {
    return [`expiry ${quote(expiry)} is not an AuthorizationExpiry; use AuthorizationExpiry.fromString('2027-12-31') or AuthorizationExpiry.fromDate(date).`];
  }
  const now = new Date();
  const today = AuthorizationExpiry.fromDate(now).value;
  // YYYYMMDD strings of equal length compare like the dates they name.
  if (expiry.value < today) {
    return [`expiry ${expiry.value} is in the past (today is ${today} UTC); the expiry must be today or later.`];
  }
  return [];
}

function throwIfAny(where: string, errors: readonly string[]): void {
  if (errors.length > 0) {
    throw new Error(errors.map((e) => `${where}: ${e}`).join('\n'));
  }
}

function quote(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
