import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuthorizationExpiry, AuthorizationMessage, AuthorizationSignature } from '../../lib/prepare/authorization';
import { freezeTime, opensslSign, opensslVerify, PASSPHRASE, removeTestKeys, testKeys } from './keys';

const ACCOUNT = '123456789012';
const FAR = AuthorizationExpiry.fromString('2099-12-31');
const ASN_MESSAGE = '1|aws|123456789012|64496|20991231|SHA256|RSAPSS';

/** A 2048-bit signature: 256 bytes are 344 base64 characters, the last two padding (`==` → `__`). */
const SIGNATURE_FORMAT = /^[A-Za-z0-9~-]{342}__$/;

const read = (file: string) => fs.readFileSync(file, 'utf8');

afterEach(() => {
  jest.useRealTimers();
});

afterAll(() => {
  removeTestKeys();
});

describe('AuthorizationExpiry', () => {
  test.each([
    ['2027-12-31', '20271231'],
    ['20271231', '20271231'],
    ['2028-02-29', '20280229'],
  ])('reads %s as %s', (text, value) => {
    expect(AuthorizationExpiry.fromString(text).value).toBe(value);
    expect(AuthorizationExpiry.fromString(text).toString()).toBe(value);
  });

  test.each(['', 'tomorrow', '2027/12/31', '2027-1231', '202712-31', '27-12-31', '2027-12-31T00:00:00Z', ' 2027-12-31', '2027-12-3'])(
    'refuses %p as not a date, naming both accepted forms', (text) => {
      expect(() => AuthorizationExpiry.fromString(text)).toThrow(
        `AuthorizationExpiry.fromString: expiry '${text}' is not a date; expected 'YYYY-MM-DD' or 'YYYYMMDD', e.g. '2027-12-31'.`);
    });

  test.each(['2027-02-29', '2027-13-01', '2027-00-10', '2027-04-31', '20271232'])('refuses %s as not a calendar date', (text) => {
    expect(() => AuthorizationExpiry.fromString(text)).toThrow(
      `AuthorizationExpiry.fromString: expiry '${text}' is not a calendar date (no such month or day).`);
  });

  test('takes the UTC day of a Date, whatever its time zone offset', () => {
    expect(AuthorizationExpiry.fromDate(new Date('2027-12-31')).value).toBe('20271231');
    expect(AuthorizationExpiry.fromDate(new Date(Date.UTC(2027, 11, 31, 23, 59, 59))).value).toBe('20271231');
    // 23:30 in New York is already the next day in UTC; 00:30 in Athens is still the previous one.
    expect(AuthorizationExpiry.fromDate(new Date('2027-12-31T23:30:00-05:00')).value).toBe('20280101');
    expect(AuthorizationExpiry.fromDate(new Date('2028-01-01T00:30:00+02:00')).value).toBe('20271231');
  });

  test('refuses an invalid Date and a year that does not fit in YYYYMMDD', () => {
    expect(() => AuthorizationExpiry.fromDate(new Date('not a date'))).toThrow(
      'AuthorizationExpiry.fromDate: expiry Invalid Date is not a valid Date.');
    expect(() => AuthorizationExpiry.fromDate(new Date(Date.UTC(10000, 0, 1)))).toThrow(
      'AuthorizationExpiry.fromDate: expiry +010000-01-01T00:00:00.000Z has year 10000; the message\'s YYYYMMDD takes years 1000 to 9999.');
  });
});

describe('AuthorizationMessage', () => {
  test('builds the ASN message in the exact documented format', () => {
    expect(AuthorizationMessage.forAsn({ account: ACCOUNT, asn: 64496, expiry: FAR })).toBe(ASN_MESSAGE);
  });

  test('writes 4-byte ASNs in asplain', () => {
    expect(AuthorizationMessage.forAsn({ account: ACCOUNT, asn: 4199999999, expiry: FAR }))
      .toBe('1|aws|123456789012|4199999999|20991231|SHA256|RSAPSS');
  });

  test('builds the CIDR message for IPv4 and IPv6 in the exact documented format', () => {
    expect(AuthorizationMessage.forCidr({ account: ACCOUNT, cidr: '203.0.113.0/24', expiry: FAR }))
      .toBe('1|aws|123456789012|203.0.113.0/24|20991231|SHA256|RSAPSS');
    expect(AuthorizationMessage.forCidr({ account: ACCOUNT, cidr: '2001:db8:1000::/48', expiry: FAR }))
      .toBe('1|aws|123456789012|2001:db8:1000::/48|20991231|SHA256|RSAPSS');
  });

  test('keeps the leading zeros of an account id', () => {
    expect(AuthorizationMessage.forAsn({ account: '012345678901', asn: 13335, expiry: FAR }))
      .toBe('1|aws|012345678901|13335|20991231|SHA256|RSAPSS');
  });

  test('accepts an IPv6 /56 only when the CIDR is not publicly advertisable', () => {
    const cidr = '2001:db8:1000:100::/56';
    expect(() => AuthorizationMessage.forCidr({ account: ACCOUNT, cidr, expiry: FAR })).toThrow(
      "AuthorizationMessage.forCidr: cidr '2001:db8:1000:100::/56' is a /56; BYOIP accepts publicly advertisable IPv6 prefixes of /48 or shorter (lengths 0-48).");
    expect(AuthorizationMessage.forCidr({ account: ACCOUNT, cidr, expiry: FAR, publiclyAdvertisable: false }))
      .toBe('1|aws|123456789012|2001:db8:1000:100::/56|20991231|SHA256|RSAPSS');
  });

  describe('refuses a bad account', () => {
    test.each(['12345678901', '1234567890123', '12345678901a', '', ' 123456789012', '1234-5678-9012'])('%p', (account) => {
      expect(() => AuthorizationMessage.forAsn({ account, asn: 13335, expiry: FAR })).toThrow(
        `AuthorizationMessage.forAsn: account '${account}' is not an AWS account id; expected exactly 12 digits, e.g. '123456789012'.`);
    });

    test('and says why a token cannot be signed', () => {
      expect(() => AuthorizationMessage.forAsn({ account: '${Token[AWS.AccountId.4]}', asn: 13335, expiry: FAR })).toThrow(
        'A deploy-time value (such as Stack.of(this).account) cannot be signed: write the account id itself.');
    });
  });

  describe('refuses an ASN that is not public, with validation\'s message', () => {
    test.each([
      [0, 'asn 0 is reserved (RFC 7607), not a public ASN.'],
      [23456, 'asn 23456 is AS_TRANS, reserved for 2-byte/4-byte translation (RFC 6793), not a public ASN.'],
      [64512, 'asn 64512 is a private ASN (RFC 6996) (64512-65534), not a public ASN.'],
      [65535, 'asn 65535 is reserved (RFC 7300), not a public ASN.'],
      [100000, 'asn 100000 is reserved by IANA (65552-131071), not a public ASN.'],
      [4200000000, 'asn 4200000000 is a private ASN (RFC 6996) (4200000000-4294967294), not a public ASN.'],
      [4294967296, 'asn 4294967296 is larger than the largest ASN (4294967295).'],
      [-1, 'asn -1 is negative.'],
      [1.5, 'asn must be a whole number in asplain notation; got 1.5.'],
      [NaN, 'asn must be a whole number in asplain notation; got NaN.'],
    ])('%p', (asn, message) => {
      expect(() => AuthorizationMessage.forAsn({ account: ACCOUNT, asn, expiry: FAR })).toThrow(`AuthorizationMessage.forAsn: ${message}`);
    });
  });

  test('accepts documentation ASNs and prefixes, so that examples work', () => {
    expect(() => AuthorizationMessage.forAsn({ account: ACCOUNT, asn: 65551, expiry: FAR })).not.toThrow();
    expect(() => AuthorizationMessage.forCidr({ account: ACCOUNT, cidr: '198.51.100.0/24', expiry: FAR })).not.toThrow();
  });

  describe('refuses a bad CIDR, with validation\'s message', () => {
    test.each([
      ['10.0.0.0/8', "cidr '10.0.0.0/8' overlaps 10.0.0.0/8, which is private (RFC 1918); only public address space can be brought to AWS."],
      ['203.0.113.1/24', "cidr '203.0.113.1/24' has host bits set: the network address of this prefix is '203.0.113.0/24'."],
      ['203.0.113.0/25', "cidr '203.0.113.0/25' is a /25; BYOIP accepts IPv4 prefixes of /24 or shorter (lengths 0-24)."],
      ['2001:DB8::/32', "cidr '2001:DB8::/32' is not in canonical form; write it as '2001:db8::/32'"],
      ['fd00::/8', "cidr 'fd00::/8' overlaps fc00::/7, which is unique local (RFC 4193)"],
      ['203.0.113.0', "cidr '203.0.113.0' is not an IPv4 or IPv6 CIDR."],
    ])('%p', (cidr, message) => {
      expect(() => AuthorizationMessage.forCidr({ account: ACCOUNT, cidr, expiry: FAR })).toThrow(`AuthorizationMessage.forCidr: ${message}`);
    });
  });

  test('refuses an expiry in the past, and accepts today (in UTC)', () => {
    // 00:30 on 16 June in UTC+02:00 is still 15 June in UTC.
    freezeTime('2030-06-16T00:30:00+02:00');
    expect(AuthorizationMessage.forAsn({ account: ACCOUNT, asn: 13335, expiry: AuthorizationExpiry.fromString('2030-06-15') }))
      .toBe('1|aws|123456789012|13335|20300615|SHA256|RSAPSS');
    expect(() => AuthorizationMessage.forAsn({ account: ACCOUNT, asn: 13335, expiry: AuthorizationExpiry.fromString('2030-06-14') })).toThrow(
      'AuthorizationMessage.forAsn: expiry 20300614 is in the past (today is 20300615 UTC); the expiry must be today or later.');
    expect(() => AuthorizationMessage.forCidr({ account: ACCOUNT, cidr: '1.1.1.0/24', expiry: AuthorizationExpiry.fromString('2029-12-31') })).toThrow(
      'AuthorizationMessage.forCidr: expiry 20291231 is in the past (today is 20300615 UTC); the expiry must be today or later.');
  });

  test('lists every problem at once', () => {
    freezeTime('2030-06-15T12:00:00Z');
    expect(() => AuthorizationMessage.forAsn({ account: '42', asn: 64512, expiry: AuthorizationExpiry.fromString('2020-01-01') })).toThrow([
      "AuthorizationMessage.forAsn: account '42' is not an AWS account id; expected exactly 12 digits, e.g. '123456789012'.",
      'AuthorizationMessage.forAsn: expiry 20200101 is in the past (today is 20300615 UTC); the expiry must be today or later.',
      'AuthorizationMessage.forAsn: asn 64512 is a private ASN (RFC 6996) (64512-65534), not a public ASN. Allowed: 1-64495 (except 23456) or 131072-4199999999.',
    ].join('\n'));
  });

  test('refuses an expiry that is not an AuthorizationExpiry (JavaScript callers)', () => {
    const expiry = '2099-12-31' as unknown as AuthorizationExpiry;
    expect(() => AuthorizationMessage.forAsn({ account: ACCOUNT, asn: 13335, expiry })).toThrow(
      "AuthorizationMessage.forAsn: expiry '2099-12-31' is not an AuthorizationExpiry; use AuthorizationExpiry.fromString('2027-12-31') or AuthorizationExpiry.fromDate(date).");
  });
});

describe('AuthorizationSignature', () => {
  const sign = AuthorizationSignature.signAuthorizationMessage;
  const verify = AuthorizationSignature.verifyAuthorizationSignature;

  describe('signs as AWS expects', () => {
    test('a 344-character signature in AWS\'s encoding that verifies with the certificate and the public key', () => {
      const keys = testKeys();
      const signature = sign(ASN_MESSAGE, keys.rsaKeyPem);
      expect(signature).toHaveLength(344);
      expect(signature).toMatch(SIGNATURE_FORMAT);
      expect(verify(ASN_MESSAGE, signature, keys.certificatePem)).toBe(true);
      expect(verify(ASN_MESSAGE, signature, keys.publicKeyPem)).toBe(true);
    });

    test('randomised (PSS): two signatures of one message differ, and both verify', () => {
      const keys = testKeys();
      const first = sign(ASN_MESSAGE, keys.rsaKeyPem);
      const second = sign(ASN_MESSAGE, keys.rsaKeyPem);
      expect(first).not.toBe(second);
      expect(verify(ASN_MESSAGE, first, keys.certificatePem)).toBe(true);
      expect(verify(ASN_MESSAGE, second, keys.certificatePem)).toBe(true);
    });

    test('verifiable by the openssl command line (decode, then openssl dgst -verify)', () => {
      const keys = testKeys();
      const message = '1|aws|123456789012|203.0.113.0/24|20991231|SHA256|RSAPSS';
      expect(opensslVerify(message, sign(message, keys.rsaKeyPem), keys.publicKey)).toBe(true);
      expect(opensslVerify(`${message}\n`, sign(message, keys.rsaKeyPem), keys.publicKey)).toBe(false);
      expect(opensslVerify(message, sign(message, read(keys.otherKey)), keys.publicKey)).toBe(false);
    });

    test('with a PKCS#1 key, and with encrypted keys given their passphrase', () => {
      const keys = testKeys();
      for (const file of [keys.rsaPkcs1Key, keys.encryptedKey, keys.encryptedPkcs1Key]) {
        const passphrase = file === keys.rsaPkcs1Key ? undefined : PASSPHRASE;
        expect(verify(ASN_MESSAGE, sign(ASN_MESSAGE, read(file), passphrase), keys.certificatePem)).toBe(true);
      }
    });

    test('ignores a passphrase given for a key that is not encrypted', () => {
      const keys = testKeys();
      expect(verify(ASN_MESSAGE, sign(ASN_MESSAGE, keys.rsaKeyPem, 'unused'), keys.certificatePem)).toBe(true);
    });
  });

  describe('verifies signatures made with the documented openssl pipeline', () => {
    test('344 characters, valid with the certificate, the public key and the one-line certificate', () => {
      const keys = testKeys();
      const signature = opensslSign(ASN_MESSAGE, keys.rsaKey);
      expect(signature).toHaveLength(344);
      expect(signature).toMatch(SIGNATURE_FORMAT);
      expect(verify(ASN_MESSAGE, signature, keys.certificatePem)).toBe(true);
      expect(verify(ASN_MESSAGE, signature, keys.publicKeyPem)).toBe(true);
      expect(verify(ASN_MESSAGE, signature, keys.oneLineCertificatePem)).toBe(true);
    });

    test('for a CIDR message too', () => {
      const keys = testKeys();
      const message = '1|aws|123456789012|2001:db8:1000::/48|20991231|SHA256|RSAPSS';
      expect(verify(message, opensslSign(message, keys.rsaKey), keys.certificatePem)).toBe(true);
    });
  });

  describe('returns false, without throwing, for a wrong signature', () => {
    let signature: string;
    beforeAll(() => {
      signature = sign(ASN_MESSAGE, testKeys().rsaKeyPem);
    });

    test('another message', () => {
      expect(verify(ASN_MESSAGE.replace('64496', '64497'), signature, testKeys().certificatePem)).toBe(false);
    });

    test('the message with a trailing newline (what `echo` without -n signs)', () => {
      expect(verify(ASN_MESSAGE, sign(`${ASN_MESSAGE}\n`, testKeys().rsaKeyPem), testKeys().certificatePem)).toBe(false);
    });

    test('another key\'s certificate', () => {
      expect(verify(ASN_MESSAGE, signature, testKeys().otherCertificatePem)).toBe(false);
    });

    test.each([
      ['truncated', (s: string) => s.slice(0, 340)],
      ['one character changed', (s: string) => `${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`],
      ['in plain base64', (s: string) => s.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/')],
      ['in base64url', (s: string) => s.replace(/~/g, '_').replace(/_+$/, '')],
      ['wrapped', (s: string) => `${s.slice(0, 64)}\n${s.slice(64)}`],
      ['empty', () => ''],
      ['not base64', () => 'not a signature!'],
    ])('%s', (_name, mangle) => {
      expect(verify(ASN_MESSAGE, mangle(signature), testKeys().certificatePem)).toBe(false);
    });
  });

  describe('refuses keys that cannot sign, with a clear message', () => {
    test('text that is not PEM', () => {
      expect(() => sign(ASN_MESSAGE, 'not a key')).toThrow(
        "The private key is not in PEM format: expected text that starts with '-----BEGIN PRIVATE KEY-----' (or 'RSA PRIVATE KEY', 'ENCRYPTED PRIVATE KEY').");
    });

    test('a certificate or a public key instead of the private key', () => {
      expect(() => sign(ASN_MESSAGE, testKeys().certificatePem)).toThrow(
        'The PEM text holds a certificate, not a private key. Sign with the private key whose certificate is in your RIR record.');
      expect(() => sign(ASN_MESSAGE, testKeys().publicKeyPem)).toThrow('The PEM text holds a public key, not a private key.');
    });

    test('an OpenSSH key', () => {
      expect(() => sign(ASN_MESSAGE, '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n')).toThrow(
        "The private key is in OpenSSH format, which node:crypto cannot read. Convert a copy to PKCS#8 PEM with 'ssh-keygen -p -m PKCS8 -f <copy-of-key>'.");
    });

    test('a damaged PEM key', () => {
      const damaged = testKeys().rsaKeyPem.replace(/^(-----BEGIN PRIVATE KEY-----\n)(.{10})/, '$1AAAAAAAAAA');
      expect(() => sign(ASN_MESSAGE, damaged)).toThrow(/^Cannot read the private key \(PRIVATE KEY\): .*Is the PEM text complete and unmodified\?$/);
    });

    test.each([
      ['PKCS#8', () => testKeys().encryptedKey],
      ['legacy PKCS#1', () => testKeys().encryptedPkcs1Key],
    ])('an encrypted %s key without its passphrase, or with a wrong one', (_name, file) => {
      const pem = read(file());
      expect(() => sign(ASN_MESSAGE, pem)).toThrow('The private key is encrypted: give its passphrase.');
      expect(() => sign(ASN_MESSAGE, pem, 'wrong')).toThrow('Cannot decrypt the private key: the passphrase is wrong.');
      expect(() => sign(ASN_MESSAGE, pem, '')).toThrow('Cannot decrypt the private key: the passphrase is wrong.');
    });

    test('an EC key', () => {
      expect(() => sign(ASN_MESSAGE, read(testKeys().ecKey))).toThrow(
        "The private key is an EC (elliptic curve) key; AWS requires an RSA key (RSASSA-PSS with SHA-256). Generate one with 'openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out private-key.pem'.");
    });

    test('an Ed25519 key', () => {
      expect(() => sign(ASN_MESSAGE, read(testKeys().ed25519Key))).toThrow(
        'The private key is an Ed25519 key; AWS requires an RSA key (RSASSA-PSS with SHA-256).');
    });

    test('an RSA key smaller than 2048 bits', () => {
      expect(() => sign(ASN_MESSAGE, read(testKeys().smallKey))).toThrow(
        'The RSA key has 1024 bits; use a key of at least 2048 bits (AWS documents 2048).');
    });
  });

  describe('refuses certificates and keys that cannot verify, with a clear message', () => {
    let signature: string;
    beforeAll(() => {
      signature = sign(ASN_MESSAGE, testKeys().rsaKeyPem);
    });

    test('text that is not PEM', () => {
      expect(() => verify(ASN_MESSAGE, signature, 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA')).toThrow(
        "The certificate or public key is not in PEM format: expected text with '-----BEGIN CERTIFICATE-----' or '-----BEGIN PUBLIC KEY-----'.");
    });

    test('a private key instead of the certificate', () => {
      expect(() => verify(ASN_MESSAGE, signature, testKeys().rsaKeyPem)).toThrow(
        'The PEM text holds a private key. Verify with the certificate that is in your RIR record (or its public key): that is what AWS uses.');
    });

    test('a damaged certificate', () => {
      const damaged = testKeys().certificatePem.replace(/^(-----BEGIN CERTIFICATE-----\n)(.{20})/, '$1AAAAAAAAAAAAAAAAAAAA');
      expect(() => verify(ASN_MESSAGE, signature, damaged)).toThrow(/^Cannot read the certificate or public key: .*Is the PEM text complete and unmodified\?$/);
    });

    test('a certificate for an EC key', () => {
      expect(() => verify(ASN_MESSAGE, signature, read(testKeys().ecCertificate))).toThrow(
        'The certificate holds an EC (elliptic curve) key; AWS requires an RSA key, so no signature from it can be valid.');
    });
  });
});

test('the library module exports only jsii-friendly classes (no free functions)', () => {
  // jsii rejects exported functions; the signing functions are static methods for that reason.
  const source = fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'prepare', 'authorization.ts'), 'utf8');
  expect(source).not.toMatch(/^export (async )?function /m);
  expect(source).not.toMatch(/^export (type|enum|const|let) /m);
});
