/**
 * RDAP, as far as the doctor needs it: find the registry that holds an ASN or a prefix through IANA's bootstrap
 * files (RFC 9224), fetch its record (RFC 9082 queries), and read what a record holds (RFC 9083 responses):
 * its handle, its registry, the text of its remarks.
 *
 * What each registry puts where (see the README, "Prepare your ASN"): ARIN shows an ASN's or a network's
 * Public Comments as a remark titled "Registration Comments"; the RIPE NCC shows the `descr:` attributes as
 * one untitled remark (and not the `remarks:` attributes); APNIC shows `descr:` and `remarks:` as remarks
 * titled "description" and "remarks"; AFRINIC titles its remarks "Remark"; LACNIC has no documented place.
 */
import { parsePrefix, Prefix } from '../../private/validation';
import { getJson, ServiceLog } from './http';

export const IANA_BOOTSTRAP_URL = 'https://data.iana.org/rdap/';

const RDAP_ACCEPT = 'application/rdap+json, application/json;q=0.9';

/** An ASN or a CIDR whose record is looked up. */
export type RdapResource =
  | { readonly kind: 'asn'; readonly asn: number }
  | { readonly kind: 'cidr'; readonly cidr: string; readonly prefix: Prefix };

/** Where a resource's record lives, or why that is not known. */
export type RdapServiceLookup =
  | { readonly ok: true; readonly baseUrl: string }
  | { readonly ok: false; readonly reason: string; readonly fix: string };

// ---------------------------------------------------------------------------------------------------------
// Bootstrap (RFC 9224)
// ---------------------------------------------------------------------------------------------------------

/** The bootstrap files of one run, each fetched at most once. */
export class Bootstrap {
  private readonly files = new Map<string, Promise<BootstrapFile>>();

  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly services: ServiceLog,
  ) {
  }

  /** The RDAP base URL that IANA's bootstrap names for a resource. */
  public async serviceFor(resource: RdapResource): Promise<RdapServiceLookup> {
    const name = resource.kind === 'asn' ? 'asn.json' : resource.prefix.version === 4 ? 'ipv4.json' : 'ipv6.json';
    const url = new URL(name, withSlash(this.baseUrl)).toString();
    let file = this.files.get(name);
    if (!file) {
      this.services.add(withSlash(this.baseUrl), 'IANA RDAP bootstrap');
      file = readBootstrap(url, this.timeoutMs, this.services);
      this.files.set(name, file);
    }
    const read = await file;
    if ('reason' in read) {
      return {
        ok: false,
        reason: `could not read IANA's RDAP bootstrap ${url}: ${read.reason}`,
        fix: 'Check your network and run doctor again, or give --rdap-url with your registry\'s RDAP base URL, or check a saved record with --rdap-file.',
      };
    }
    const base = resource.kind === 'asn' ? serviceForAsn(read.services, resource.asn) : serviceForPrefix(read.services, resource.prefix);
    if (base === undefined) {
      const what = resource.kind === 'asn' ? `AS${resource.asn}` : resource.cidr;
      return {
        ok: false,
        reason: `IANA's RDAP bootstrap (${name}) names no registry for ${what}`,
        fix: `${what} is not allocated to any registry (a documentation, private or unallocated value?). Check the value; AWS will not find a record either.`,
      };
    }
    return { ok: true, baseUrl: base };
  }
}

type BootstrapServices = ReadonlyArray<readonly [readonly string[], readonly string[]]>;

type BootstrapFile = { readonly services: BootstrapServices } | { readonly reason: string };

async function readBootstrap(url: string, timeoutMs: number, log: ServiceLog): Promise<BootstrapFile> {
  const answer = await getJson(url, { timeoutMs, services: log });
  if (!answer.ok) {
    return { reason: answer.reason };
  }
  const services = (answer.body as { services?: unknown }).services;
  const valid = Array.isArray(services) && services.every((s) => Array.isArray(s) && s.length >= 2
    && Array.isArray(s[0]) && Array.isArray(s[1]) && [...s[0], ...s[1]].every((v) => typeof v === 'string'));
  return valid ? { services: services as BootstrapServices } : { reason: 'it is not an RFC 9224 bootstrap file (no "services" list)' };
}

function serviceForAsn(services: BootstrapServices, asn: number): string | undefined {
  for (const [ranges, urls] of services) {
    for (const range of ranges) {
      const [from, to] = range.split('-').map(Number);
      if (asn >= from && asn <= (to ?? from)) {
        return preferredUrl(urls);
      }
    }
  }
  return undefined;
}

/** The longest bootstrap prefix that contains the resource (RFC 9224 §5.1). */
function serviceForPrefix(services: BootstrapServices, prefix: Prefix): string | undefined {
  let best: { length: number; url: string } | undefined;
  for (const [entries, urls] of services) {
    for (const entry of entries) {
      const candidate = parsePrefix(entry.toLowerCase());
      if (candidate && contains(candidate, prefix) && (best === undefined || candidate.length > best.length)) {
        const url = preferredUrl(urls);
        if (url !== undefined) {
          best = { length: candidate.length, url };
        }
      }
    }
  }
  return best?.url;
}

function preferredUrl(urls: readonly string[]): string | undefined {
  const url = urls.find((u) => u.startsWith('https://')) ?? urls[0];
  return url === undefined ? undefined : withSlash(url);
}

// ---------------------------------------------------------------------------------------------------------
// Records (RFC 9082 queries, RFC 9083 responses)
// ---------------------------------------------------------------------------------------------------------

/** The URL of a resource's record at an RDAP base URL: `autnum/64496`, `ip/203.0.113.0/24`. */
export function recordUrl(baseUrl: string, resource: RdapResource): string {
  const path = resource.kind === 'asn' ? `autnum/${resource.asn}` : `ip/${resource.cidr}`;
  return new URL(path, withSlash(baseUrl)).toString();
}

/** A fetched record, or why there is none. */
export type RecordFetch =
  | { readonly ok: true; readonly record: RdapRecord }
  | { readonly ok: false; readonly notFound: boolean; readonly reason: string };

/** Fetches a record; a 404 is "not found" (the registry has no such record), anything else "not reached". */
export async function fetchRecord(url: string, timeoutMs: number, services: ServiceLog): Promise<RecordFetch> {
  const answer = await getJson(url, { timeoutMs, accept: RDAP_ACCEPT, services });
  if (!answer.ok) {
    return { ok: false, notFound: answer.status === 404, reason: answer.reason };
  }
  if (!isRecord(answer.body)) {
    return { ok: false, notFound: false, reason: 'its answer is not an RDAP record' };
  }
  return { ok: true, record: answer.body };
}

/** The parts of an RFC 9083 object that the doctor reads; registries add more. */
export interface RdapRecord {
  readonly objectClassName?: string;
  readonly handle?: string;
  readonly name?: string;
  readonly startAutnum?: number;
  readonly endAutnum?: number;
  readonly startAddress?: string;
  readonly endAddress?: string;
  readonly port43?: string;
  readonly remarks?: readonly RdapRemark[];
  readonly entities?: readonly RdapRecord[];
  readonly links?: ReadonlyArray<{ readonly href?: string; readonly rel?: string }>;
  readonly errorCode?: number;
}

/** RFC 9083 §4.3: a remark is an optional title and lines of description. */
export interface RdapRemark {
  readonly title?: string;
  readonly description?: readonly string[];
}

export function isRecord(value: unknown): value is RdapRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as RdapRecord).errorCode === undefined;
}

/** Whether a (saved) record is the record of a resource: the autnum or the network that contains it. */
export function recordCovers(record: RdapRecord, resource: RdapResource): boolean {
  if (resource.kind === 'asn') {
    const start = Number(record.startAutnum);
    const end = Number(record.endAutnum ?? record.startAutnum);
    if (Number.isFinite(start)) {
      return resource.asn >= start && resource.asn <= end;
    }
    return record.handle?.toUpperCase() === `AS${resource.asn}`;
  }
  const start = record.startAddress === undefined ? undefined : parseAddress(record.startAddress);
  const end = record.endAddress === undefined ? undefined : parseAddress(record.endAddress);
  if (!start || !end || start.version !== resource.prefix.version || end.version !== start.version) {
    return false;
  }
  const bits = resource.prefix.version === 4 ? 32 : 128;
  const first = resource.prefix.address;
  const last = first + (1n << BigInt(bits - resource.prefix.length)) - 1n;
  return start.address <= first && last <= end.address;
}

/**
 * Reads an address as registries write it: `203.0.113.0`, `074.125.000.000` (old ARIN), `2001:DB8::`,
 * `2a00:2381:ffff::/128` (old RIPE, with a length).
 */
function parseAddress(text: string): Prefix | undefined {
  const bare = text.trim().replace(/\/\d+$/, '').toLowerCase();
  const normalized = bare.includes(':') ? bare : bare.split('.').map((octet) => String(Number(octet))).join('.');
  return parsePrefix(`${normalized}/${normalized.includes(':') ? 128 : 32}`);
}

/** The registries, as their RDAP records reveal them (port43, or the host of the URL asked). */
export type Registry = 'ARIN' | 'RIPE NCC' | 'APNIC' | 'LACNIC' | 'AFRINIC';

const REGISTRY_HOSTS: ReadonlyArray<readonly [string, Registry]> = [
  ['arin.net', 'ARIN'],
  ['ripe.net', 'RIPE NCC'],
  ['apnic.net', 'APNIC'],
  ['lacnic.net', 'LACNIC'],
  ['afrinic.net', 'AFRINIC'],
];

/** Which registry a record comes from, when it can tell. */
export function registryOf(record: RdapRecord, url?: string): Registry | undefined {
  const hosts = [record.port43, ...(record.links ?? []).map((l) => hostOf(l.href)), hostOf(url)];
  for (const host of hosts) {
    const match = host === undefined ? undefined : REGISTRY_HOSTS.find(([suffix]) => host.toLowerCase().endsWith(suffix));
    if (match) {
      return match[1];
    }
  }
  return undefined;
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) {
    return undefined;
  }
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/**
 * The texts to search for a certificate: each remark's lines joined, and all remarks joined (a certificate
 * can span remarks when a registry makes one remark per line).
 */
export function remarkTexts(remarks: readonly RdapRemark[] | undefined): string[] {
  const each = (remarks ?? []).map((r) => (Array.isArray(r.description) ? r.description.filter((l) => typeof l === 'string').join('\n') : ''));
  return each.length > 1 ? [...each, each.join('\n')] : each;
}

/** How the output names a record: `ARIN record AS64496`, `RIPE NCC record 192.0.2.0 - 192.0.2.255`. */
export function describeRecord(record: RdapRecord, registry: Registry | undefined, resource: RdapResource): string {
  const handle = record.handle ?? (resource.kind === 'asn' ? `AS${resource.asn}` : resource.cidr);
  return `${registry ? `${registry} ` : ''}record ${handle}`;
}

/** Where the user pastes the certificate, in the registry's own words. */
export function whereToPaste(registry: Registry | undefined, resource: RdapResource, handle: string): string {
  const object = resource.kind === 'asn' ? 'aut-num' : resource.prefix.version === 4 ? 'inetnum' : 'inet6num';
  switch (registry) {
    case 'ARIN':
      return `the Public Comments of ${handle} (ARIN Online)`;
    case 'RIPE NCC':
      return `a descr: line of the ${object} ${handle} (RIPE's RDAP shows descr:, not remarks:)`;
    case 'APNIC':
      return `a remarks: line of the ${object} ${handle}`;
    case 'AFRINIC':
    case 'LACNIC':
      return `the remarks of ${handle} (AWS documents the certificate for ARIN, RIPE NCC and APNIC records only: ask AWS support first)`;
    default:
      return `the remarks (comments) of ${handle}`;
  }
}

function contains(outer: Prefix, inner: Prefix): boolean {
  if (outer.version !== inner.version || outer.length > inner.length) {
    return false;
  }
  const bits = outer.version === 4 ? 32 : 128;
  const shift = BigInt(bits - outer.length);
  return (outer.address >> shift) === (inner.address >> shift);
}

export function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
