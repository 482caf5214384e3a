import {
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
} from '../../lib/private/validation';

const SIGNATURE = 'A'.repeat(343) + '_';

describe('checkAsn', () => {
  test.each([1, 64495, 23455, 23457, 131072, 4199999999, '1', '4199999999'])('accepts the public ASN %p', (asn) => {
    expect(checkAsn(asn)).toEqual([]);
  });

  test.each([
    [0, 'asn 0 is reserved (RFC 7607), not a public ASN. Allowed: 1-64495 (except 23456) or 131072-4199999999.'],
    [23456, 'asn 23456 is AS_TRANS'],
    [64512, 'asn 64512 is a private ASN (RFC 6996) (64512-65534)'],
    [65534, 'asn 65534 is a private ASN (RFC 6996) (64512-65534)'],
    [65535, 'asn 65535 is reserved (RFC 7300)'],
    [65552, 'asn 65552 is reserved by IANA (65552-131071)'],
    [131071, 'asn 131071 is reserved by IANA (65552-131071)'],
    [4200000000, 'asn 4200000000 is a private ASN (RFC 6996) (4200000000-4294967294)'],
    [4294967294, 'asn 4294967294 is a private ASN'],
    [4294967295, 'asn 4294967295 is reserved (RFC 7300)'],
    [4294967296, 'asn 4294967296 is larger than the largest ASN (4294967295)'],
    [-1, 'asn -1 is negative'],
    [1.5, 'asn must be a whole number in asplain notation; got 1.5'],
    [Number.NaN, 'asn must be a whole number in asplain notation; got NaN'],
    [Number.POSITIVE_INFINITY, 'asn must be a whole number'],
    ['abc', "asn must be a whole number in asplain notation; got 'abc'"],
    ['', "asn must be a whole number in asplain notation; got ''"],
    ['64500 ', "got '64500 '"],
    ['064496', "asn '064496' has leading zeros; write it as 64496."],
    ['1.10', "asn must be in asplain notation; got asdot '1.10'. Use 65546 instead."],
    [undefined, 'asn must be a number; got undefined'],
  ])('refuses %p', (asn, message) => {
    const findings = checkAsn(asn);
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('error');
    expect(findings[0].property).toBe('asn');
    expect(findings[0].message).toContain(message);
  });

  test.each([64496, 64511, 65536, 65551, '64496'])('warns for the documentation ASN %p', (asn) => {
    const findings = checkAsn(asn);
    expect(findings).toEqual([expect.objectContaining({ severity: 'warning', documentationValue: true, property: 'asn' })]);
    expect(findings[0].message).toContain('reserved for documentation (RFC 5398)');
  });

  test('names the property it was given', () => {
    expect(checkAsn(0, 'Asn')[0].message).toMatch(/^Asn 0 /);
  });

  test('parseAsn returns the number of a string', () => {
    expect(parseAsn('4199999999')).toEqual({ asn: 4199999999, findings: [] });
  });
});

describe('checkCidr', () => {
  test.each(['8.8.8.0/24', '1.0.0.0/8', '2a05:d000::/48', '2600:1f00::/24', '2a05:d000:0:1::/64'])(
    'accepts %p (loose IPv6 bound)', (cidr) => {
      expect(checkCidr(cidr, { publiclyAdvertisable: false }).filter((f) => f.severity === 'error')).toEqual(
        cidr.endsWith('/64') ? [expect.anything()] : [],
      );
    });

  test.each([
    ['203.0.113.5/24', "host bits set: the network address of this prefix is '203.0.113.0/24'"],
    ['2a05:d000::1/48', "the network address of this prefix is '2a05:d000::/48'"],
    ['8.8.8.0/25', 'is a /25; BYOIP accepts IPv4 prefixes of /24 or shorter (lengths 0-24)'],
    ['2a05:d000::/56', 'BYOIP accepts publicly advertisable IPv6 prefixes of /48 or shorter (lengths 0-48)'],
    ['10.0.0.0/8', 'overlaps 10.0.0.0/8, which is private (RFC 1918)'],
    ['10.1.0.0/16', 'overlaps 10.0.0.0/8'],
    ['172.16.0.0/12', 'private (RFC 1918)'],
    ['192.168.1.0/24', 'private (RFC 1918)'],
    ['100.64.0.0/10', 'shared address space (RFC 6598)'],
    ['127.0.0.0/8', 'loopback'],
    ['169.254.0.0/16', 'link-local (RFC 3927)'],
    ['224.0.0.0/4', 'multicast'],
    ['240.0.0.0/4', 'reserved (RFC 1112)'],
    ['0.0.0.0/0', 'overlaps 0.0.0.0/8'],
    ['fc00::/7', 'unique local (RFC 4193)'],
    ['fd00:1::/48', 'unique local (RFC 4193)'],
    ['fe80::/10', 'link-local (RFC 4291)'],
    ['ff02::/16', 'multicast (RFC 4291)'],
    ['2001:DB8::/32', "is not in canonical form; write it as '2001:db8::/32'"],
    ['2001:db8:0:0::/48', "write it as '2001:db8::/48'"],
    ['2001:0db8::/32', "write it as '2001:db8::/32'"],
    ['010.0.0.0/8', 'is not an IPv4 or IPv6 CIDR'],
    ['1.2.3.4', 'is not an IPv4 or IPv6 CIDR'],
    ['1.2.3.0/33', 'is not an IPv4 or IPv6 CIDR'],
    ['2001:db8::/129', 'is not an IPv4 or IPv6 CIDR'],
    ['2001:db8:::/48', 'is not an IPv4 or IPv6 CIDR'],
    ['256.0.0.0/8', 'is not an IPv4 or IPv6 CIDR'],
    ['example', 'is not an IPv4 or IPv6 CIDR'],
    [42, 'must be a string'],
  ])('refuses %p', (cidr, message) => {
    const findings = checkCidr(cidr);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toEqual(expect.objectContaining({ severity: 'error', property: 'cidr' }));
    expect(findings[0].message).toContain(message);
  });

  test('allows /56 for IPv6 that is not publicly advertisable, and no longer', () => {
    expect(checkCidr('2a05:d000::/56', { publiclyAdvertisable: false })).toEqual([]);
    expect(checkCidr('2a05:d000::/57', { publiclyAdvertisable: false })[0].message)
      .toContain('IPv6 that is not publicly advertisable prefixes of /56 or shorter');
  });

  test.each(['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32', '2001:db8:1000::/48', '192.0.0.0/16'])(
    'warns for the documentation range %p', (cidr) => {
      const findings = checkCidr(cidr);
      expect(findings).toEqual([expect.objectContaining({ severity: 'warning', documentationValue: true })]);
      expect(findings[0].message).toContain('reserved for documentation');
    });

  test('names the property it was given', () => {
    expect(checkCidr('10.0.0.0/8', { property: 'Cidr' })[0].message).toMatch(/^Cidr '10.0.0.0\/8'/);
  });
});

describe('prefixes', () => {
  test.each([
    ['2001:0:0:1:0:0:0:0/64', '2001:0:0:1::/64'],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128'],
    ['0:0:0:0:0:0:0:0/0', '::/0'],
    ['0:0:0:0:0:0:0:1/128', '::1/128'],
    ['2001:db8:1:0:0:0:0:0/48', '2001:db8:1::/48'],
    ['2001:db8:0:1:1:1:1:1/128', '2001:db8:0:1:1:1:1:1/128'],
    ['1.2.3.0/24', '1.2.3.0/24'],
  ])('formats %p canonically as %p (RFC 5952)', (input, canonical) => {
    expect(formatPrefix(parsePrefix(input)!)).toBe(canonical);
  });
});

describe('checkIpamId', () => {
  test.each(['ipam-0123456789abcdef0', 'ipam-0123abcd'])('accepts %p', (id) => {
    expect(checkIpamId(id)).toEqual([]);
  });

  test.each(['ipam-XYZ', 'vpc-0123456789abcdef0', '', 'ipam-0123456789ABCDEF0', undefined])('refuses %p', (id) => {
    expect(checkIpamId(id)[0].message).toContain("expected 'ipam-' followed by 17");
  });
});

describe('authorization messages', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  const asnContext = { resource: '64496', kind: 'asn' as const, account: '123456789012', now };

  test('parses the documented format', () => {
    expect(parseAuthorizationMessage('1|aws|123456789012|64496|20271231|SHA256|RSAPSS'))
      .toEqual({ account: '123456789012', resource: '64496', expiry: '20271231' });
    expect(parseAuthorizationMessage('1|aws|123456789012|203.0.113.0/24|20271231|SHA256|RSAPSS'))
      .toEqual({ account: '123456789012', resource: '203.0.113.0/24', expiry: '20271231' });
  });

  test.each([
    '1|aws|12345678901|64496|20271231|SHA256|RSAPSS',
    '1|aws|123456789012|64496|2027123|SHA256|RSAPSS',
    '1|aws|123456789012|64496|20270231|SHA256|RSAPSS',
    '2|aws|123456789012|64496|20271231|SHA256|RSAPSS',
    '1|aws|123456789012|64496|20271231|SHA1|RSAPSS',
    '1|aws|123456789012|64496|20271231|SHA256|RSAPSS\n',
    '1|aws|123456789012||20271231|SHA256|RSAPSS',
  ])('does not parse %p', (message) => {
    expect(parseAuthorizationMessage(message)).toBeUndefined();
  });

  test('expiryDate rejects impossible dates', () => {
    expect(expiryDate('20270229')).toBeUndefined();
    expect(expiryDate('20280229')?.toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(expiryDate('00500101')?.getUTCFullYear()).toBe(50);
  });

  test('accepts a matching, unexpired context', () => {
    expect(checkAuthorizationContext('1|aws|123456789012|64496|20271231|SHA256|RSAPSS', SIGNATURE, asnContext)).toEqual([]);
  });

  test('accepts an expiry of today', () => {
    expect(checkAuthorizationContext('1|aws|123456789012|64496|20261122|SHA256|RSAPSS', SIGNATURE, asnContext))
      .toEqual([expect.objectContaining({ severity: 'warning' })]);
  });

  test('refuses a bad format', () => {
    const findings = checkAuthorizationContext('1|aws|64496', SIGNATURE, asnContext);
    expect(findings).toEqual([expect.objectContaining({ severity: 'error', property: 'authorizationContext.message' })]);
    expect(findings[0].message).toContain("does not have the format '1|aws|ACCOUNT|RESOURCE|YYYYMMDD|SHA256|RSAPSS'");
  });

  test('refuses another ASN, another account and a past expiry, all at once', () => {
    const findings = checkAuthorizationContext('1|aws|111111111111|64497|20261121|SHA256|RSAPSS', SIGNATURE, asnContext);
    expect(findings.map((f) => f.message)).toEqual([
      "authorizationContext.message authorizes ASN '64497', but this resource's ASN is '64496'. Sign a message for '64496'.",
      'authorizationContext.message names account 111111111111, but the stack deploys to account 123456789012. Sign a message for account 123456789012.',
      'authorizationContext.message expired on 20261121; the expiry date must be today or later. Sign a new message with a later date.',
    ]);
  });

  test('skips the account comparison when the account is unknown', () => {
    expect(checkAuthorizationContext('1|aws|111111111111|64496|20271231|SHA256|RSAPSS', SIGNATURE, { ...asnContext, account: undefined }))
      .toEqual([]);
  });

  test('warns when the expiry is within 7 days', () => {
    const findings = checkAuthorizationContext('1|aws|123456789012|64496|20261128|SHA256|RSAPSS', SIGNATURE, asnContext);
    expect(findings).toEqual([expect.objectContaining({ severity: 'warning' })]);
    expect(findings[0].message).toContain('expires on 20261128, within 7 days');
    expect(checkAuthorizationContext('1|aws|123456789012|64496|20261129|SHA256|RSAPSS', SIGNATURE, asnContext)).toEqual([]);
  });

  test('compares CIDRs for a CIDR message', () => {
    const findings = checkAuthorizationContext('1|aws|123456789012|203.0.113.0/24|20271231|SHA256|RSAPSS', SIGNATURE, {
      ...asnContext, kind: 'cidr', resource: '198.51.100.0/24',
    });
    expect(findings[0].message).toContain("authorizes CIDR '203.0.113.0/24', but this resource's CIDR is '198.51.100.0/24'");
  });

  test.each([
    ['abc+def/', 'got 8 characters including "+", "/"'],
    ['', 'got an empty string'],
    ['abc=', 'including "="'],
    [undefined, 'got undefined'],
  ])('refuses the signature %p without echoing it', (signature, shown) => {
    const findings = checkAuthorizationContext('1|aws|123456789012|64496|20271231|SHA256|RSAPSS', signature, asnContext);
    expect(findings).toHaveLength(1);
    expect(findings[0].property).toBe('authorizationContext.signature');
    expect(findings[0].message).toContain('must be a non-empty string of the characters A-Z a-z 0-9 - _ ~');
    expect(findings[0].message).toContain(shown);
    if (typeof signature === 'string' && signature.length > 0) {
      expect(findings[0].message).not.toContain(signature);
    }
  });

  test('refuses padding before the end of the signature', () => {
    const findings = checkAuthorizationContext('1|aws|123456789012|64496|20271231|SHA256|RSAPSS', 'ab_cdefg', asnContext);
    expect(findings[0].message).toContain("has '_' (encoded base64 padding) before its end");
  });

  test('refuses a truncated signature', () => {
    const findings = checkAuthorizationContext('1|aws|123456789012|64496|20271231|SHA256|RSAPSS', SIGNATURE.slice(0, 343), asnContext);
    expect(findings[0].message).toContain('has 343 characters; an encoded signature has a multiple of 4');
  });
});

describe('formatErrors', () => {
  test('joins errors, prefixed, and ignores warnings', () => {
    expect(formatErrors([...checkAsn(0), ...checkAsn(64496), ...checkCidr('10.0.0.0/8')], 'Stack/Asn')).toBe(
      'Stack/Asn: asn 0 is reserved (RFC 7607), not a public ASN. Allowed: 1-64495 (except 23456) or 131072-4199999999.\n'
      + "Stack/Asn: cidr '10.0.0.0/8' overlaps 10.0.0.0/8, which is private (RFC 1918); only public address space can be brought to AWS.",
    );
    expect(formatErrors(checkAsn(64496), 'x')).toBeUndefined();
  });
});
