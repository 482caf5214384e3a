/**
 * Finds X.509 certificates in the free text of an RDAP record's remarks.
 *
 * Registries split and reflow what users paste: ARIN wraps long comment lines, RIPE gives each `descr:`
 * attribute its own line, APNIC collapses runs of spaces, and some records have one remark per line. Users
 * paste the certificate as one line, wrapped at 64 characters, with or without its BEGIN/END lines, and
 * sometimes with other text around it. So the search ignores all whitespace, and reads a certificate by its
 * DER length rather than by where its text seems to end.
 */
import { X509Certificate } from 'node:crypto';

/** What a search found: the certificates that could be read, and how many certificate-like texts could not. */
export interface CertificateSearch {
  readonly certificates: X509Certificate[];
  /** Certificate-like texts (a BEGIN line, or a long `MII...` base64 run) that are not a readable certificate. */
  readonly unreadable: number;
}

const MARKED = /-----BEGINCERTIFICATE-----([A-Za-z0-9+/=]*)(?:-----ENDCERTIFICATE-----)?/g;
/** A DER SEQUENCE with a two-byte length starts with `MII` in base64; 300+ characters is certificate-sized. */
const BARE = /MII[A-Za-z0-9+/]{300,}={0,2}/g;

/**
 * Searches each text for certificates. Give each remark's lines joined as one text, and all remarks joined
 * as another, so that a certificate split over several remarks is found too. Duplicates count once.
 */
export function findCertificates(texts: readonly string[]): CertificateSearch {
  const found = new Map<string, X509Certificate>();
  const unreadable = new Set<string>();
  for (const text of texts) {
    const compact = text.replace(/\s+/g, '');
    const rest = compact.replace(MARKED, (_block, body: string) => {
      record(body, found, unreadable);
      return ' ';
    });
    for (const match of rest.matchAll(BARE)) {
      record(match[0], found, unreadable);
    }
  }
  // A text that was unreadable in one joining but read in another (e.g. split over two remarks) was found.
  const foundBodies = [...found.values()].map((c) => c.raw.toString('base64'));
  const stillUnreadable = [...unreadable].filter((body) => !foundBodies.some((f) => f.startsWith(body) || body.startsWith(f)));
  return { certificates: [...found.values()], unreadable: stillUnreadable.length };
}

function record(base64: string, found: Map<string, X509Certificate>, unreadable: Set<string>): void {
  const certificate = certificateFromBase64(base64);
  if (certificate) {
    found.set(certificate.fingerprint256, certificate);
  } else if (base64.length > 0) {
    unreadable.add(base64);
  }
}

/**
 * Reads a DER certificate from the start of a base64 text that may be followed by other base64-looking
 * characters (text glued to it once whitespace is removed): the DER header says how many bytes belong to it.
 */
export function certificateFromBase64(base64: string): X509Certificate | undefined {
  const usable = base64.replace(/=+.*$/s, '');
  const bytes = Buffer.from(usable.slice(0, usable.length - (usable.length % 4)) + tail(usable), 'base64');
  const length = derLength(bytes);
  if (length === undefined || bytes.length < length) {
    return undefined;
  }
  try {
    return new X509Certificate(bytes.subarray(0, length));
  } catch {
    return undefined;
  }
}

/** The last, incomplete group of base64 characters, padded so that its whole bytes decode too. */
function tail(base64: string): string {
  const rest = base64.length % 4;
  return rest < 2 ? '' : base64.slice(base64.length - rest) + '='.repeat(4 - rest);
}

/** The total length of the DER SEQUENCE at the start of `bytes`, or undefined when there is none. */
function derLength(bytes: Buffer): number | undefined {
  if (bytes.length < 2 || bytes[0] !== 0x30) {
    return undefined;
  }
  const first = bytes[1];
  if (first < 0x80) {
    return 2 + first;
  }
  const count = first & 0x7f;
  if (count === 0 || count > 4 || bytes.length < 2 + count) {
    return undefined;
  }
  let length = 0;
  for (let i = 0; i < count; i++) {
    length = length * 256 + bytes[2 + i];
  }
  return 2 + count + length;
}
