import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuthorizationSignature } from '../../lib/prepare/authorization';
import { main } from '../../lib/prepare/cli';
import { freezeTime, opensslSign, opensslVerify, PASSPHRASE, removeTestKeys, shell, testKeys } from './keys';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process, with its own environment (never the real one, so no passphrase leaks in). */
async function run(argv: string[], env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  });
  return { code, stdout, stderr };
}

const ACCOUNT = '123456789012';
const ASN_MESSAGE = '1|aws|123456789012|13335|20991231|SHA256|RSAPSS';

/** The arguments of a valid `sign`, with the key given; override or drop what a test needs. */
function signArgs(overrides: Record<string, string | undefined> = {}): string[] {
  const options: Record<string, string | undefined> = {
    '--account': ACCOUNT,
    '--asn': '13335',
    '--expires': '2099-12-31',
    '--key': testKeys().rsaKey,
    ...overrides,
  };
  return ['sign', ...Object.entries(options).flatMap(([k, v]) => (v === undefined ? [] : [k, v]))];
}

function parseContext(stdout: string): { message: string; signature: string } {
  expect(stdout.endsWith('\n')).toBe(true);
  expect(stdout.trimEnd().split('\n')).toHaveLength(1);
  const parsed = JSON.parse(stdout) as { message: string; signature: string };
  expect(Object.keys(parsed)).toEqual(['message', 'signature']);
  return parsed;
}

afterEach(() => {
  jest.useRealTimers();
});

afterAll(() => {
  removeTestKeys();
});

test('the first line of the CLI source is the shebang (tsc keeps it in lib/prepare/cli.js)', () => {
  const source = fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'prepare', 'cli.ts'), 'utf8');
  expect(source.split('\n')[0]).toBe('#!/usr/bin/env node');
  expect(source).toContain('if (require.main === module) {');
});

describe('help', () => {
  test.each([[['--help']], [['-h']], [['help']]])('%j prints the tool\'s help on stdout', async (argv) => {
    const result = await run(argv);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage: cdk-ipam-byoasn <command> \[options\]\n/);
    expect(result.stdout).toContain('  sign      Build the message for an ASN or a CIDR and sign it with your private key.');
    expect(result.stdout).toContain('  verify    Check a signature with your X.509 certificate or public key, as AWS will.');
    expect(result.stdout).toContain('  doctor    Check everything AWS will check (certificate, messages, the certificate in your');
    expect(result.stdout).toContain('Exit status: 0 success, 1 failure, 2 usage error.');
  });

  test.each([[['sign', '--help']], [['sign', '-h']], [['help', 'sign']], [signArgs({ '--help': '' }).filter((a) => a !== '')]])(
    '%j prints the help of sign', async (argv) => {
      const result = await run(argv);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/^Usage: cdk-ipam-byoasn sign --account ID \(--asn ASN \| --cidr CIDR\) --expires DATE --key FILE \[options\]\n/);
      for (const option of ['--account ID', '--asn ASN', '--cidr CIDR', '--expires DATE', '--key FILE', '--passphrase-env VAR', '--passphrase-file FILE', '--passphrase TEXT', '--cert FILE', '--not-publicly-advertisable']) {
        expect(result.stdout).toContain(`  ${option}`);
      }
      expect(result.stdout).toContain('Avoid it: the secret then shows in your shell\n                            history and in the process list.');
    });

  test.each([[['verify', '--help']], [['help', 'verify']]])('%j prints the help of verify', async (argv) => {
    const result = await run(argv);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage: cdk-ipam-byoasn verify --message MESSAGE --signature SIGNATURE \(--cert FILE \| --public-key FILE\)\n/);
    expect(result.stdout).toContain('Exit status 0 only when all of that holds.');
  });

  test('--version prints the package version', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });
});

describe('usage errors exit 2 and point at the help', () => {
  test.each([
    [[], 'cdk-ipam-byoasn: a command is required: sign, verify or doctor.\nRun \'cdk-ipam-byoasn --help\' for usage.\n'],
    [['frobnicate'], 'cdk-ipam-byoasn: unknown command \'frobnicate\'; the commands are sign, verify and doctor.\nRun \'cdk-ipam-byoasn --help\' for usage.\n'],
    [['--asn', '1'], 'cdk-ipam-byoasn: unknown option \'--asn\'; the command comes first: sign, verify or doctor.\nRun \'cdk-ipam-byoasn --help\' for usage.\n'],
    [['help', 'frobnicate'], 'cdk-ipam-byoasn: no help for \'frobnicate\'; the commands are sign, verify and doctor.\nRun \'cdk-ipam-byoasn --help\' for usage.\n'],
    [['help', 'toString'], 'cdk-ipam-byoasn: no help for \'toString\'; the commands are sign, verify and doctor.\nRun \'cdk-ipam-byoasn --help\' for usage.\n'],
  ])('%j', async (argv, stderr) => {
    expect(await run(argv)).toEqual({ code: 2, stdout: '', stderr });
  });

  test.each([
    ['an unknown option', [...signArgs(), '--frobnicate'], "unknown option '--frobnicate'."],
    ['an unexpected argument', [...signArgs(), 'extra'], "unexpected argument 'extra'."],
    ['an option without its value', [...signArgs({ '--key': undefined }), '--key'], '--key needs a value.'],
    ['a value that looks like an option', [...signArgs({ '--asn': undefined }), '--asn', '-5'], "--asn needs a value; to give a value that starts with '-', write --asn=VALUE."],
    ['a value for a flag', [...signArgs(), '--help=yes'], '--help takes no value.'],
    ['no --account', signArgs({ '--account': undefined }), '--account is required.'],
    ['no --expires', signArgs({ '--expires': undefined }), '--expires is required.'],
    ['no --key', signArgs({ '--key': undefined }), '--key is required.'],
    ['neither --asn nor --cidr', signArgs({ '--asn': undefined }), 'give --asn or --cidr.'],
    ['both --asn and --cidr', signArgs({ '--cidr': '1.1.1.0/24' }), 'give --asn or --cidr, not both: one message authorizes one resource.'],
    ['--not-publicly-advertisable with --asn', [...signArgs(), '--not-publicly-advertisable'], '--not-publicly-advertisable applies to --cidr only.'],
    ['two passphrase options', signArgs({ '--passphrase-env': 'P', '--passphrase': 'x' }), 'give at most one of --passphrase-env, --passphrase-file and --passphrase (got --passphrase-env, --passphrase).'],
  ])('sign: %s', async (_name, argv, message) => {
    expect(await run(argv)).toEqual({
      code: 2,
      stdout: '',
      stderr: `cdk-ipam-byoasn sign: ${message}\nRun 'cdk-ipam-byoasn sign --help' for usage.\n`,
    });
  });

  test.each([
    ['an unknown option', ['verify', '--message', 'm', '--signature', 's', '--cert', 'c', '--key', 'k'], "unknown option '--key'."],
    ['no --message', ['verify', '--signature', 's', '--cert', 'c'], '--message is required.'],
    ['no --signature', ['verify', '--message', 'm', '--cert', 'c'], '--signature is required.'],
    ['neither --cert nor --public-key', ['verify', '--message', 'm', '--signature', 's'], 'give --cert or --public-key.'],
    ['both --cert and --public-key', ['verify', '--message', 'm', '--signature', 's', '--cert', 'c', '--public-key', 'p'], 'give --cert or --public-key, not both.'],
  ])('verify: %s', async (_name, argv, message) => {
    expect(await run(argv)).toEqual({
      code: 2,
      stdout: '',
      stderr: `cdk-ipam-byoasn verify: ${message}\nRun 'cdk-ipam-byoasn verify --help' for usage.\n`,
    });
  });
});

describe('sign', () => {
  test('prints one line of JSON whose message is exact and whose signature verifies (library and openssl)', async () => {
    const keys = testKeys();
    const result = await run(signArgs());
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const context = parseContext(result.stdout);
    expect(context.message).toBe(ASN_MESSAGE);
    expect(context.signature).toMatch(/^[A-Za-z0-9~-]{342}__$/);
    expect(result.stdout).toBe(`{"message": "${ASN_MESSAGE}", "signature": "${context.signature}"}\n`);
    expect(AuthorizationSignature.verifyAuthorizationSignature(context.message, context.signature, keys.certificatePem)).toBe(true);
    expect(opensslVerify(context.message, context.signature, keys.publicKey)).toBe(true);
  });

  test('signs a CIDR message, and accepts YYYYMMDD', async () => {
    const result = await run(signArgs({ '--asn': undefined, '--cidr': '2001:db8:1000::/48', '--expires': '20991231' }));
    expect(result.code).toBe(0);
    expect(parseContext(result.stdout).message).toBe('1|aws|123456789012|2001:db8:1000::/48|20991231|SHA256|RSAPSS');
  });

  test('signs an IPv6 /56 with --not-publicly-advertisable, and refuses it without', async () => {
    const args = signArgs({ '--asn': undefined, '--cidr': '2600:1f00:1000:100::/56' });
    expect((await run(args)).stderr).toBe(
      "cdk-ipam-byoasn sign: --cidr '2600:1f00:1000:100::/56' is a /56; BYOIP accepts publicly advertisable IPv6 prefixes of /48 or shorter (lengths 0-48).\n");
    const result = await run([...args, '--not-publicly-advertisable']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(parseContext(result.stdout).message).toBe('1|aws|123456789012|2600:1f00:1000:100::/56|20991231|SHA256|RSAPSS');
  });

  test('warns on stderr about documentation ASNs and prefixes, and still signs', async () => {
    const asn = await run(signArgs({ '--asn': '64496' }));
    expect(asn.code).toBe(0);
    expect(asn.stderr).toBe('cdk-ipam-byoasn sign: warning: --asn 64496 is reserved for documentation (RFC 5398) (64496-64511): fine for examples, but AWS cannot provision it, and a deployment will refuse it. Use your own public ASN: 1-64495 (except 23456) or 131072-4199999999.\n');
    expect(parseContext(asn.stdout).message).toBe('1|aws|123456789012|64496|20991231|SHA256|RSAPSS');
    const cidr = await run(signArgs({ '--asn': undefined, '--cidr': '203.0.113.0/24' }));
    expect(cidr.code).toBe(0);
    expect(cidr.stderr).toMatch(/^cdk-ipam-byoasn sign: warning: --cidr '203\.0\.113\.0\/24' overlaps 203\.0\.113\.0\/24, TEST-NET-3/);
  });

  test('warns when the message expires within 7 days', async () => {
    freezeTime('2030-06-15T12:00:00Z');
    const result = await run(signArgs({ '--expires': '2030-06-20' }));
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('cdk-ipam-byoasn sign: warning: the message expires on 20300620, within 7 days; a deployment after that date will be refused.\n');
  });

  test('checks the signature against --cert, and refuses a key that does not match it', async () => {
    const keys = testKeys();
    expect((await run([...signArgs(), '--cert', keys.certificate])).code).toBe(0);
    expect(await run([...signArgs(), '--cert', keys.otherCertificate])).toEqual({
      code: 1,
      stdout: '',
      stderr: `cdk-ipam-byoasn sign: the key in ${keys.rsaKey} does not match the certificate in ${keys.otherCertificate}: AWS would refuse this signature. Sign with the private key of the certificate that is in your RIR record.\n`,
    });
  });

  describe('reads the passphrase of an encrypted key without putting it on the command line', () => {
    test.each([
      ['PKCS#8', () => testKeys().encryptedKey],
      ['legacy PKCS#1', () => testKeys().encryptedPkcs1Key],
    ])('from an environment variable (%s key)', async (_name, key) => {
      const result = await run(signArgs({ '--key': key(), '--passphrase-env': 'KEY_PASSPHRASE' }), { KEY_PASSPHRASE: PASSPHRASE });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(AuthorizationSignature.verifyAuthorizationSignature(ASN_MESSAGE, parseContext(result.stdout).signature, testKeys().certificatePem)).toBe(true);
    });

    test('from the first line of a file', async () => {
      const file = path.join(testKeys().dir, 'passphrase.txt');
      fs.writeFileSync(file, `${PASSPHRASE}\n`);
      const result = await run(signArgs({ '--key': testKeys().encryptedKey, '--passphrase-file': file }));
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(parseContext(result.stdout).message).toBe(ASN_MESSAGE);
    });

    test('or, discouraged, from the command line', async () => {
      expect((await run(signArgs({ '--key': testKeys().encryptedKey, '--passphrase': PASSPHRASE }))).code).toBe(0);
    });
  });

  describe('fails with exit 1 and says why', () => {
    const failure = (...lines: string[]) => ({ code: 1, stdout: '', stderr: lines.map((l) => `cdk-ipam-byoasn sign: ${l}\n`).join('') });

    test('an encrypted key without a passphrase: says which options give one', async () => {
      const key = testKeys().encryptedKey;
      expect(await run(signArgs({ '--key': key }))).toEqual(failure(
        `--key ${key}: The private key is encrypted: give its passphrase. Use --passphrase-env VAR (an environment variable that holds it) or --passphrase-file FILE.`));
    });

    test('a wrong passphrase', async () => {
      const key = testKeys().encryptedKey;
      expect(await run(signArgs({ '--key': key, '--passphrase-env': 'P' }), { P: 'wrong' })).toEqual(failure(
        `--key ${key}: Cannot decrypt the private key: the passphrase is wrong. Check --passphrase-env, --passphrase-file or --passphrase.`));
    });

    test('a passphrase variable that is not set, or empty', async () => {
      expect(await run(signArgs({ '--key': testKeys().encryptedKey, '--passphrase-env': 'NOPE' }))).toEqual(failure(
        '--passphrase-env NOPE: the environment variable NOPE is not set.'));
      expect(await run(signArgs({ '--key': testKeys().encryptedKey, '--passphrase-env': 'P' }), { P: '' })).toEqual(failure(
        '--passphrase-env P: the environment variable P is empty.'));
    });

    test('a missing passphrase file', async () => {
      const file = path.join(testKeys().dir, 'no-such-passphrase.txt');
      expect(await run(signArgs({ '--key': testKeys().encryptedKey, '--passphrase-file': file }))).toEqual(failure(
        `--passphrase-file ${file}: cannot read the passphrase file: no such file.`));
    });

    test('a missing key file', async () => {
      const file = path.join(testKeys().dir, 'no-such-key.pem');
      expect(await run(signArgs({ '--key': file }))).toEqual(failure(`--key ${file}: cannot read the private key: no such file.`));
    });

    test('a directory given as the key', async () => {
      const dir = testKeys().dir;
      expect(await run(signArgs({ '--key': dir }))).toEqual(failure(`--key ${dir}: cannot read the private key: it is a directory.`));
    });

    test('a key file that is not a PEM key', async () => {
      const file = path.join(testKeys().dir, 'garbage.pem');
      fs.writeFileSync(file, 'this is not a key\n');
      const result = await run(signArgs({ '--key': file }));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`^cdk-ipam-byoasn sign: --key ${file}: The private key is not in PEM format`));
    });

    test('the certificate given as the key', async () => {
      const file = testKeys().certificate;
      expect(await run(signArgs({ '--key': file }))).toEqual(failure(
        `--key ${file}: The PEM text holds a certificate, not a private key. Sign with the private key whose certificate is in your RIR record.`));
    });

    test.each([
      ['an EC key', () => testKeys().ecKey, 'an EC (elliptic curve) key'],
      ['an Ed25519 key', () => testKeys().ed25519Key, 'an Ed25519 key'],
    ])('%s', async (_name, key, what) => {
      expect(await run(signArgs({ '--key': key() }))).toEqual(failure(
        `--key ${key()}: The private key is ${what}; AWS requires an RSA key (RSASSA-PSS with SHA-256). Generate one with 'openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out private-key.pem'.`));
    });

    test('a key smaller than 2048 bits', async () => {
      const result = await run(signArgs({ '--key': testKeys().smallKey }));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('The RSA key has 1024 bits; use a key of at least 2048 bits (AWS documents 2048).');
    });

    test.each([
      ['2020-01-01', '--expires 20200101 is in the past (today is 20300615 UTC); the expiry must be today or later.'],
      ['2030-06-14', '--expires 20300614 is in the past (today is 20300615 UTC); the expiry must be today or later.'],
      ['next year', "--expires 'next year' is not a date; expected 'YYYY-MM-DD' or 'YYYYMMDD', e.g. '2027-12-31'."],
      ['31/12/2099', "--expires '31/12/2099' is not a date; expected 'YYYY-MM-DD' or 'YYYYMMDD', e.g. '2027-12-31'."],
      ['2099-02-30', "--expires '2099-02-30' is not a calendar date (no such month or day)."],
    ])('--expires %s', async (expires, message) => {
      freezeTime('2030-06-15T12:00:00Z');
      expect(await run(signArgs({ '--expires': expires }))).toEqual(failure(message));
    });

    test.each(['12345', '1234567890123', 'my-account', '1234 5678 9012'])('--account %p', async (account) => {
      expect(await run(signArgs({ '--account': account }))).toEqual(failure(
        `--account '${account}' is not an AWS account id; expected exactly 12 digits, e.g. '123456789012'.`));
    });

    test.each([
      ['AS13335', "--asn must be a whole number in asplain notation; got 'AS13335'. Allowed: 1-64495 (except 23456) or 131072-4199999999."],
      ['1.10', "--asn must be in asplain notation; got asdot '1.10'. Use 65546 instead."],
      ['64512', '--asn 64512 is a private ASN (RFC 6996) (64512-65534), not a public ASN. Allowed: 1-64495 (except 23456) or 131072-4199999999.'],
      ['23456', '--asn 23456 is AS_TRANS, reserved for 2-byte/4-byte translation (RFC 6793), not a public ASN. Allowed: 1-64495 (except 23456) or 131072-4199999999.'],
      ['99999999999', "--asn '99999999999' is larger than the largest ASN (4294967295). Allowed: 1-64495 (except 23456) or 131072-4199999999."],
    ])('--asn %s', async (asn, message) => {
      expect(await run(signArgs({ '--asn': asn }))).toEqual(failure(message));
    });

    test.each([
      ['192.168.0.0/16', "--cidr '192.168.0.0/16' overlaps 192.168.0.0/16, which is private (RFC 1918); only public address space can be brought to AWS."],
      ['1.1.1.1/24', "--cidr '1.1.1.1/24' has host bits set: the network address of this prefix is '1.1.1.0/24'."],
      ['1.1.1.0/28', "--cidr '1.1.1.0/28' is a /28; BYOIP accepts IPv4 prefixes of /24 or shorter (lengths 0-24)."],
      ['example.com', "--cidr 'example.com' is not an IPv4 or IPv6 CIDR. Expected a prefix such as '203.0.113.0/24' or '2001:db8:1000::/48'."],
    ])('--cidr %s', async (cidr, message) => {
      expect(await run(signArgs({ '--asn': undefined, '--cidr': cidr }))).toEqual(failure(message));
    });

    test('every bad value at once, before reading the key', async () => {
      expect(await run(signArgs({ '--account': '42', '--asn': '1.10', '--expires': 'soon', '--key': '/no/such/key.pem' }))).toEqual(failure(
        "--expires 'soon' is not a date; expected 'YYYY-MM-DD' or 'YYYYMMDD', e.g. '2027-12-31'.",
        "--asn must be in asplain notation; got asdot '1.10'. Use 65546 instead.",
        "--account '42' is not an AWS account id; expected exactly 12 digits, e.g. '123456789012'.",
      ));
      freezeTime('2030-06-15T12:00:00Z');
      expect(await run(signArgs({ '--account': '42', '--asn': '65535', '--expires': '2030-01-01' }))).toEqual(failure(
        '--asn 65535 is reserved (RFC 7300), not a public ASN. Allowed: 1-64495 (except 23456) or 131072-4199999999.',
        "--account '42' is not an AWS account id; expected exactly 12 digits, e.g. '123456789012'.",
        '--expires 20300101 is in the past (today is 20300615 UTC); the expiry must be today or later.',
      ));
    });
  });
});

describe('verify', () => {
  let signature: string;
  beforeAll(() => {
    signature = AuthorizationSignature.signAuthorizationMessage(ASN_MESSAGE, testKeys().rsaKeyPem);
  });

  const verifyArgs = (overrides: Record<string, string | undefined> = {}) => {
    const options: Record<string, string | undefined> = {
      '--message': ASN_MESSAGE,
      '--signature': signature,
      '--cert': testKeys().certificate,
      ...overrides,
    };
    return ['verify', ...Object.entries(options).flatMap(([k, v]) => (v === undefined ? [] : [k, v]))];
  };
  const failure = (message: string) => ({ code: 1, stdout: '', stderr: `cdk-ipam-byoasn verify: ${message}\n` });

  test('confirms a valid signature with exit 0', async () => {
    const cert = testKeys().certificate;
    expect(await run(verifyArgs())).toEqual({
      code: 0,
      stdout: `Valid: the signature matches the message and the key in ${cert}.\n`
        + 'The message authorizes account 123456789012 to bring ASN 13335 to AWS until 20991231 (UTC).\n',
      stderr: '',
    });
  });

  test('accepts the public key, and the one-line certificate copied from an RIR record', async () => {
    expect((await run(verifyArgs({ '--cert': undefined, '--public-key': testKeys().publicKey }))).code).toBe(0);
    const oneLine = path.join(testKeys().dir, 'one-line-certificate.pem');
    fs.writeFileSync(oneLine, shell(`tr -d '\\n' < ${testKeys().certificate}`));
    expect(fs.readFileSync(oneLine, 'utf8')).not.toContain('\n');
    expect((await run(verifyArgs({ '--cert': oneLine }))).code).toBe(0);
  });

  test('verifies a signature made with the documented openssl pipeline, for a CIDR', async () => {
    const message = '1|aws|123456789012|2600:1f00:1000::/48|20991231|SHA256|RSAPSS';
    const result = await run(verifyArgs({ '--message': message, '--signature': opensslSign(message, testKeys().rsaKey) }));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('The message authorizes account 123456789012 to bring CIDR 2600:1f00:1000::/48 to AWS until 20991231 (UTC).');
  });

  test('round trip: what sign prints, verify accepts', async () => {
    const signed = await run(signArgs({ '--asn': '4199999999' }));
    const context = parseContext(signed.stdout);
    const verified = await run(verifyArgs({ '--message': context.message, '--signature': context.signature }));
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('to bring ASN 4199999999 to AWS until 20991231 (UTC).');
  });

  describe('fails with exit 1 and says why', () => {
    test('another message', async () => {
      expect(await run(verifyArgs({ '--message': ASN_MESSAGE.replace('13335', '13336') }))).toEqual(failure(
        'invalid signature. The signature does not match this message and key: it was made with a different key, or for a different message (compare every character), or not with RSASSA-PSS/SHA-256 and a 32-byte salt.'));
    });

    test('another key', async () => {
      expect((await run(verifyArgs({ '--cert': testKeys().otherCertificate }))).stderr).toContain('The signature does not match this message and key');
    });

    test('a message signed with a trailing newline (echo without -n)', async () => {
      const withNewline = shell(
        "echo \"$MESSAGE\" | openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-1 -sign \"$KEY\" | openssl base64 | tr -- '+=/' '-_~' | tr -d '\\n'",
        { MESSAGE: ASN_MESSAGE, KEY: testKeys().rsaKey },
      );
      expect(await run(verifyArgs({ '--signature': withNewline }))).toEqual(failure(
        "invalid signature. The signature is for the message followed by a newline. Sign the message without one (printf '%s' or echo -n, or this tool's sign command)."));
    });

    test('a signature left in plain base64', async () => {
      const plain = signature.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/');
      expect(await run(verifyArgs({ '--signature': plain }))).toEqual(failure(
        "invalid signature. The signature looks like plain base64: AWS expects '+', '=' and '/' replaced by '-', '_' and '~' (tr -- '+=/' '-_~')."));
    });

    test('a truncated signature', async () => {
      expect(await run(verifyArgs({ '--signature': signature.slice(0, 340) }))).toEqual(failure(
        'invalid signature. The signature has 340 characters (255 bytes), but a signature by this 2048-bit key has 344 (256 bytes): it is truncated, or was made with another key.'));
    });

    test('a signature with a line break', async () => {
      expect(await run(verifyArgs({ '--signature': `${signature.slice(0, 64)}\n${signature.slice(64)}` }))).toEqual(failure(
        "invalid signature. The signature is not in AWS's encoding: base64 with '+=/' replaced by '-_~', a multiple of 4 characters, no spaces or line breaks."));
    });

    test('a valid signature of a malformed message', async () => {
      const message = '1|aws|123456789012|13335|2099-12-31|SHA256|RSAPSS';
      const malformed = AuthorizationSignature.signAuthorizationMessage(message, testKeys().rsaKeyPem);
      expect(await run(verifyArgs({ '--message': message, '--signature': malformed }))).toEqual(failure(
        `the signature is valid, but the message '${message}' does not have the format '1|aws|ACCOUNT|ASN-or-CIDR|YYYYMMDD|SHA256|RSAPSS' (12-digit account, a valid expiry date): AWS would refuse it.`));
    });

    test('a valid signature of an expired message', async () => {
      const message = '1|aws|123456789012|13335|20300101|SHA256|RSAPSS';
      const old = AuthorizationSignature.signAuthorizationMessage(message, testKeys().rsaKeyPem);
      freezeTime('2030-06-15T12:00:00Z');
      expect(await run(verifyArgs({ '--message': message, '--signature': old }))).toEqual(failure(
        'the signature is valid, but the message expired on 20300101; the expiry date must be today or later. Sign a new message with a later date.'));
    });

    test('a missing certificate file', async () => {
      const file = path.join(testKeys().dir, 'no-such-certificate.pem');
      expect(await run(verifyArgs({ '--cert': file }))).toEqual(failure(`--cert ${file}: cannot read the certificate: no such file.`));
    });

    test('the private key given as the certificate', async () => {
      const file = testKeys().rsaKey;
      expect(await run(verifyArgs({ '--cert': file }))).toEqual(failure(
        `--cert ${file}: The PEM text holds a private key. Verify with the certificate that is in your RIR record (or its public key): that is what AWS uses.`));
    });

    test('a certificate for an EC key', async () => {
      const file = testKeys().ecCertificate;
      expect(await run(verifyArgs({ '--cert': file }))).toEqual(failure(
        `--cert ${file}: The certificate holds an EC (elliptic curve) key; AWS requires an RSA key, so no signature from it can be valid.`));
    });
  });

  test('warns, and still succeeds, when the message expires within 7 days or the certificate has expired', async () => {
    const message = '1|aws|123456789012|13335|21000103|SHA256|RSAPSS';
    const soon = AuthorizationSignature.signAuthorizationMessage(message, testKeys().rsaKeyPem);
    // In 2100 the one-year test certificate has long expired.
    freezeTime('2100-01-01T00:00:00Z');
    const result = await run(verifyArgs({ '--message': message, '--signature': soon }));
    expect(result.code).toBe(0);
    const [first, second] = result.stderr.split('\n');
    expect(first).toBe('cdk-ipam-byoasn verify: warning: the message expires on 21000103, within 7 days; a deployment after that date will be refused.');
    expect(second).toMatch(new RegExp(`^cdk-ipam-byoasn verify: warning: the certificate in ${testKeys().certificate} expired on \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z; AWS reads the certificate from your RIR record, so publish one that is valid while you provision\\.$`));
  });
});
