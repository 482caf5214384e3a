import { parsePrefix } from '../../lib/private/validation';
import { recordCovers, registryOf, whereToPaste } from '../../lib/prepare/private/rdap';

const cidr = (text: string) => ({ kind: 'cidr' as const, cidr: text, prefix: parsePrefix(text)! });

describe('recordCovers', () => {
  test('an autnum covers the ASNs from startAutnum to endAutnum, or the ASN of its handle', () => {
    expect(recordCovers({ startAutnum: 64496, endAutnum: 64511 }, { kind: 'asn', asn: 64500 })).toBe(true);
    expect(recordCovers({ startAutnum: 64496, endAutnum: 64496 }, { kind: 'asn', asn: 64497 })).toBe(false);
    expect(recordCovers({ handle: 'AS64496' }, { kind: 'asn', asn: 64496 })).toBe(true);
  });

  test('a network covers the prefixes inside its range, however the registry writes its addresses', () => {
    expect(recordCovers({ startAddress: '203.0.113.0', endAddress: '203.0.113.255' }, cidr('203.0.113.0/24'))).toBe(true);
    expect(recordCovers({ startAddress: '203.0.112.0', endAddress: '203.0.113.255' }, cidr('203.0.113.0/24'))).toBe(true);
    expect(recordCovers({ startAddress: '203.0.113.0', endAddress: '203.0.113.127' }, cidr('203.0.113.0/24'))).toBe(false);
    // Old ARIN answers pad octets with zeros; old RIPE answers add a length.
    expect(recordCovers({ startAddress: '074.125.000.000', endAddress: '074.125.255.255' }, cidr('74.125.1.0/24'))).toBe(true);
    expect(recordCovers({ startAddress: '2001:DB8::/128', endAddress: '2001:DB8:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF/128' }, cidr('2001:db8:1000::/48'))).toBe(true);
    expect(recordCovers({ startAddress: '203.0.113.0', endAddress: '203.0.113.255' }, cidr('2001:db8::/32'))).toBe(false);
  });
});

describe('registryOf and whereToPaste', () => {
  test('tells the registry by port43, links or the URL asked', () => {
    expect(registryOf({ port43: 'whois.ripe.net' })).toBe('RIPE NCC');
    expect(registryOf({ links: [{ href: 'https://rdap.apnic.net/autnum/1' }] })).toBe('APNIC');
    expect(registryOf({}, 'https://rdap.afrinic.net/rdap/autnum/1')).toBe('AFRINIC');
    expect(registryOf({}, 'http://127.0.0.1:1/x')).toBeUndefined();
  });

  test('names the field of each registry', () => {
    const asn = { kind: 'asn' as const, asn: 64496 };
    expect(whereToPaste('ARIN', asn, 'AS64496')).toBe('the Public Comments of AS64496 (ARIN Online)');
    expect(whereToPaste('RIPE NCC', cidr('192.0.2.0/24'), '192.0.2.0 - 192.0.2.255')).toBe("a descr: line of the inetnum 192.0.2.0 - 192.0.2.255 (RIPE's RDAP shows descr:, not remarks:)");
    expect(whereToPaste('APNIC', cidr('2001:db8::/32'), 'X')).toBe('a remarks: line of the inet6num X');
    expect(whereToPaste('LACNIC', asn, 'AS64496')).toContain('ask AWS support first');
  });
});
