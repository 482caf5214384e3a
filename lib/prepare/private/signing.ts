/**
 * Signing and verification of authorization messages, with node:crypto only.
 *
 * AWS checks the signature of `1|aws|ACCOUNT|RESOURCE|YYYYMMDD|SHA256|RSAPSS` against the X.509 certificate in the
 * RIR record: RSASSA-PSS, SHA-256, MGF1-SHA-256, salt length = digest length (32 bytes), then standard base64 with
 * `+=/` replaced by `-_~` and no line breaks. That is what the documented openssl pipeline
 * (`openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-1 -sign key.pem | openssl base64 |
 * tr -- '+=/' '-_~' | tr -d '\n'`) produces, byte for byte in format (PSS itself is randomised).
 *
 * Internal: the public API is `AuthorizationSignature` in lib/prepare/authorization.ts (jsii allows no free functions);
 * the CLI uses the richer results here (why a signature is invalid, the certificate's dates).
 */
import * as crypto from 'node:crypto';

/** What is wrong with a key or certificate given to sign or verify. */
export type KeyProblem =
  | 'not-pem'
  | 'wrong-kind'
  | 'passphrase-required'
  | 'wrong-passphrase'
  | 'not-rsa'
  | 'key-too-small'
  | 'unreadable';

/**
 * A key or certificate that cannot be used. `problem` lets the CLI add its own hint (which option to use) to the
 * library's message.
 */
export class AuthorizationKeyError extends Error {
  constructor(public readonly problem: KeyProblem, message: string) {
    super(message);
    this.name = 'AuthorizationKeyError';
  }
}

/** The smallest RSA key accepted for signing: AWS documents 2048-bit keys, and smaller ones are weak. */
const MIN_RSA_BITS = 2048;

const GENERATE_KEY_HINT = "Generate one with 'openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out private-key.pem'.";

const PSS_OPTIONS = {
  padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
  // The digest length, as `rsa_pss_saltlen:-1` in the documented openssl command. Used for verification too:
  // a signature with any other salt length would be refused by AWS, so it is refused here.
  saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST,
} as const;

// ---------------------------------------------------------------------------------------------------------
// Signature encoding
// ---------------------------------------------------------------------------------------------------------

/** Standard base64 with `+`→`-`, `=`→`_`, `/`→`~` (not base64url: the padding survives as `_`). */
export function encodeSignature(signature: Buffer): string {
  return signature.toString('base64').replace(/[+=/]/g, (c) => ({ '+': '-', '=': '_', '/': '~' })[c]!);
}

/** The inverse of `encodeSignature`; undefined when the text is not in that encoding. */
export function decodeSignature(encoded: string): Buffer | undefined {
  if (!/^[A-Za-z0-9~_-]+$/.test(encoded) || encoded.length % 4 !== 0 || /_[^_]/.test(encoded)) {
    return undefined;
  }
  return Buffer.from(encoded.replace(/[-_~]/g, (c) => ({ '-': '+', '_': '=', '~': '/' })[c]!), 'base64');
}

// ---------------------------------------------------------------------------------------------------------
// PEM handling
// ---------------------------------------------------------------------------------------------------------

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** The labels of the PEM blocks in a text, in order (`CERTIFICATE`, `PRIVATE KEY`, ...). */
function pemLabels(text: string): string[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => m[1]);
}

/**
 * Re-wraps PEM blocks whose line breaks were lost. The certificate goes into the RIR record as one line
 * (`-----BEGIN CERTIFICATE-----MIID...-----END CERTIFICATE-----`), and users verify against what they copy back
 * from there; OpenSSL reads only wrapped PEM. Blocks with headers (legacy encrypted keys) are left alone.
 */
export function normalizePem(text: string): string {
  return text.replace(PEM_BLOCK, (block, label: string, body: string) => {
    if (body.includes(':')) {
      return block;
    }
    const base64 = body.replace(/\s+/g, '');
    const lines = base64.match(/.{1,64}/g) ?? [];
    return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`].join('\n');
  });
}

function describeKeyType(type: string | undefined): string {
  switch (type) {
    case 'ec': return 'an EC (elliptic curve) key';
    case 'ed25519': return 'an Ed25519 key';
    case 'ed448': return 'an Ed448 key';
    case 'dsa': return 'a DSA key';
    case 'rsa-pss': return 'an RSA-PSS-restricted key (openssl -algorithm RSA-PSS)';
    default: return `a key of type '${type ?? 'unknown'}'`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------------------

/** Reads an RSA private key from PEM text, with an error that says what to do for each way it can fail. */
export function readPrivateKey(privateKeyPem: string, passphrase?: string): crypto.KeyObject {
  const text = normalizePem(privateKeyPem);
  const labels = pemLabels(text);
  if (labels.length === 0) {
    throw new AuthorizationKeyError('not-pem',
      "The private key is not in PEM format: expected text that starts with '-----BEGIN PRIVATE KEY-----' (or 'RSA PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'). "
      + "Convert a DER key with 'openssl pkey -inform DER -in key.der -out private-key.pem'.");
  }
  const keyLabel = labels.find((l) => l.endsWith('PRIVATE KEY'));
  if (keyLabel === 'OPENSSH PRIVATE KEY') {
    throw new AuthorizationKeyError('not-pem',
      "The private key is in OpenSSH format, which node:crypto cannot read. Convert a copy to PKCS#8 PEM with 'ssh-keygen -p -m PKCS8 -f <copy-of-key>'.");
  }
  if (keyLabel === undefined) {
    const found = labels.includes('CERTIFICATE') ? 'a certificate' : labels.some((l) => l.endsWith('PUBLIC KEY')) ? 'a public key' : `'${labels[0]}'`;
    throw new AuthorizationKeyError('wrong-kind',
      `The PEM text holds ${found}, not a private key. Sign with the private key whose certificate is in your RIR record.`);
  }
  const encrypted = keyLabel === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(text);
  if (encrypted && passphrase === undefined) {
    throw new AuthorizationKeyError('passphrase-required', 'The private key is encrypted: give its passphrase.');
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: text, format: 'pem', passphrase });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MISSING_PASSPHRASE') {
      throw new AuthorizationKeyError('passphrase-required', 'The private key is encrypted: give its passphrase.');
    }
    if (encrypted && code === 'ERR_OSSL_BAD_DECRYPT') {
      throw new AuthorizationKeyError('wrong-passphrase', 'Cannot decrypt the private key: the passphrase is wrong.');
    }
    throw new AuthorizationKeyError('unreadable', `Cannot read the private key (${keyLabel}): ${(e as Error).message}. Is the PEM text complete and unmodified?`);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new AuthorizationKeyError('not-rsa',
      `The private key is ${describeKeyType(key.asymmetricKeyType)}; AWS requires an RSA key (RSASSA-PSS with SHA-256). ${GENERATE_KEY_HINT}`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw new AuthorizationKeyError('key-too-small',
      `The RSA key has ${bits} bits; use a key of at least ${MIN_RSA_BITS} bits (AWS documents 2048). ${GENERATE_KEY_HINT}`);
  }
  return key;
}

/**
 * Signs an authorization message as AWS expects. The message is signed exactly as given, as UTF-8, with no
 * trailing newline added.
 */
export function signAuthorizationMessage(message: string, privateKeyPem: string, passphrase?: string): string {
  const key = readPrivateKey(privateKeyPem, passphrase);
  return encodeSignature(crypto.sign('sha256', Buffer.from(message, 'utf8'), { key, ...PSS_OPTIONS }));
}

// ---------------------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------------------

/** The public key to verify with, and the certificate it came from, if any. */
export interface VerificationKey {
  readonly key: crypto.KeyObject;
  readonly certificate?: crypto.X509Certificate;
}

/** Reads an X.509 certificate or a public key (PEM, also the one-line form) for verification. */
export function readVerificationKey(certificateOrPublicKeyPem: string): VerificationKey {
  const text = normalizePem(certificateOrPublicKeyPem);
  const labels = pemLabels(text);
  if (labels.length === 0) {
    throw new AuthorizationKeyError('not-pem',
      "The certificate or public key is not in PEM format: expected text with '-----BEGIN CERTIFICATE-----' or '-----BEGIN PUBLIC KEY-----'.");
  }
  let result: VerificationKey;
  try {
    if (labels.includes('CERTIFICATE')) {
      const certificate = new crypto.X509Certificate(text);
      result = { key: certificate.publicKey, certificate };
    } else if (labels.some((l) => l === 'PUBLIC KEY' || l === 'RSA PUBLIC KEY')) {
      result = { key: crypto.createPublicKey({ key: text, format: 'pem' }) };
    } else if (labels.some((l) => l.endsWith('PRIVATE KEY'))) {
      throw new AuthorizationKeyError('wrong-kind',
        'The PEM text holds a private key. Verify with the certificate that is in your RIR record (or its public key): that is what AWS uses.');
    } else {
      throw new AuthorizationKeyError('wrong-kind',
        `The PEM text holds '${labels[0]}', not a certificate or public key.`);
    }
  } catch (e) {
    if (e instanceof AuthorizationKeyError) {
      throw e;
    }
    throw new AuthorizationKeyError('unreadable', `Cannot read the certificate or public key: ${(e as Error).message}. Is the PEM text complete and unmodified?`);
  }
  if (result.key.asymmetricKeyType !== 'rsa') {
    throw new AuthorizationKeyError('not-rsa',
      `The ${result.certificate ? 'certificate holds' : 'public key is'} ${describeKeyType(result.key.asymmetricKeyType)}; AWS requires an RSA key, so no signature from it can be valid.`);
  }
  return result;
}

/** Whether a signature is valid and, when it is not, why. */
export interface SignatureCheck {
  readonly valid: boolean;
  /** Why the signature is not valid; undefined when it is. */
  readonly reason?: string;
}

function pssVerify(message: string, signature: Buffer, key: crypto.KeyObject): boolean {
  try {
    return crypto.verify('sha256', Buffer.from(message, 'utf8'), { key, ...PSS_OPTIONS }, signature);
  } catch {
    return false;
  }
}

/**
 * Checks a signature against a message and an already-read key, and says why it is invalid. A wrong signature
 * is a result, never an exception.
 */
export function checkSignature(message: string, signature: string, verificationKey: VerificationKey): SignatureCheck {
  const key = verificationKey.key;
  const bytes = (key.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
  const expectedLength = Math.ceil(bytes / 3) * 4;
  if (signature === '') {
    return { valid: false, reason: 'The signature is empty.' };
  }
  if (/[+/=]/.test(signature) && /^[A-Za-z0-9+/=\s]+$/.test(signature)) {
    return {
      valid: false,
      reason: "The signature looks like plain base64: AWS expects '+', '=' and '/' replaced by '-', '_' and '~' (tr -- '+=/' '-_~').",
    };
  }
  const decoded = decodeSignature(signature);
  if (!decoded) {
    return {
      valid: false,
      reason: "The signature is not in AWS's encoding: base64 with '+=/' replaced by '-_~', a multiple of 4 characters, no spaces or line breaks.",
    };
  }
  if (decoded.length !== bytes) {
    return {
      valid: false,
      reason: `The signature has ${signature.length} characters (${decoded.length} bytes), but a signature by this ${bytes * 8}-bit key has ${expectedLength} (${bytes} bytes): it is truncated, or was made with another key.`,
    };
  }
  if (pssVerify(message, decoded, key)) {
    return { valid: true };
  }
  if (pssVerify(`${message}\n`, decoded, key)) {
    return {
      valid: false,
      reason: "The signature is for the message followed by a newline. Sign the message without one (printf '%s' or echo -n, or this tool's sign command).",
    };
  }
  return {
    valid: false,
    reason: 'The signature does not match this message and key: it was made with a different key, or for a different message (compare every character), or not with RSASSA-PSS/SHA-256 and a 32-byte salt.',
  };
}

/**
 * Whether `signature` is a valid signature of `message` by the key in a certificate or public key (PEM).
 * False for a wrong signature; throws `AuthorizationKeyError` when the certificate or key cannot be used.
 */
export function verifyAuthorizationSignature(message: string, signature: string, certificateOrPublicKeyPem: string): boolean {
  return checkSignature(message, signature, readVerificationKey(certificateOrPublicKeyPem)).valid;
}
