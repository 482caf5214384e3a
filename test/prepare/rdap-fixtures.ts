/**
 * RDAP records and bootstrap files as each registry presents them, written for these tests (documentation
 * ASNs and prefixes, generated certificates). What is confirmed from public material and what is inferred is
 * listed in the README ("Prepare your ASN", "Which registry formats doctor knows"); in short:
 *
 * - RFC 9083: object classes `autnum` / `ip network`, `remarks` as `{title?, description: [lines]}`.
 * - ARIN: Public Comments as a remark titled "Registration Comments", one element per comment line; handles
 *   `AS64496`, `NET-203-0-113-0-1`; `port43` whois.arin.net; `cidr0_cidrs`.
 * - RIPE NCC: all `descr:` attributes as one untitled remark (its `remarks:` attributes are not shown); handles
 *   `AS64497`, `192.0.2.0 - 192.0.2.255`; `port43` whois.ripe.net.
 * - APNIC: `descr:` and `remarks:` as remarks titled "description" and "remarks", runs of spaces collapsed.
 * - AFRINIC: remarks titled "Remark"; one remark per `remarks:` line (inferred).
 * - LACNIC: no remark seen in public samples; a generic RFC 9083 remark (inferred).
 */

export type Rir = 'arin' | 'ripe' | 'apnic' | 'lacnic' | 'afrinic' | 'rfc9083';

/** The documentation ASN each registry holds in these fixtures. */
export const ASN_OF: Record<Rir, number> = { arin: 64496, ripe: 64497, apnic: 64498, lacnic: 64499, afrinic: 64500, rfc9083: 64501 };

/** The documentation prefixes, the registry that holds each, and the record that covers it. */
export const NETWORKS = {
  '203.0.113.0/24': { rir: 'arin', start: '203.0.113.0', end: '203.0.113.255', v: 'v4' },
  '192.0.2.0/24': { rir: 'ripe', start: '192.0.2.0', end: '192.0.2.255', v: 'v4' },
  '198.51.100.0/24': { rir: 'apnic', start: '198.51.100.0', end: '198.51.100.255', v: 'v4' },
  // The registry answers with the covering allocation, not the /48 itself.
  '2001:db8:1000::/48': { rir: 'arin', start: '2001:db8::', end: '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', v: 'v6' },
} as const;

export type Cidr = keyof typeof NETWORKS;

/** How a user's paste of the certificate ends up in the record's lines. */
export type Paste =
  /** One line, markers included: what the guide says to paste. */
  | 'one-line'
  /** The PEM file as it is: BEGIN line, 64-character lines, END line. */
  | 'wrapped'
  /** The base64 body only, without BEGIN/END lines, wrapped at 64. */
  | 'bare'
  /** The one-line form cut every 37 characters, markers split mid-word (a registry that wraps long lines). */
  | 'chopped';

export function certificateLines(pem: string, paste: Paste): string[] {
  const lines = pem.trim().split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const oneLine = lines.join('');
  switch (paste) {
    case 'one-line': return [oneLine];
    case 'wrapped': return lines;
    case 'bare': return lines.filter((l) => !l.startsWith('-----'));
    case 'chopped': return oneLine.match(/.{1,37}/g) ?? [];
  }
}

interface Remark {
  title?: string;
  description: string[];
}

/** The registry's remarks holding `lines` (the record's comment lines, certificate included). */
function remarks(rir: Rir, lines: string[]): Remark[] {
  switch (rir) {
    case 'arin':
      return lines.length ? [{ title: 'Registration Comments', description: lines }] : [];
    case 'ripe':
      // One remark: every descr: attribute, in order.
      return [{ description: ['Example network operator', ...lines] }];
    case 'apnic':
      return [
        { title: 'description', description: ['Example  network   operator'.replace(/( )+/g, '$1')] },
        ...(lines.length ? [{ title: 'remarks', description: lines.map((l) => l.replace(/( )+/g, '$1')) }] : []),
      ];
    case 'afrinic':
      return lines.map((line) => ({ title: 'Remark', description: [line] }));
    case 'lacnic':
      return lines.length ? [{ title: 'remarks', description: lines }] : [];
    case 'rfc9083':
      return [{ description: ['Example autonomous system, test record.', ...lines] }];
  }
}

function common(rir: Rir, base: string, path: string): Record<string, unknown> {
  const self = `${base}${path}`;
  const byRir: Record<Rir, Record<string, unknown>> = {
    arin: {
      rdapConformance: ['nro_rdap_profile_0', 'rdap_level_0', 'nro_rdap_profile_asn_flat_0'],
      notices: [{ title: 'Terms of Service', description: ['Test fixture: use of this service is subject to terms.'] }],
      port43: 'whois.arin.net',
      links: [{ value: self, rel: 'self', href: self, type: 'application/rdap+json' }],
    },
    ripe: {
      rdapConformance: ['nro_rdap_profile_asn_flat_0', 'cidr0', 'rdap_level_0', 'nro_rdap_profile_0'],
      notices: [{ title: 'Terms and Conditions', description: ['Test fixture of a RIPE Database object in RDAP format.'] }],
      port43: 'whois.ripe.net',
      links: [{ value: self, rel: 'self', href: self }, { value: 'https://example.org/terms', rel: 'copyright', href: 'https://example.org/terms' }],
    },
    apnic: {
      rdapConformance: ['rdap_level_0', 'nro_rdap_profile_0', 'cidr0'],
      notices: [{ title: 'Source', description: ['Objects returned came from source', 'APNIC'] }],
      port43: 'whois.apnic.net',
      links: [{ value: self, rel: 'self', href: self, type: 'application/rdap+json' }],
    },
    lacnic: {
      rdapConformance: ['rdap_level_0'],
      notices: [{ title: 'Terms and Conditions', description: ['Test fixture of a LACNIC object in RDAP format.'] }],
      port43: 'whois.lacnic.net',
      lang: 'en',
      links: [{ value: self, rel: 'self', href: self }],
    },
    afrinic: {
      rdapConformance: ['rdap_level_0'],
      notices: [{ title: 'ABOUT', description: ['Test fixture of an AFRINIC RDAP server.'] }],
      port43: 'whois.afrinic.net',
      lang: 'en',
      status: ['active'],
      links: [{ value: self, rel: 'self', href: self, type: 'application/rdap+json' }],
    },
    rfc9083: {
      rdapConformance: ['rdap_level_0'],
      links: [{ value: self, rel: 'self', href: self, type: 'application/rdap+json' }],
    },
  };
  return {
    events: [{ eventAction: 'registration', eventDate: '2020-01-02T03:04:05Z' }, { eventAction: 'last changed', eventDate: '2025-01-02T03:04:05Z' }],
    entities: [{
      objectClassName: 'entity',
      handle: `EXAMPLE-${rir.toUpperCase()}`,
      roles: ['registrant'],
      vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'Example Corp'], ['kind', {}, 'text', 'org']]],
    }],
    ...byRir[rir],
  };
}

/** The autnum record of `asn` at `rir`, with `lines` as its comment lines (certificate included or not). */
export function autnumRecord(rir: Rir, base: string, lines: string[], asn = ASN_OF[rir]): Record<string, unknown> {
  return {
    objectClassName: 'autnum',
    handle: rir === 'rfc9083' ? 'XXXX-RIR' : `AS${asn}`,
    startAutnum: asn,
    endAutnum: asn,
    name: `EXAMPLE-AS-${rir.toUpperCase()}`,
    ...(rir === 'rfc9083' ? { type: 'DIRECT ALLOCATION', country: 'AU' } : {}),
    status: ['active'],
    remarks: remarks(rir, lines),
    ...common(rir, base, `autnum/${asn}`),
  };
}

/** The network record that covers `cidr`, with `lines` as its comment lines. */
export function networkRecord(cidr: Cidr, base: string, lines: string[]): Record<string, unknown> {
  const net = NETWORKS[cidr];
  const rir = net.rir as Rir;
  const [address, length] = cidr.split('/');
  const handle = rir === 'arin'
    ? `NET${net.v === 'v6' ? '6' : ''}-${net.start.replace(/[.:]+/g, '-').replace(/-$/, '')}-1`
    : `${net.start} - ${net.end}`;
  return {
    objectClassName: 'ip network',
    handle,
    startAddress: net.start,
    endAddress: net.end,
    ipVersion: net.v,
    name: `EXAMPLE-NET-${rir.toUpperCase()}`,
    type: rir === 'arin' ? 'DIRECT ALLOCATION' : 'ASSIGNED PA',
    cidr0_cidrs: [net.v === 'v4' ? { v4prefix: address, length: Number(length) } : { v6prefix: net.start, length: 32 }],
    remarks: remarks(rir, lines),
    ...common(rir, base, `ip/${cidr}`),
  };
}

/** IANA's bootstrap files (RFC 9224) naming the fixture registries at `base` (`http://127.0.0.1:PORT/`). */
export function bootstrapFiles(base: string): Record<'asn.json' | 'ipv4.json' | 'ipv6.json', unknown> {
  const url = (rir: Rir) => [`${base}${rir}/`];
  const file = (services: Array<[string[], string[]]>) => ({
    version: '1.0',
    publication: '2025-01-01T00:00:00Z',
    description: 'RDAP bootstrap file for the tests',
    services,
  });
  return {
    'asn.json': file([
      [['64496'], url('arin')],
      [['64497'], url('ripe')],
      [['64498'], url('apnic')],
      [['64499'], url('lacnic')],
      [['64500-64500', '64502-64510'], url('afrinic')],
    ]),
    'ipv4.json': file([
      // The longest matching prefix wins: 203.0.113.0/24 is ARIN's although 203.0.0.0/8 is APNIC's.
      [['203.0.0.0/8', '198.51.100.0/24'], url('apnic')],
      [['203.0.113.0/24'], url('arin')],
      [['192.0.2.0/24'], url('ripe')],
    ]),
    'ipv6.json': file([[['2001:db8::/32'], url('arin')]]),
  };
}
