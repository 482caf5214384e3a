/**
 * Keys and certificates for the authorization tests, generated once per test file in a temporary directory:
 * nothing secret is committed, and every run uses fresh keys. Certificates are made with the openssl command
 * line, as users make theirs.
 */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Paths of the generated files, and the PEM text of the ones most tests need. */
export interface TestKeys {
  readonly dir: string;
  /** RSA 2048, PKCS#8 PEM, unencrypted. */
  readonly rsaKey: string;
  readonly rsaKeyPem: string;
  /** The same key, PKCS#1 (`BEGIN RSA PRIVATE KEY`). */
  readonly rsaPkcs1Key: string;
  /** The public key of `rsaKey` (SPKI PEM). */
  readonly publicKey: string;
  readonly publicKeyPem: string;
  /** A self-signed certificate for `rsaKey`, made with `openssl req -x509`. */
  readonly certificate: string;
  readonly certificatePem: string;
  /** The certificate on one line, as it goes into an RIR record. */
  readonly oneLineCertificatePem: string;
  /** The same RSA key, encrypted with PASSPHRASE: PKCS#8 (`BEGIN ENCRYPTED PRIVATE KEY`). */
  readonly encryptedKey: string;
  /** The same RSA key, encrypted with PASSPHRASE: legacy PKCS#1 with `Proc-Type: 4,ENCRYPTED`. */
  readonly encryptedPkcs1Key: string;
  /** Another RSA 2048 key and its certificate: a mismatch for `rsaKey`. */
  readonly otherKey: string;
  readonly otherCertificate: string;
  readonly otherCertificatePem: string;
  /** A 1024-bit RSA key: too small, and a certificate for it. */
  readonly smallKey: string;
  readonly smallCertificate: string;
  /** An EC P-256 key, and a certificate for it. */
  readonly ecKey: string;
  readonly ecCertificate: string;
  /** An Ed25519 key. */
  readonly ed25519Key: string;
}

export const PASSPHRASE = 'correct horse battery staple';

let cached: TestKeys | undefined;

/** Generates the keys on first use (a second or so), then returns the same ones. */
export function testKeys(): TestKeys {
  cached ??= generate();
  return cached;
}

/** Removes the temporary directory; call from afterAll. */
export function removeTestKeys(): void {
  if (cached) {
    fs.rmSync(cached.dir, { recursive: true, force: true });
    cached = undefined;
  }
}

/** Runs a shell pipeline in the keys' directory with extra environment variables; returns stdout. */
export function shell(script: string, env: Record<string, string> = {}): string {
  return execFileSync('sh', ['-c', script], {
    cwd: testKeys().dir,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function generate(): TestKeys {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-ipam-byoasn-keys-'));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
  };
  const selfSign = (keyFile: string, certName: string) => {
    const file = path.join(dir, certName);
    execFileSync('openssl', ['req', '-new', '-x509', '-key', keyFile, '-days', '365', '-subj', '/CN=cdk-ipam-byoasn test', '-out', file], { stdio: 'pipe' });
    return file;
  };

  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaKeyPem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const rsaKey = write('private-key.pem', rsaKeyPem);
  const publicKeyPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const certificate = selfSign(rsaKey, 'certificate.pem');
  const certificatePem = fs.readFileSync(certificate, 'utf8');

  const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherKey = write('other-key.pem', other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const otherCertificate = selfSign(otherKey, 'other-certificate.pem');

  const smallKey = write('small-key.pem', crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey
    .export({ type: 'pkcs8', format: 'pem' }).toString());

  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecKey = write('ec-key.pem', ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());

  return {
    dir,
    rsaKey,
    rsaKeyPem,
    rsaPkcs1Key: write('private-key-pkcs1.pem', rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()),
    publicKey: write('public-key.pem', publicKeyPem),
    publicKeyPem,
    certificate,
    certificatePem,
    oneLineCertificatePem: certificatePem.replace(/\n/g, ''),
    encryptedKey: write('encrypted-key.pem', rsa.privateKey.export({
      type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE,
    }).toString()),
    encryptedPkcs1Key: write('encrypted-key-pkcs1.pem', rsa.privateKey.export({
      type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE,
    }).toString()),
    otherKey,
    otherCertificate,
    otherCertificatePem: fs.readFileSync(otherCertificate, 'utf8'),
    smallKey,
    smallCertificate: selfSign(smallKey, 'small-certificate.pem'),
    ecKey,
    ecCertificate: selfSign(ecKey, 'ec-certificate.pem'),
    ed25519Key: write('ed25519-key.pem', crypto.generateKeyPairSync('ed25519').privateKey
      .export({ type: 'pkcs8', format: 'pem' }).toString()),
  };
}

/**
 * Signs with the openssl command line exactly as AWS documents it (the message without a trailing newline).
 */
export function opensslSign(message: string, keyFile: string): string {
  return shell(
    "printf '%s' \"$MESSAGE\" | openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-1 -sign \"$KEY\""
    + " | openssl base64 | tr -- '+=/' '-_~' | tr -d '\\n'",
    { MESSAGE: message, KEY: keyFile },
  );
}

/**
 * Verifies with the openssl command line: undo the encoding, decode, `openssl dgst -verify`. True when openssl
 * prints `Verified OK`.
 */
export function opensslVerify(message: string, signature: string, publicKeyFile: string): boolean {
  try {
    const out = shell(
      "printf '%s' \"$SIGNATURE\" | tr -- '-_~' '+=/' | openssl base64 -d -A > sig.bin"
      + " && printf '%s' \"$MESSAGE\" > msg.txt"
      + ' && openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-1 -verify "$PUBLIC_KEY" -signature sig.bin msg.txt',
      { MESSAGE: message, SIGNATURE: signature, PUBLIC_KEY: publicKeyFile },
    );
    return out.trim() === 'Verified OK';
  } catch {
    // openssl exits 1 with "Verification failure".
    return false;
  }
}

/**
 * Freezes the clock (Date only: promises, timers and child processes run normally) for tests of "today".
 */
export function freezeTime(iso: string): void {
  jest.useFakeTimers({
    now: new Date(iso),
    doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'clearImmediate', 'hrtime', 'performance'],
  });
}
