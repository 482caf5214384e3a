/**
 * The checks that need no network: the certificate itself, and each authorization message and signature.
 */
import { X509Certificate } from 'node:crypto';
import { parseAuthorizationMessage } from '../../private/validation';
import { DoctorCheck, DoctorCheckStatus } from '../doctor-check';
import { AuthorizationKeyError, checkSignature, readVerificationKey, VerificationKey } from './signing';

const MIN_RSA_BITS = 2048;
const DAY_MS = 24 * 60 * 60 * 1000;
const EXPIRY_WARNING_DAYS = 7;

const CERTIFICATE = 'Certificate';

/** The certificate's checks, and its key for the checks that follow (undefined when it cannot be read). */
export interface CertificateChecks {
  readonly checks: DoctorCheck[];
  readonly key?: VerificationKey;
}

/**
 * The certificate parses, holds an RSA key of 2048 bits or more, and is valid today; a warning when it
 * expires before the last message does.
 */
export function checkCertificate(pem: string, name: string, messageExpiries: readonly string[], now: Date): CertificateChecks {
  let key: VerificationKey;
  try {
    key = readVerificationKey(pem);
  } catch (e) {
    const problem = e instanceof AuthorizationKeyError ? e.problem : 'unreadable';
    const fix = problem === 'not-rsa'
      ? 'Make an RSA key of 2048 bits and a certificate for it (docs/prepare-your-asn.md, step 1), publish that certificate, and sign with its key.'
      : `Give the certificate that is in your RIR record, in PEM ('-----BEGIN CERTIFICATE-----'), as made by 'openssl req -new -x509'.`;
    return { checks: [fail(CERTIFICATE, `${name}: ${(e as Error).message}`, fix)] };
  }
  const checks: DoctorCheck[] = [];
  const bits = key.key.asymmetricKeyDetails?.modulusLength ?? 0;
  const kind = key.certificate ? 'an X.509 certificate' : 'a public key, not a certificate';
  if (!key.certificate) {
    checks.push(fail(CERTIFICATE, `${name} is ${kind}`,
      'Give the X.509 certificate that is in your RIR record: doctor compares it with the record and checks its dates.'));
  } else if (bits < MIN_RSA_BITS) {
    checks.push(fail(CERTIFICATE, `${name} holds an RSA key of ${bits} bits; AWS requires 2048 or more`,
      "Make a 2048-bit key ('openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048') and a certificate for it, publish it, and sign again."));
  } else {
    checks.push(pass(CERTIFICATE, `${name} is ${kind} with an RSA ${bits}-bit key`));
  }
  if (key.certificate) {
    checks.push(checkValidity(key.certificate, messageExpiries, now));
  }
  return { checks, key };
}

function checkValidity(certificate: X509Certificate, messageExpiries: readonly string[], now: Date): DoctorCheck {
  const from = new Date(certificate.validFrom);
  const to = new Date(certificate.validTo);
  const renew = "Make a new certificate for the same key ('openssl req -new -x509 -key private-key.pem -days 365 ...') and publish it in place of the old one.";
  if (now.getTime() < from.getTime()) {
    return fail(CERTIFICATE, `not valid before ${day(from)} (check your clock, or the certificate's start date)`, renew);
  }
  if (now.getTime() > to.getTime()) {
    return fail(CERTIFICATE, `expired on ${day(to)}: AWS refuses an expired certificate`, renew);
  }
  const last = [...messageExpiries].sort().pop();
  if (last !== undefined && day(to).replace(/-/g, '') < last) {
    return {
      section: CERTIFICATE,
      status: DoctorCheckStatus.WARNED,
      summary: `valid until ${day(to)}, before the message expires (${dashed(last)})`,
      fix: `A deployment after ${day(to)} would be refused even though the message is still valid. ${renew}`,
    };
  }
  return pass(CERTIFICATE, `valid today, until ${day(to)}`);
}

/** What a message must name: the ASN, the CIDRs checked, and the account when given. */
export interface MessageExpectations {
  readonly asn: number;
  readonly cidrs: readonly string[];
  readonly account?: string;
  readonly certificateName: string;
  readonly now: Date;
}

/**
 * The format, resource, account and expiry of one message, and its signature checked with the certificate's
 * key. The command that signs a new message is given once, under the message's last problem.
 */
export function checkMessage(message: string, signature: string, index: number, key: VerificationKey | undefined, expected: MessageExpectations): DoctorCheck[] {
  const parsed = parseAuthorizationMessage(message);
  const resources = [String(expected.asn), ...expected.cidrs];
  const section = parsed ? `Message for ${parsed.resource === String(expected.asn) ? `AS${parsed.resource}` : parsed.resource}` : `Message ${index + 1}`;
  const checks: DoctorCheck[] = [];
  if (!parsed) {
    checks.push(fail(section, `'${shorten(message)}' is not '1|aws|ACCOUNT|ASN-or-CIDR|YYYYMMDD|SHA256|RSAPSS'`, 'AWS refuses any other format.'));
  } else {
    if (resources.includes(parsed.resource)) {
      checks.push(pass(section, `format ${message}`));
    } else {
      checks.push(fail(section, `authorizes ${parsed.resource.includes('/') ? 'CIDR' : 'ASN'} ${parsed.resource}, which is none of ${resources.map((r) => (r.includes('/') ? r : `AS${r}`)).join(', ')}`,
        'A message authorizes only the ASN or CIDR it names.'));
    }
    if (expected.account === undefined) {
      checks.push({ section, status: DoctorCheckStatus.NOT_CHECKED, summary: `account ${parsed.account}: not compared`, fix: 'Give --account with the account you deploy to.' });
    } else if (parsed.account !== expected.account) {
      checks.push(fail(section, `names account ${parsed.account}, but you deploy to ${expected.account}`, 'AWS accepts a message only in the account it names.'));
    } else {
      checks.push(pass(section, `account ${parsed.account}`));
    }
    checks.push(checkExpiry(section, parsed.expiry, expected.now));
  }
  checks.push(checkSignatureWith(section, message, signature, key, expected.certificateName));

  const last = checks.map((c) => c.status).lastIndexOf(DoctorCheckStatus.FAILED);
  const lastProblem = last >= 0 ? last : checks.map((c) => c.status).lastIndexOf(DoctorCheckStatus.WARNED);
  if (lastProblem >= 0) {
    const resource = parsed && resources.includes(parsed.resource) ? parsed.resource : String(expected.asn);
    const command = `cdk-ipam-byoasn sign --account ${expected.account ?? parsed?.account ?? 'ACCOUNT'} `
      + `${resource.includes('/') ? '--cidr' : '--asn'} ${resource} --expires YYYY-MM-DD --key private-key.pem --cert ${expected.certificateName}`;
    const problem = checks[lastProblem];
    checks[lastProblem] = { ...problem, fix: `${problem.fix} Sign a new message: ${command}` };
  }
  return checks;
}

function checkExpiry(section: string, expiry: string, now: Date): DoctorCheck {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const end = Date.UTC(Number(expiry.slice(0, 4)), Number(expiry.slice(4, 6)) - 1, Number(expiry.slice(6, 8)));
  if (end < today) {
    return fail(section, `expired on ${dashed(expiry)}`, 'AWS refuses an expired message: pick a date after your deployments.');
  }
  if (end - today < EXPIRY_WARNING_DAYS * DAY_MS) {
    return {
      section,
      status: DoctorCheckStatus.WARNED,
      summary: `expires on ${dashed(expiry)}, within ${EXPIRY_WARNING_DAYS} days`,
      fix: 'A deployment after that day will be refused.',
    };
  }
  return pass(section, `expires on ${dashed(expiry)}`);
}

function checkSignatureWith(section: string, message: string, signature: string, key: VerificationKey | undefined, certificateName: string): DoctorCheck {
  if (key === undefined) {
    return { section, status: DoctorCheckStatus.NOT_CHECKED, summary: 'signature: not verified', fix: `${certificateName} could not be read (see above).` };
  }
  const check = checkSignature(message, signature, key);
  if (check.valid) {
    return pass(section, `signature verified with ${certificateName}`);
  }
  return fail(section, `signature does not verify with ${certificateName}`, `${check.reason}`);
}

export function pass(section: string, summary: string, service?: string): DoctorCheck {
  return { section, status: DoctorCheckStatus.PASSED, summary, service };
}

export function fail(section: string, summary: string, fix: string, service?: string): DoctorCheck {
  return { section, status: DoctorCheckStatus.FAILED, summary, fix, service };
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function dashed(yyyymmdd: string): string {
  return `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
}

function shorten(text: string): string {
  return text.length > 70 ? `${text.slice(0, 67)}...` : text;
}
