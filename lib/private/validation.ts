/**
 * Input validation shared by the constructs (at synth time) and the handler (again at deploy time, on the
 * resolved values, before any AWS call). Pure functions: they return findings and never throw, so each caller
 * decides how to report them (an error or a warning annotation at synth; an error at deploy).
 *
 * Messages name the property, the value and what is allowed. The caller prefixes where the value came from
 * (the construct path, or the logical id of the resource).
 */

/** How serious a finding is. */
export type Severity = 'error' | 'warning';

/** One problem with one input value. */
export interface Finding {
  readonly severity: Severity;
  /** The property the value came from, e.g. `asn` or `authorizationContext.message`. */
  readonly property: string;
  readonly message: string;
  /**
   * True for values reserved for documentation (RFC 5398 ASNs, RFC 5737 / RFC 3849 prefixes): a warning at
   * synth time so that examples synthesize, an error at deploy time because AWS cannot use them.
   */
  readonly documentationValue?: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// ASN
// ---------------------------------------------------------------------------------------------------------

/** Highest 4-byte ASN. */
const MAX_ASN = 4294967295;

const PUBLIC_ASN_RANGES = '1-64495 (except 23456) or 131072-4199999999';

interface AsnRange {
  readonly from: number;
  readonly to: number;
  readonly what: string;
  readonly documentation?: boolean;
}

/** Ranges that are not public ASNs (IANA special-purpose AS numbers registry). */
const NON_PUBLIC_ASNS: readonly AsnRange[] = [
  { from: 0, to: 0, what: 'reserved (RFC 7607)' },
  { from: 23456, to: 23456, what: 'AS_TRANS, reserved for 2-byte/4-byte translation (RFC 6793)' },
  { from: 64496, to: 64511, what: 'reserved for documentation (RFC 5398)', documentation: true },
  { from: 64512, to: 65534, what: 'a private ASN (RFC 6996)' },
  { from: 65535, to: 65535, what: 'reserved (RFC 7300)' },
  { from: 65536, to: 65551, what: 'reserved for documentation (RFC 5398)', documentation: true },
  { from: 65552, to: 131071, what: 'reserved by IANA' },
  { from: 4200000000, to: 4294967294, what: 'a private ASN (RFC 6996)' },
  { from: 4294967295, to: 4294967295, what: 'reserved (RFC 7300)' },
];

/**
 * Parses an ASN given as a number or a string (CloudFormation delivers strings). Returns the asplain integer,
 * or a finding that says what is wrong with it.
 */
export function parseAsn(value: unknown, property = 'asn'): { asn?: number; findings: Finding[] } {
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  const error = (message: string) => ({ findings: [{ severity: 'error' as const, property, message }] });
  let asn: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || !Number.isInteger(value)) {
      return error(`${property} must be a whole number in asplain notation; got ${shown}. Allowed: ${PUBLIC_ASN_RANGES}.`);
    }
    asn = value;
  } else if (typeof value === 'string') {
    const asdot = /^(\d+)\.(\d+)$/.exec(value.trim());
    if (asdot) {
      const high = Number(asdot[1]);
      const low = Number(asdot[2]);
      if (high <= 65535 && low <= 65535) {
        return error(`${property} must be in asplain notation; got asdot ${shown}. Use ${high * 65536 + low} instead.`);
      }
    }
    if (!/^\d+$/.test(value)) {
      return error(`${property} must be a whole number in asplain notation; got ${shown}. Allowed: ${PUBLIC_ASN_RANGES}.`);
    }
    if (/^0\d/.test(value)) {
      // AWS reports '64496', and the physical id must match what AWS reports.
      return error(`${property} ${shown} has leading zeros; write it as ${Number(value)}.`);
    }
    asn = Number(value);
  } else {
    return error(`${property} must be a number; got ${shown}. Allowed: ${PUBLIC_ASN_RANGES}.`);
  }
  if (asn < 0) {
    return error(`${property} ${shown} is negative. Allowed: ${PUBLIC_ASN_RANGES}.`);
  }
  if (asn > MAX_ASN) {
    return error(`${property} ${shown} is larger than the largest ASN (${MAX_ASN}). Allowed: ${PUBLIC_ASN_RANGES}.`);
  }
  return { asn, findings: checkAsnRange(asn, property) };
}

/** Checks that an ASN is a public ASN that AWS can bring to IPAM. */
export function checkAsn(value: unknown, property = 'asn'): Finding[] {
  return parseAsn(value, property).findings;
}

function checkAsnRange(asn: number, property: string): Finding[] {
  const range = NON_PUBLIC_ASNS.find((r) => asn >= r.from && asn <= r.to);
  if (!range) {
    return [];
  }
  const span = range.from === range.to ? '' : ` (${range.from}-${range.to})`;
  if (range.documentation) {
    return [{
      severity: 'warning',
      property,
      documentationValue: true,
      message: `${property} ${asn} is ${range.what}${span}: fine for examples, but AWS cannot provision it, and a deployment will refuse it. Use your own public ASN: ${PUBLIC_ASN_RANGES}.`,
    }];
  }
  return [{
    severity: 'error',
    property,
    message: `${property} ${asn} is ${range.what}${span}, not a public ASN. Allowed: ${PUBLIC_ASN_RANGES}.`,
  }];
}

// ---------------------------------------------------------------------------------------------------------
// CIDR
// ---------------------------------------------------------------------------------------------------------

/** A parsed prefix: the address as a bigint, its family and its length. */
export interface Prefix {
  readonly version: 4 | 6;
  readonly address: bigint;
  readonly length: number;
}

interface NamedPrefix {
  readonly cidr: string;
  readonly what: string;
}

const SPECIAL_IPV4: readonly NamedPrefix[] = [
  { cidr: '0.0.0.0/8', what: '"this network" (RFC 791)' },
  { cidr: '10.0.0.0/8', what: 'private (RFC 1918)' },
  { cidr: '100.64.0.0/10', what: 'shared address space (RFC 6598)' },
  { cidr: '127.0.0.0/8', what: 'loopback (RFC 1122)' },
  { cidr: '169.254.0.0/16', what: 'link-local (RFC 3927)' },
  { cidr: '172.16.0.0/12', what: 'private (RFC 1918)' },
  { cidr: '192.168.0.0/16', what: 'private (RFC 1918)' },
  { cidr: '224.0.0.0/4', what: 'multicast (RFC 5771)' },
  { cidr: '240.0.0.0/4', what: 'reserved (RFC 1112)' },
];

const SPECIAL_IPV6: readonly NamedPrefix[] = [
  { cidr: '::/8', what: 'reserved by the IETF (loopback, unspecified, IPv4-mapped)' },
  { cidr: 'fc00::/7', what: 'unique local (RFC 4193)' },
  { cidr: 'fe80::/10', what: 'link-local (RFC 4291)' },
  { cidr: 'ff00::/8', what: 'multicast (RFC 4291)' },
];

const DOCUMENTATION_PREFIXES: readonly NamedPrefix[] = [
  { cidr: '192.0.2.0/24', what: 'TEST-NET-1, reserved for documentation (RFC 5737)' },
  { cidr: '198.51.100.0/24', what: 'TEST-NET-2, reserved for documentation (RFC 5737)' },
  { cidr: '203.0.113.0/24', what: 'TEST-NET-3, reserved for documentation (RFC 5737)' },
  { cidr: '2001:db8::/32', what: 'reserved for documentation (RFC 3849)' },
];

function parseIpv4Address(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) {
    return undefined;
  }
  let value = 0n;
  for (const part of parts) {
    // Canonical octets only: no sign, no leading zeros (which some parsers read as octal).
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) {
      return undefined;
    }
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6Address(text: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:]+$/.test(text) || text.split('::').length > 2) {
    return undefined;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groupCount = headGroups.length + tailGroups.length;
  if (tail === undefined ? groupCount !== 8 : groupCount > 7) {
    return undefined;
  }
  const groups = [...headGroups, ...Array<string>(8 - groupCount).fill('0'), ...tailGroups];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(group)) {
      return undefined;
    }
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return value;
}

function addressBits(version: 4 | 6): number {
  return version === 4 ? 32 : 128;
}

function hostMask(version: 4 | 6, length: number): bigint {
  return (1n << BigInt(addressBits(version) - length)) - 1n;
}

/** Parses `address/length` without requiring canonical form; undefined when it is not a prefix at all. */
export function parsePrefix(cidr: string): Prefix | undefined {
  const match = /^([^/]+)\/(0|[1-9]\d{0,2})$/.exec(cidr);
  if (!match) {
    return undefined;
  }
  const length = Number(match[2]);
  const version = match[1].includes(':') ? 6 : 4;
  const address = version === 4 ? parseIpv4Address(match[1]) : parseIpv6Address(match[1]);
  if (address === undefined || length > addressBits(version)) {
    return undefined;
  }
  return { version, address, length };
}

/** Formats a prefix canonically: dotted decimal, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatPrefix(prefix: Prefix): string {
  if (prefix.version === 4) {
    const octets = [24n, 16n, 8n, 0n].map((shift) => String((prefix.address >> shift) & 255n));
    return `${octets.join('.')}/${prefix.length}`;
  }
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) {
    groups.push(Number((prefix.address >> shift) & 0xffffn));
  }
  // Longest run of at least two zero groups, the first one on a tie (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) {
      j++;
    }
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
  }
  const hex = groups.map((g) => g.toString(16));
  const text = bestStart < 0
    ? hex.join(':')
    : `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
  return `${text}/${prefix.length}`;
}

/** True when two prefixes of the same family share at least one address (one contains the other). */
export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  if (a.version !== b.version) {
    return false;
  }
  const shorter = Math.min(a.length, b.length);
  const mask = ~hostMask(a.version, shorter);
  return (a.address & mask) === (b.address & mask);
}

/** Options of `checkCidr`. */
export interface CidrCheckOptions {
  /** @default 'cidr' */
  readonly property?: string;
  /**
   * Whether the CIDR is to be publicly advertised: IPv6 prefixes may then be at most /48, otherwise /56.
   * @default true
   */
  readonly publiclyAdvertisable?: boolean;
}

/** Checks that a CIDR is a canonical, public prefix of a size that BYOIP accepts. */
export function checkCidr(cidr: unknown, options: CidrCheckOptions = {}): Finding[] {
  const property = options.property ?? 'cidr';
  const error = (message: string): Finding[] => [{ severity: 'error', property, message }];
  if (typeof cidr !== 'string') {
    return error(`${property} must be a string such as '203.0.113.0/24' or '2001:db8:1000::/48'; got ${String(cidr)}.`);
  }
  const prefix = parsePrefix(cidr);
  if (!prefix) {
    return error(`${property} '${cidr}' is not an IPv4 or IPv6 CIDR. Expected a prefix such as '203.0.113.0/24' or '2001:db8:1000::/48'.`);
  }
  const hostBits = prefix.address & hostMask(prefix.version, prefix.length);
  if (hostBits !== 0n) {
    const network = formatPrefix({ ...prefix, address: prefix.address & ~hostMask(prefix.version, prefix.length) });
    return error(`${property} '${cidr}' has host bits set: the network address of this prefix is '${network}'.`);
  }
  const canonical = formatPrefix(prefix);
  if (canonical !== cidr) {
    return error(`${property} '${cidr}' is not in canonical form; write it as '${canonical}' (AWS reports CIDRs in that form, and the physical id must match).`);
  }
  const publiclyAdvertisable = options.publiclyAdvertisable ?? true;
  const maxLength = prefix.version === 4 ? 24 : publiclyAdvertisable ? 48 : 56;
  if (prefix.length > maxLength) {
    const why = prefix.version === 4 ? 'IPv4' : publiclyAdvertisable ? 'publicly advertisable IPv6' : 'IPv6 that is not publicly advertisable';
    return error(`${property} '${cidr}' is a /${prefix.length}; BYOIP accepts ${why} prefixes of /${maxLength} or shorter (lengths 0-${maxLength}).`);
  }
  const special = (prefix.version === 4 ? SPECIAL_IPV4 : SPECIAL_IPV6)
    .find((s) => prefixesOverlap(prefix, parsePrefix(s.cidr)!));
  if (special) {
    return error(`${property} '${cidr}' overlaps ${special.cidr}, which is ${special.what}; only public address space can be brought to AWS.`);
  }
  const documentation = DOCUMENTATION_PREFIXES.find((d) => prefixesOverlap(prefix, parsePrefix(d.cidr)!));
  if (documentation) {
    return [{
      severity: 'warning',
      property,
      documentationValue: true,
      message: `${property} '${cidr}' overlaps ${documentation.cidr}, ${documentation.what}: fine for examples, but AWS cannot provision it, and a deployment will refuse it. Use a prefix that your organisation holds.`,
    }];
  }
  return [];
}

// ---------------------------------------------------------------------------------------------------------
// IPAM id
// ---------------------------------------------------------------------------------------------------------

/** Checks the form of an IPAM id (`ipam-` and 8 or 17 hexadecimal digits). */
export function checkIpamId(ipamId: unknown, property = 'ipamId'): Finding[] {
  if (typeof ipamId === 'string' && /^ipam-([0-9a-f]{8}|[0-9a-f]{17})$/.test(ipamId)) {
    return [];
  }
  return [{
    severity: 'error',
    property,
    message: `${property} '${String(ipamId)}' is not an IPAM id; expected 'ipam-' followed by 17 (or, for old ids, 8) lower-case hexadecimal digits, e.g. 'ipam-0123456789abcdef0' (CfnIPAM.attrIpamId).`,
  }];
}

// ---------------------------------------------------------------------------------------------------------
// Authorization context
// ---------------------------------------------------------------------------------------------------------

/** The fields of an authorization message `1|aws|ACCOUNT|RESOURCE|YYYYMMDD|SHA256|RSAPSS`. */
export interface ParsedAuthorizationMessage {
  readonly account: string;
  /** The ASN (asplain) or CIDR that the message authorizes. */
  readonly resource: string;
  /** The expiry date as written: `YYYYMMDD`. */
  readonly expiry: string;
}

const MESSAGE_FORMAT = '1|aws|ACCOUNT|RESOURCE|YYYYMMDD|SHA256|RSAPSS';

/** Parses an authorization message; undefined when it does not have the exact documented format. */
export function parseAuthorizationMessage(message: string): ParsedAuthorizationMessage | undefined {
  const match = /^1\|aws\|(\d{12})\|([^|\s]+)\|(\d{8})\|SHA256\|RSAPSS$/.exec(message);
  if (!match || !expiryDate(match[3])) {
    return undefined;
  }
  return { account: match[1], resource: match[2], expiry: match[3] };
}

/** The UTC midnight that starts a `YYYYMMDD` day, or undefined when it is not a calendar date. */
export function expiryDate(yyyymmdd: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(yyyymmdd);
  if (!match) {
    return undefined;
  }
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  return date;
}

/** What an authorization context must match. */
export interface AuthorizationExpectations {
  /** The resource the message must name: the ASN (asplain, as a string) or the CIDR. */
  readonly resource: string;
  /** Whether the resource is an ASN or a CIDR (for the wording of messages). */
  readonly kind: 'asn' | 'cidr';
  /** The AWS account the message must name, when known. */
  readonly account?: string;
  /** The current time. @default new Date() */
  readonly now?: Date;
  /** @default 'authorizationContext' */
  readonly property?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const EXPIRY_WARNING_DAYS = 7;

/** Checks the message's format, resource, account and expiry, and the signature's character set. */
export function checkAuthorizationContext(
  message: unknown,
  signature: unknown,
  expected: AuthorizationExpectations,
): Finding[] {
  const base = expected.property ?? 'authorizationContext';
  const messageProperty = `${base}.message`;
  const signatureProperty = `${base}.signature`;
  const findings: Finding[] = [];
  const what = expected.kind === 'asn' ? 'ASN' : 'CIDR';

  const parsed = typeof message === 'string' ? parseAuthorizationMessage(message) : undefined;
  if (!parsed) {
    findings.push({
      severity: 'error',
      property: messageProperty,
      message: `${messageProperty} '${String(message)}' does not have the format '${MESSAGE_FORMAT}' (12-digit account, the ${what}, a valid expiry date).`,
    });
  } else {
    if (parsed.resource !== expected.resource) {
      findings.push({
        severity: 'error',
        property: messageProperty,
        message: `${messageProperty} authorizes ${what} '${parsed.resource}', but this resource's ${what} is '${expected.resource}'. Sign a message for '${expected.resource}'.`,
      });
    }
    if (expected.account !== undefined && parsed.account !== expected.account) {
      findings.push({
        severity: 'error',
        property: messageProperty,
        message: `${messageProperty} names account ${parsed.account}, but the stack deploys to account ${expected.account}. Sign a message for account ${expected.account}.`,
      });
    }
    const now = expected.now ?? new Date();
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const expiry = expiryDate(parsed.expiry)!.getTime();
    if (expiry < today) {
      findings.push({
        severity: 'error',
        property: messageProperty,
        message: `${messageProperty} expired on ${parsed.expiry}; the expiry date must be today or later. Sign a new message with a later date.`,
      });
    } else if (expiry - today < EXPIRY_WARNING_DAYS * DAY_MS) {
      findings.push({
        severity: 'warning',
        property: messageProperty,
        message: `${messageProperty} expires on ${parsed.expiry}, within ${EXPIRY_WARNING_DAYS} days; a deployment after that date will be refused.`,
      });
    }
  }

  if (typeof signature !== 'string' || !/^[A-Za-z0-9~_-]+$/.test(signature)) {
    findings.push({
      severity: 'error',
      property: signatureProperty,
      message: `${signatureProperty} must be a non-empty string of the characters A-Z a-z 0-9 - _ ~ (base64 with '+=/' replaced by '-_~' and no newlines); got ${describeSignature(signature)}.`,
    });
  } else if (!/^[A-Za-z0-9~-]+_{0,2}$/.test(signature)) {
    findings.push({
      severity: 'error',
      property: signatureProperty,
      message: `${signatureProperty} has '_' (encoded base64 padding) before its end; padding may only be the last one or two characters. The signature was probably mangled when copied.`,
    });
  } else if (signature.length % 4 !== 0) {
    findings.push({
      severity: 'error',
      property: signatureProperty,
      message: `${signatureProperty} has ${signature.length} characters; an encoded signature has a multiple of 4 (344 for a 2048-bit key). It looks truncated.`,
    });
  }
  return findings;
}

/** Describes a bad signature without echoing it whole (it belongs in no log). */
function describeSignature(signature: unknown): string {
  if (typeof signature !== 'string') {
    return String(signature);
  }
  if (signature === '') {
    return 'an empty string';
  }
  const bad = [...new Set(signature.replace(/[A-Za-z0-9~_-]/g, ''))].map((c) => JSON.stringify(c)).join(', ');
  return `${signature.length} characters including ${bad}`;
}

/** Joins the messages of error findings into one text; undefined when there are none. */
export function formatErrors(findings: readonly Finding[], prefix: string): string | undefined {
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length === 0) {
    return undefined;
  }
  return errors.map((f) => `${prefix}: ${f.message}`).join('\n');
}
