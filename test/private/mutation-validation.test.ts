/**
 * Kills mutants of lib/private/validation.ts that the other tests let survive (issue 13): the boundaries of
 * every range, the anchors of every pattern, and the exact findings (severity, property, message).
 */
import {
  Finding,
  checkAsn,
  checkAuthorizationContext,
  checkCidr,
  checkIpamId,
  expiryDate,
  formatErrors,
  formatPrefix,
  parseAsn,
  parseAuthorizationMessage,
  parsePrefix,
  prefixesOverlap,
} from '../../lib/private/validation';

const ALLOWED = 'Allowed: 1-64495 (except 23456) or 131072-4199999999.';
const SIGNATURE = 'A'.repeat(343) + '_';
const NOW = new Date(Date.UTC(2025, 5, 2, 12, 0, 0));

const error = (property: string, message: string): Finding => ({ severity: 'error', property, message });

// ---------------------------------------------------------------------------------------------------------
// ASN
// ---------------------------------------------------------------------------------------------------------

describe('parseAsn', () => {
  test.each<[unknown, string]>([
    [1.5, `asn must be a whole number in asplain notation; got 1.5. ${ALLOWED}`],
    [Number.NaN, `asn must be a whole number in asplain notation; got NaN. ${ALLOWED}`],
    [Number.POSITIVE_INFINITY, `asn must be a whole number in asplain notation; got Infinity. ${ALLOWED}`],
    [-1, `asn -1 is negative. ${ALLOWED}`],
    [4294967296, `asn 4294967296 is larger than the largest ASN (4294967295). ${ALLOWED}`],
    ['4294967296', `asn '4294967296' is larger than the largest ASN (4294967295). ${ALLOWED}`],
    [true, `asn must be a number; got true. ${ALLOWED}`],
    [undefined, `asn must be a number; got undefined. ${ALLOWED}`],
    ['', `asn must be a whole number in asplain notation; got ''. ${ALLOWED}`],
    ['-1', `asn must be a whole number in asplain notation; got '-1'. ${ALLOWED}`],
    ['x12', `asn must be a whole number in asplain notation; got 'x12'. ${ALLOWED}`],
    ['12x', `asn must be a whole number in asplain notation; got '12x'. ${ALLOWED}`],
    ['0012', "asn '0012' has leading zeros; write it as 12."],
    ['01', "asn '01' has leading zeros; write it as 1."],
    ['1.2', "asn must be in asplain notation; got asdot '1.2'. Use 65538 instead."],
    [' 1.2 ', "asn must be in asplain notation; got asdot ' 1.2 '. Use 65538 instead."],
    ['65535.65535', "asn must be in asplain notation; got asdot '65535.65535'. Use 4294967295 instead."],
    ['65536.1', `asn must be a whole number in asplain notation; got '65536.1'. ${ALLOWED}`],
    ['1.65536', `asn must be a whole number in asplain notation; got '1.65536'. ${ALLOWED}`],
    ['x1.2', `asn must be a whole number in asplain notation; got 'x1.2'. ${ALLOWED}`],
    ['1.2x', `asn must be a whole number in asplain notation; got '1.2x'. ${ALLOWED}`],
    ['1..2', `asn must be a whole number in asplain notation; got '1..2'. ${ALLOWED}`],
  ])('refuses %p with exactly one error', (value, message) => {
    expect(parseAsn(value)).toEqual({ findings: [error('asn', message)] });
  });

  test('names the property it was given', () => {
    expect(parseAsn('x', 'Asn')).toEqual({ findings: [error('Asn', `Asn must be a whole number in asplain notation; got 'x'. ${ALLOWED}`)] });
    expect(checkAsn(0, 'Asn')).toEqual([error('Asn', `Asn 0 is reserved (RFC 7607), not a public ASN. ${ALLOWED}`)]);
  });

  test.each<[unknown, number]>([
    ['1005', 1005],
    ['100', 100],
    ['10', 10],
    [64495, 64495],
    ['4199999999', 4199999999],
  ])('reads %p as %p without findings', (value, asn) => {
    expect(parseAsn(value)).toEqual({ asn, findings: [] });
  });

  test('0 and the largest ASN are in range (reserved, not negative or too large)', () => {
    expect(parseAsn(0)).toEqual({ asn: 0, findings: [error('asn', `asn 0 is reserved (RFC 7607), not a public ASN. ${ALLOWED}`)] });
    expect(parseAsn('0')).toEqual({ asn: 0, findings: [error('asn', `asn 0 is reserved (RFC 7607), not a public ASN. ${ALLOWED}`)] });
    expect(parseAsn(4294967295)).toEqual({ asn: 4294967295, findings: [error('asn', `asn 4294967295 is reserved (RFC 7300), not a public ASN. ${ALLOWED}`)] });
  });

  test.each<[number, string | undefined]>([
    [23455, undefined],
    [23456, 'asn 23456 is AS_TRANS, reserved for 2-byte/4-byte translation (RFC 6793), not a public ASN.'],
    [23457, undefined],
    [64495, undefined],
    [64512, 'asn 64512 is a private ASN (RFC 6996) (64512-65534), not a public ASN.'],
    [65534, 'asn 65534 is a private ASN (RFC 6996) (64512-65534), not a public ASN.'],
    [65535, 'asn 65535 is reserved (RFC 7300), not a public ASN.'],
    [65552, 'asn 65552 is reserved by IANA (65552-131071), not a public ASN.'],
    [131071, 'asn 131071 is reserved by IANA (65552-131071), not a public ASN.'],
    [131072, undefined],
    [4199999999, undefined],
    [4200000000, 'asn 4200000000 is a private ASN (RFC 6996) (4200000000-4294967294), not a public ASN.'],
    [4294967294, 'asn 4294967294 is a private ASN (RFC 6996) (4200000000-4294967294), not a public ASN.'],
  ])('ASN %p: %p', (asn, message) => {
    expect(checkAsn(asn)).toEqual(message === undefined ? [] : [error('asn', `${message} ${ALLOWED}`)]);
  });

  test.each([
    [64496, '(64496-64511)'],
    [64511, '(64496-64511)'],
    [65536, '(65536-65551)'],
    [65551, '(65536-65551)'],
  ])('the documentation ASN %p is a warning marked as a documentation value', (asn, span) => {
    expect(checkAsn(asn)).toEqual([{
      severity: 'warning',
      property: 'asn',
      documentationValue: true,
      message: `asn ${asn} is reserved for documentation (RFC 5398) ${span}: fine for examples, but AWS cannot provision it, and a deployment will refuse it. Use your own public ASN: 1-64495 (except 23456) or 131072-4199999999.`,
    }]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Prefixes
// ---------------------------------------------------------------------------------------------------------

describe('parsePrefix', () => {
  test.each([
    '1.255.0.0/16',
    '255.255.255.255/32',
    '1.2.3.4/0',
    '0.0.0.0/0',
  ])('reads the IPv4 prefix %p and formats it back', (cidr) => {
    const prefix = parsePrefix(cidr);
    expect(prefix).toBeDefined();
    expect(prefix!.version).toBe(4);
    expect(formatPrefix(prefix!)).toBe(cidr);
  });

  test('reads the address and the length', () => {
    expect(parsePrefix('1.2.3.4/31')).toEqual({ version: 4, address: 0x01020304n, length: 31 });
    expect(parsePrefix('255.0.0.1/8')).toEqual({ version: 4, address: 0xff000001n, length: 8 });
    expect(parsePrefix('2001:db8::1/128')).toEqual({ version: 6, address: 0x20010db8000000000000000000000001n, length: 128 });
    expect(parsePrefix('::/0')).toEqual({ version: 6, address: 0n, length: 0 });
    expect(parsePrefix('1:2:3:4:5:6:7:8/64')).toEqual({ version: 6, address: 0x00010002000300040005000600070008n, length: 64 });
    expect(parsePrefix('FFFF::/16')).toEqual({ version: 6, address: 0xffffn << 112n, length: 16 });
  });

  test.each([
    '256.0.0.0/8',
    '1.256.0.0/16',
    '1.2.3.999/32',
    '1.2.3.1000/32',
    '01.2.3.0/24',
    '1.2.3.00/24',
    '+1.2.3.0/24',
    '1.2.3.0x/24',
    'x1.2.3.0/24',
    '1.2.3/24',
    '1.2.3.4.5/24',
    '1.2.3.0/33',
    '1.2.3.0/024',
    '1.2.3.0/',
    '1.2.3.0/1000',
    '1.2.3.0/24x',
    'x/24',
    '/24',
    '1.2.3.0/24/24',
    'x/8.8.8.0/24',
    '10.0.0.0/8/8.8.8.0/24',
    '1.2.3.0',
    '2001:db8::/129',
    '2001:db8::1::/64',
    '2001:db8:::/64',
    '12345::/16',
    'g::/16',
    '1:2:3:4:5:6:7/64',
    '1:2:3:4:5:6:7:8:9/64',
    '1:2:3:4::5:6:7:8/64',
    '1:2:3:4:5:6:7:8::/64',
    '::1:2:3:4:5:6:7:8/64',
    '1::2:3:4:5:6:7:8/64',
    ':1::/64',
    '1:/64',
    '2001:db8::x/48',
  ])('%p is no prefix', (cidr) => {
    expect(parsePrefix(cidr)).toBeUndefined();
  });

  test('seven groups with :: are a prefix, eight with :: are not', () => {
    expect(parsePrefix('1:2:3::5:6:7:8/64')).toEqual({ version: 6, address: 0x00010002000300000005000600070008n, length: 64 });
    expect(parsePrefix('1:2:3:4:5:6:7::/64')).toEqual({ version: 6, address: 0x00010002000300040005000600070000n, length: 64 });
    expect(parsePrefix('::2:3:4:5:6:7:8/64')).toEqual({ version: 6, address: 0x00000002000300040005000600070008n, length: 64 });
  });
});

describe('formatPrefix (RFC 5952)', () => {
  test.each([
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128'],
    ['2001:db8:0:0:0:1:0:0/128', '2001:db8::1:0:0/128'],
    ['2001:db8:0:1:1:1:1:1/128', '2001:db8:0:1:1:1:1:1/128'],
    ['0:0:0:0:0:0:0:0/0', '::/0'],
    ['0:0:0:0:0:0:0:1/128', '::1/128'],
    ['1:0:0:0:0:0:0:0/16', '1::/16'],
    ['1:0:1:0:0:1:0:1/128', '1:0:1::1:0:1/128'],
    ['ABCD:EF01:0:0:0:0:0:0/32', 'abcd:ef01::/32'],
    ['0:1:0:1:0:1:0:1/128', '0:1:0:1:0:1:0:1/128'],
    ['1:2:3:4:5:6:7:0/128', '1:2:3:4:5:6:7:0/128'],
    ['1:2:3:4:5:6:0:0/128', '1:2:3:4:5:6::/128'],
    ['0:0:3:4:5:6:7:8/128', '::3:4:5:6:7:8/128'],
    ['1:0:0:4:0:0:0:8/128', '1:0:0:4::8/128'],
  ])('%p is written %p', (cidr, canonical) => {
    expect(formatPrefix(parsePrefix(cidr)!)).toBe(canonical);
  });

  test('IPv4 octets', () => {
    expect(formatPrefix({ version: 4, address: 0x01ff7f80n, length: 32 })).toBe('1.255.127.128/32');
  });
});

describe('prefixesOverlap', () => {
  const p = (cidr: string) => parsePrefix(cidr)!;

  test.each([
    ['8.0.0.0/8', '8.8.8.0/24', true],
    ['8.8.8.0/24', '8.0.0.0/8', true],
    ['8.8.8.0/24', '8.8.8.0/24', true],
    ['8.8.8.0/24', '8.8.9.0/24', false],
    ['8.8.8.0/25', '8.8.8.128/25', false],
    ['0.0.0.0/0', '1.2.3.0/24', true],
    ['2001:db8::/32', '2001:db8:1::/48', true],
    ['2001:db8::/32', '2001:db9::/32', false],
    ['0.0.0.0/0', '::/0', false],
    ['::/0', '0.0.0.0/0', false],
  ])('%p and %p: %p', (a, b, expected) => {
    expect(prefixesOverlap(p(a), p(b))).toBe(expected);
  });
});

describe('checkCidr', () => {
  test('a value that is no string', () => {
    expect(checkCidr(42)).toEqual([error('cidr', "cidr must be a string such as '203.0.113.0/24' or '2001:db8:1000::/48'; got 42.")]);
    expect(checkCidr(undefined, { property: 'Cidr' })).toEqual([error('Cidr', "Cidr must be a string such as '203.0.113.0/24' or '2001:db8:1000::/48'; got undefined.")]);
  });

  test('no prefix', () => {
    expect(checkCidr('1.2.3.4')).toEqual([error('cidr', "cidr '1.2.3.4' is not an IPv4 or IPv6 CIDR. Expected a prefix such as '203.0.113.0/24' or '2001:db8:1000::/48'.")]);
  });

  test.each([
    ['8.8.8.1/24', '8.8.8.0/24'],
    ['8.8.8.255/23', '8.8.8.0/23'],
    ['2600:1f00::1/48', '2600:1f00::/48'],
    ['2600:1f00:0:1::/48', '2600:1f00::/48'],
  ])('%p has host bits; its network is %p', (cidr, network) => {
    expect(checkCidr(cidr)).toEqual([error('cidr', `cidr '${cidr}' has host bits set: the network address of this prefix is '${network}'.`)]);
  });

  test.each([
    ['2600:1F00::/48', '2600:1f00::/48'],
    ['2600:1f00:0:0::/48', '2600:1f00::/48'],
    ['2600:01f0::/48', '2600:1f0::/48'],
  ])('%p is not canonical; it is %p', (cidr, canonical) => {
    expect(checkCidr(cidr)).toEqual([error('cidr', `cidr '${cidr}' is not in canonical form; write it as '${canonical}' (AWS reports CIDRs in that form, and the physical id must match).`)]);
  });

  test.each<[string, boolean | undefined, string | undefined]>([
    ['8.8.8.0/24', undefined, undefined],
    ['8.8.8.0/25', undefined, "cidr '8.8.8.0/25' is a /25; BYOIP accepts IPv4 prefixes of /24 or shorter (lengths 0-24)."],
    ['8.8.8.0/25', false, "cidr '8.8.8.0/25' is a /25; BYOIP accepts IPv4 prefixes of /24 or shorter (lengths 0-24)."],
    ['2600:1f00::/48', undefined, undefined],
    ['2600:1f00::/48', true, undefined],
    ['2600:1f00::/49', undefined, "cidr '2600:1f00::/49' is a /49; BYOIP accepts publicly advertisable IPv6 prefixes of /48 or shorter (lengths 0-48)."],
    ['2600:1f00::/49', true, "cidr '2600:1f00::/49' is a /49; BYOIP accepts publicly advertisable IPv6 prefixes of /48 or shorter (lengths 0-48)."],
    ['2600:1f00::/56', false, undefined],
    ['2600:1f00::/57', false, "cidr '2600:1f00::/57' is a /57; BYOIP accepts IPv6 that is not publicly advertisable prefixes of /56 or shorter (lengths 0-56)."],
  ])('%p (publiclyAdvertisable %p): %p', (cidr, publiclyAdvertisable, message) => {
    expect(checkCidr(cidr, { publiclyAdvertisable })).toEqual(message === undefined ? [] : [error('cidr', message)]);
  });

  test.each([
    ['0.0.0.0/8', '0.0.0.0/8', '"this network" (RFC 791)'],
    ['10.1.0.0/16', '10.0.0.0/8', 'private (RFC 1918)'],
    ['100.64.0.0/10', '100.64.0.0/10', 'shared address space (RFC 6598)'],
    ['100.127.0.0/16', '100.64.0.0/10', 'shared address space (RFC 6598)'],
    ['127.0.0.0/8', '127.0.0.0/8', 'loopback (RFC 1122)'],
    ['169.254.1.0/24', '169.254.0.0/16', 'link-local (RFC 3927)'],
    ['172.31.0.0/16', '172.16.0.0/12', 'private (RFC 1918)'],
    ['192.168.4.0/24', '192.168.0.0/16', 'private (RFC 1918)'],
    ['224.0.0.0/4', '224.0.0.0/4', 'multicast (RFC 5771)'],
    ['239.1.0.0/16', '224.0.0.0/4', 'multicast (RFC 5771)'],
    ['255.255.255.0/24', '240.0.0.0/4', 'reserved (RFC 1112)'],
    ['0.0.0.0/0', '0.0.0.0/8', '"this network" (RFC 791)'],
    ['::/16', '::/8', 'reserved by the IETF (loopback, unspecified, IPv4-mapped)'],
    ['fd00:1::/48', 'fc00::/7', 'unique local (RFC 4193)'],
    ['fe80::/16', 'fe80::/10', 'link-local (RFC 4291)'],
    ['ff02::/16', 'ff00::/8', 'multicast (RFC 4291)'],
  ])('%p overlaps the special %p', (cidr, special, what) => {
    expect(checkCidr(cidr, { property: 'Cidr' })).toEqual([error('Cidr', `Cidr '${cidr}' overlaps ${special}, which is ${what}; only public address space can be brought to AWS.`)]);
  });

  test.each([
    '1.0.0.0/8', '11.0.0.0/8', '100.128.0.0/16', '100.63.0.0/16', '128.0.0.0/8', '169.253.0.0/16', '172.32.0.0/16',
    '172.15.0.0/16', '192.167.0.0/16', '192.169.0.0/16', '223.255.255.0/24', '2600:1f00::/48', '100::/8', 'fe00::/16', 'fec0::/10',
  ])('%p is public', (cidr) => {
    expect(checkCidr(cidr)).toEqual([]);
  });

  test.each([
    ['192.0.2.0/24', '192.0.2.0/24', 'TEST-NET-1, reserved for documentation (RFC 5737)'],
    ['198.51.100.0/24', '198.51.100.0/24', 'TEST-NET-2, reserved for documentation (RFC 5737)'],
    ['203.0.113.0/24', '203.0.113.0/24', 'TEST-NET-3, reserved for documentation (RFC 5737)'],
    ['2001:db8:1000::/48', '2001:db8::/32', 'reserved for documentation (RFC 3849)'],
  ])('the documentation prefix %p is a warning', (cidr, documentation, what) => {
    expect(checkCidr(cidr, { property: 'Cidr' })).toEqual([{
      severity: 'warning',
      property: 'Cidr',
      documentationValue: true,
      message: `Cidr '${cidr}' overlaps ${documentation}, ${what}: fine for examples, but AWS cannot provision it, and a deployment will refuse it. Use a prefix that your organisation holds.`,
    }]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// IPAM id
// ---------------------------------------------------------------------------------------------------------

describe('checkIpamId', () => {
  const refusal = (value: string, property = 'ipamId') => [error(property, `${property} '${value}' is not an IPAM id; expected 'ipam-' followed by 17 (or, for old ids, 8) lower-case hexadecimal digits, e.g. 'ipam-0123456789abcdef0' (CfnIPAM.attrIpamId).`)];

  test.each(['ipam-0123456789abcdef0', 'ipam-01234567'])('accepts %p', (id) => {
    expect(checkIpamId(id)).toEqual([]);
  });

  test.each([
    'xipam-0123456789abcdef0',
    ' ipam-0123456789abcdef0',
    'ipam-0123456789abcdef0x',
    'ipam-0123456789abcdef0 ',
    'ipam-0123456789ABCDEF0',
    'ipam-012345678',
    'ipam-0123456',
    'ipam-0123456789abcdef',
    'ipam-0123456789abcdef01',
    'ipam-',
    '',
    'pool-0123456789abcdef0',
  ])('refuses %p', (id) => {
    expect(checkIpamId(id)).toEqual(refusal(id));
  });

  test('refuses what is no string, and names the property', () => {
    expect(checkIpamId(undefined)).toEqual(refusal('undefined'));
    expect(checkIpamId(42, 'IpamId')).toEqual(refusal('42', 'IpamId'));
  });
});

// ---------------------------------------------------------------------------------------------------------
// Authorization context
// ---------------------------------------------------------------------------------------------------------

describe('parseAuthorizationMessage', () => {
  test('reads the fields', () => {
    expect(parseAuthorizationMessage('1|aws|123456789012|64496|20991231|SHA256|RSAPSS')).toEqual({ account: '123456789012', resource: '64496', expiry: '20991231' });
    expect(parseAuthorizationMessage('1|aws|123456789012|2600:1f00::/48|20240229|SHA256|RSAPSS')).toEqual({ account: '123456789012', resource: '2600:1f00::/48', expiry: '20240229' });
  });

  test.each([
    'x1|aws|123456789012|64496|20991231|SHA256|RSAPSS',
    ' 1|aws|123456789012|64496|20991231|SHA256|RSAPSS',
    '11|aws|123456789012|64496|20991231|SHA256|RSAPSS',
    '1|aws|123456789012|64496|20991231|SHA256|RSAPSSx',
    '1|aws|123456789012|64496|20991231|SHA256|RSAPSS ',
    '1|aws|12345678901|64496|20991231|SHA256|RSAPSS',
    '1|aws|1234567890123|64496|20991231|SHA256|RSAPSS',
    '1|aws|12345678901x|64496|20991231|SHA256|RSAPSS',
    '1|aws|123456789012||20991231|SHA256|RSAPSS',
    '1|aws|123456789012|644 96|20991231|SHA256|RSAPSS',
    '1|aws|123456789012|64496|2099123|SHA256|RSAPSS',
    '1|aws|123456789012|64496|209912310|SHA256|RSAPSS',
    '1|aws|123456789012|64496|20990231|SHA256|RSAPSS',
    '1|aws|123456789012|64496|20991301|SHA256|RSAPSS',
    '1|aws|123456789012|64496|20991200|SHA256|RSAPSS',
    '1|aws|123456789012|64496|20230229|SHA256|RSAPSS',
    '1|aws|123456789012|64496|20991231|SHA1|RSAPSS',
    '1|aws|123456789012|64496|20991231|SHA256|RSA',
    '1|aws|123456789012|64|496|20991231|SHA256|RSAPSS',
  ])('refuses %p', (message) => {
    expect(parseAuthorizationMessage(message)).toBeUndefined();
  });
});

describe('expiryDate', () => {
  test.each([
    ['20240229', Date.UTC(2024, 1, 29)],
    ['20991231', Date.UTC(2099, 11, 31)],
    ['20250101', Date.UTC(2025, 0, 1)],
  ])('%p starts at %p', (text, time) => {
    expect(expiryDate(text)?.getTime()).toBe(time);
  });

  test('reads the years 0-99 as they are written', () => {
    expect(expiryDate('00990101')?.getUTCFullYear()).toBe(99);
  });

  test.each(['20230229', '20241301', '20240001', '20240100', '20240431', '2024010', '202401011', 'x20240101', '20240101x', '2024-1-01'])('%p is no date', (text) => {
    expect(expiryDate(text)).toBeUndefined();
  });
});

describe('checkAuthorizationContext', () => {
  const message = (resource = '64496', account = '123456789012', expiry = '20991231') => `1|aws|${account}|${resource}|${expiry}|SHA256|RSAPSS`;
  const check = (msg: unknown, signature: unknown = SIGNATURE, overrides: Partial<Parameters<typeof checkAuthorizationContext>[2]> = {}) =>
    checkAuthorizationContext(msg, signature, { resource: '64496', kind: 'asn', account: '123456789012', now: NOW, ...overrides });

  test('a good context has no findings', () => {
    expect(check(message())).toEqual([]);
  });

  test('a message of the wrong format names the kind', () => {
    expect(check('nonsense')).toEqual([error('authorizationContext.message', "authorizationContext.message 'nonsense' does not have the format '1|aws|ACCOUNT|RESOURCE|YYYYMMDD|SHA256|RSAPSS' (12-digit account, the ASN, a valid expiry date).")]);
    expect(check(42, SIGNATURE, { kind: 'cidr', property: 'ctx' })).toEqual([error('ctx.message', "ctx.message '42' does not have the format '1|aws|ACCOUNT|RESOURCE|YYYYMMDD|SHA256|RSAPSS' (12-digit account, the CIDR, a valid expiry date).")]);
  });

  test('a message for another resource', () => {
    expect(check(message('64497'))).toEqual([error('authorizationContext.message', "authorizationContext.message authorizes ASN '64497', but this resource's ASN is '64496'. Sign a message for '64496'.")]);
    expect(check(message('8.8.8.0/24'), SIGNATURE, { kind: 'cidr', resource: '8.8.9.0/24' })).toEqual([error('authorizationContext.message', "authorizationContext.message authorizes CIDR '8.8.8.0/24', but this resource's CIDR is '8.8.9.0/24'. Sign a message for '8.8.9.0/24'.")]);
  });

  test('the account is compared only when known', () => {
    expect(check(message('64496', '210987654321'))).toEqual([error('authorizationContext.message', 'authorizationContext.message names account 210987654321, but the stack deploys to account 123456789012. Sign a message for account 123456789012.')]);
    expect(check(message('64496', '210987654321'), SIGNATURE, { account: undefined })).toEqual([]);
  });

  test.each<[string, Finding[]]>([
    ['20250601', [error('authorizationContext.message', 'authorizationContext.message expired on 20250601; the expiry date must be today or later. Sign a new message with a later date.')]],
    ['20250602', [{ severity: 'warning', property: 'authorizationContext.message', message: 'authorizationContext.message expires on 20250602, within 7 days; a deployment after that date will be refused.' }]],
    ['20250608', [{ severity: 'warning', property: 'authorizationContext.message', message: 'authorizationContext.message expires on 20250608, within 7 days; a deployment after that date will be refused.' }]],
    ['20250609', []],
  ])('on 2025-06-02 at noon, an expiry of %p gives %p', (expiry, findings) => {
    expect(check(message('64496', '123456789012', expiry))).toEqual(findings);
  });

  test('the day counts in UTC, from its start to its end', () => {
    const lastMinute = new Date(Date.UTC(2025, 5, 2, 23, 59, 59));
    const firstMinute = new Date(Date.UTC(2025, 5, 2, 0, 0, 0));
    const expiresToday = message('64496', '123456789012', '20250602');
    expect(check(expiresToday, SIGNATURE, { now: lastMinute }).map((f) => f.severity)).toEqual(['warning']);
    expect(check(expiresToday, SIGNATURE, { now: firstMinute }).map((f) => f.severity)).toEqual(['warning']);
    expect(check(expiresToday, SIGNATURE, { now: new Date(Date.UTC(2025, 5, 3, 0, 0, 0)) }).map((f) => f.severity)).toEqual(['error']);
  });

  test('without now, today is the clock\'s', () => {
    expect(checkAuthorizationContext(message('64496', '123456789012', '20200101'), SIGNATURE, { resource: '64496', kind: 'asn' }).map((f) => f.severity)).toEqual(['error']);
    expect(checkAuthorizationContext(message('64496', '123456789012', '29991231'), SIGNATURE, { resource: '64496', kind: 'asn' })).toEqual([]);
  });

  test.each([
    [null, 'null'],
    [42, '42'],
    ['', 'an empty string'],
    ['abc+/=', '6 characters including "+", "/", "="'],
    ['a b\nb', '5 characters including " ", "\\n"'],
    ['++++', '4 characters including "+"'],
  ])('a signature of %p is refused as %p', (signature, described) => {
    expect(check(message(), signature)).toEqual([error('authorizationContext.signature', `authorizationContext.signature must be a non-empty string of the characters A-Z a-z 0-9 - _ ~ (base64 with '+=/' replaced by '-_~' and no newlines); got ${described}.`)]);
  });

  test.each(['AAAA', 'AAA_', 'AA__', 'a0~-', 'Zz9_'])('the signature %p has the right form', (signature) => {
    expect(check(message(), signature)).toEqual([]);
  });

  test.each(['A_AA', '_AAA', 'A___', 'AAAAA___', 'AB_C____'])('the signature %p has padding before its end', (signature) => {
    expect(check(message(), signature)).toEqual([error('authorizationContext.signature', "authorizationContext.signature has '_' (encoded base64 padding) before its end; padding may only be the last one or two characters. The signature was probably mangled when copied.")]);
  });

  test.each(['AAA', 'AAAAA', 'AAAAAA_', 'A'])('the signature %p is truncated', (signature) => {
    expect(check(message(), signature)).toEqual([error('authorizationContext.signature', `authorizationContext.signature has ${signature.length} characters; an encoded signature has a multiple of 4 (344 for a 2048-bit key). It looks truncated.`)]);
  });

  test('every problem is reported at once', () => {
    expect(check(message('64497', '210987654321', '20200101'), '').map((f) => f.message.slice(0, 40))).toEqual([
      'authorizationContext.message authorizes ',
      'authorizationContext.message names accou',
      'authorizationContext.message expired on ',
      'authorizationContext.signature must be a',
    ]);
  });
});

describe('formatErrors', () => {
  test('only errors, one line each, with the prefix', () => {
    const findings: Finding[] = [
      error('a', 'first.'),
      { severity: 'warning', property: 'b', message: 'a warning.' },
      error('c', 'second.'),
    ];
    expect(formatErrors(findings, 'Stack/Asn')).toBe('Stack/Asn: first.\nStack/Asn: second.');
  });

  test('undefined without errors', () => {
    expect(formatErrors([], 'p')).toBeUndefined();
    expect(formatErrors([{ severity: 'warning', property: 'b', message: 'w' }], 'p')).toBeUndefined();
  });
});
