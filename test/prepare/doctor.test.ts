/**
 * `cdk-ipam-byoasn doctor` and `AuthorizationDoctor`, offline: a local server on 127.0.0.1 plays IANA's RDAP
 * bootstrap, the five registries' RDAP servers (fixtures shaped as each presents its records) and RIPEstat's
 * and Routinator's RPKI validation answers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuthorizationDoctor, AuthorizationSignature, DoctorCheckStatus } from '../../lib/prepare';
import { main } from '../../lib/prepare/cli';
import { closedPort, FixtureServer, Reply, startFixtureServer } from './fixture-server';
import { freezeTime, removeTestKeys, testKeys } from './keys';
import { ASN_OF, autnumRecord, bootstrapFiles, certificateLines, Cidr, networkRecord, Paste, Rir } from './rdap-fixtures';

const ACCOUNT = '123456789012';

let server: FixtureServer;
/** What the fixture server answers: RDAP records by path, RPKI states by `ASN PREFIX`, paths that hang. */
const world = {
  records: new Map<string, unknown>(),
  roas: new Map<string, { status: string; roas?: Array<{ origin: string; prefix: string; max_length: number }> }>(),
  hang: new Set<string>(),
  broken: new Map<string, Reply>(),
};

beforeAll(async () => {
  server = await startFixtureServer();
  server.routes.push(
    (url) => (world.hang.has(url.pathname) ? { hang: true } : world.broken.get(url.pathname)),
    (url) => {
      const file = /^\/iana\/(asn|ipv4|ipv6)\.json$/.exec(url.pathname)?.[1];
      return file ? { json: bootstrapFiles(`${server.url}/`)[`${file}.json` as 'asn.json'] } : undefined;
    },
    (url) => {
      const record = world.records.get(url.pathname);
      return record === undefined ? undefined : { json: record };
    },
    (url) => {
      if (url.pathname !== '/ripestat/data/rpki-validation/data.json') {
        return undefined;
      }
      const [resource, prefix] = [url.searchParams.get('resource'), url.searchParams.get('prefix')];
      const roa = world.roas.get(`${resource} ${prefix}`) ?? { status: 'unknown' };
      return {
        json: {
          messages: [], see_also: [], version: '0.3', data_call_name: 'rpki-validation', status: 'ok', status_code: 200,
          data: { resource, prefix, validating_roas: (roa.roas ?? []).map((r) => ({ ...r, validity: roa.status })), status: roa.status, validator: 'routinator' },
        },
      };
    },
    (url) => {
      const match = /^\/routinator\/api\/v1\/validity\/AS(\d+)\/(.+)$/.exec(url.pathname);
      if (!match) {
        return undefined;
      }
      const roa = world.roas.get(`${match[1]} ${match[2]}`) ?? { status: 'unknown' };
      const state = roa.status === 'valid' ? 'valid' : roa.status === 'unknown' ? 'not-found' : 'invalid';
      return {
        json: {
          validated_route: {
            route: { origin_asn: `AS${match[1]}`, prefix: match[2] },
            validity: { state, reason: roa.status === 'invalid_length' ? 'length' : roa.status === 'invalid_asn' ? 'as' : undefined, description: 'fixture', VRPs: { matched: [], unmatched_as: [], unmatched_length: [] } },
          },
          generatedTime: '2025-01-01T00:00:00Z',
        },
      };
    },
  );
});

beforeEach(() => {
  world.records.clear();
  world.roas.clear();
  world.hang.clear();
  world.broken.clear();
});

afterEach(() => {
  jest.useRealTimers();
});

afterAll(async () => {
  await server.close();
  removeTestKeys();
});

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
  });
  return { code, stdout, stderr };
}

/** A YYYYMMDD `days` from today (UTC): inside the test certificate's year of validity. */
function inDays(days: number): string {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10).replace(/-/g, '');
}

function message(resource: string | number, options: { account?: string; expiry?: string } = {}): string {
  return `1|aws|${options.account ?? ACCOUNT}|${resource}|${options.expiry ?? inDays(30)}|SHA256|RSAPSS`;
}

function signed(text: string, key = testKeys().rsaKeyPem): string[] {
  return ['--message', text, '--signature', AuthorizationSignature.signAuthorizationMessage(text, key)];
}

/** The doctor's arguments pointed at the fixture server. */
function doctorArgs(asn: number, ...rest: string[]): string[] {
  return ['doctor', '--asn', String(asn), '--cert', testKeys().certificate,
    '--bootstrap-url', `${server.url}/iana/`, '--rpki-url', `${server.url}/ripestat/data/rpki-validation/data.json`, ...rest];
}

/** Publishes the ASN's autnum record at its registry, with the certificate pasted as given. */
function publishAutnum(rir: Rir, lines: string[], asn = ASN_OF[rir]): void {
  world.records.set(`/${rir}/autnum/${asn}`, autnumRecord(rir, `${server.url}/${rir}/`, lines, asn));
}

function publishNetwork(cidr: Cidr, rir: Rir, lines: string[]): void {
  world.records.set(`/${rir}/ip/${cidr}`, networkRecord(cidr, `${server.url}/${rir}/`, lines));
}

function pasted(paste: Paste, pem = testKeys().certificatePem): string[] {
  return ['Example Corp, network operations', ...certificateLines(pem, paste), 'Report abuse to abuse@example.com'];
}

function roa(prefix: string, states: Record<number, string>, roas?: Array<{ origin: string; prefix: string; max_length: number }>): void {
  for (const [asn, status] of Object.entries(states)) {
    world.roas.set(`${asn} ${prefix}`, { status, roas });
  }
}

interface ChecklistLine {
  readonly status: string;
  readonly summary: string;
  readonly fix?: string;
}

/** Reads the text checklist back: each check's status, summary and fix, with wrapped lines joined. */
function checklist(stdout: string): ChecklistLine[] {
  const checks: Array<{ status: string; summary: string; fix?: string }> = [];
  for (const text of stdout.split('\n')) {
    const head = /^ {2}(passed|warned|FAILED|not checked) +(.*)$/.exec(text);
    const current = checks[checks.length - 1];
    if (head) {
      checks.push({ status: head[1], summary: head[2] });
    } else if (current && text.startsWith(' '.repeat(15) + '-> ')) {
      current.fix = text.slice(18);
    } else if (current && text.startsWith(' '.repeat(18)) && current.fix !== undefined) {
      current.fix += ` ${text.trim()}`;
    } else if (current && text.startsWith(' '.repeat(15)) && current.fix === undefined) {
      current.summary += ` ${text.trim()}`;
    }
  }
  return checks;
}

function check(stdout: string, summaryStart: string): ChecklistLine {
  const found = checklist(stdout).find((c) => c.summary.startsWith(summaryStart));
  if (found === undefined) {
    throw new Error(`no check starting '${summaryStart}' in:\n${stdout}`);
  }
  return found;
}

/** A check as one line, status column included (wrapped lines joined), to compare with. */
function line(stdout: string, summaryStart: string): string {
  const found = check(stdout, summaryStart);
  return `  ${found.status.padEnd(13)}${found.summary}`;
}

function status(stdout: string, summaryStart: string): string {
  return check(stdout, summaryStart).status;
}

function fixOf(stdout: string, summaryStart: string): string | undefined {
  return check(stdout, summaryStart).fix;
}

// ---------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------

describe('a preparation in order', () => {
  test('passes every check and exits 0: ASN and CIDR found through the bootstrap, certificate over many lines, ROAs valid', async () => {
    publishAutnum('arin', pasted('wrapped'));
    publishNetwork('203.0.113.0/24', 'arin', pasted('chopped'));
    roa('203.0.113.0/24', { 64496: 'valid', 16509: 'valid', 14618: 'valid' });
    const before = server.requests.length;

    const result = await run(doctorArgs(64496, '--cidr', '203.0.113.0/24', '--account', ACCOUNT,
      ...signed(message(64496)), ...signed(message('203.0.113.0/24'))));

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`cdk-ipam-byoasn doctor: AS64496, 203.0.113.0/24; account ${ACCOUNT}`);
    expect(result.stdout).toContain(`Asked: ${server.url}/iana/ (IANA RDAP bootstrap), ${server.url}/arin/ (RDAP),`);
    expect(result.stdout).toContain(`${server.url}/ripestat/data/rpki-validation/data.json (RPKI validation)`);
    expect(line(result.stdout, 'AS64496: ')).toBe('  passed       AS64496: the certificate in ARIN record AS64496 has the same key as certificate.pem');
    expect(line(result.stdout, '203.0.113.0/24: the')).toBe('  passed       203.0.113.0/24: the certificate in ARIN record NET-203-0-113-0-1 has the same key as certificate.pem');
    expect(line(result.stdout, '203.0.113.0/24: AS64496')).toBe('  passed       203.0.113.0/24: AS64496 may originate it (a ROA covers /24)');
    expect(line(result.stdout, "203.0.113.0/24: Amazon's")).toBe("  passed       203.0.113.0/24: Amazon's AS16509 and AS14618 may originate it too");
    expect(lines[lines.length - 1]).toBe('0 failed, 0 warned, 14 passed, 0 not checked. Ready for cdk deploy.');
    expect(checklist(result.stdout)).toHaveLength(14);
    expect(lines.length).toBeLessThanOrEqual(30);

    // Only the services named in the output were asked.
    const asked = server.requests.slice(before).map((r) => r.replace(/\?.*$/, '?...')).sort();
    expect(asked).toEqual([
      '/arin/autnum/64496',
      '/arin/ip/203.0.113.0/24',
      '/iana/asn.json',
      '/iana/ipv4.json',
      '/ripestat/data/rpki-validation/data.json?...',
      '/ripestat/data/rpki-validation/data.json?...',
      '/ripestat/data/rpki-validation/data.json?...',
    ]);
  });

  test('the output stays short even when everything is wrong for three resources: at most 100 columns and 60 lines', async () => {
    publishAutnum('arin', pasted('one-line', testKeys().otherCertificatePem));
    roa('203.0.113.0/24', { 64496: 'unknown', 16509: 'unknown', 14618: 'unknown' });
    const result = await run(doctorArgs(64496, '--cidr', '203.0.113.0/24', '--cidr', '2001:db8:1000::/48', '--account', '210987654321',
      ...signed(message(64497, { expiry: '20200101' }), fs.readFileSync(testKeys().otherKey, 'utf8')),
      ...signed(message('203.0.113.0/24'))));
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(lines.length).toBeLessThanOrEqual(60);
    expect(lines[lines.length - 1]).toMatch(/^\d+ failed, \d+ warned, \d+ passed, \d+ not checked\. Fix what failed, run doctor again, then cdk deploy\.$/);
  });
});

describe('finds the certificate as each registry shows it, and compares it by public key', () => {
  test.each([
    ['arin', 'chopped', 'ARIN record AS64496'],
    ['ripe', 'wrapped', 'RIPE NCC record AS64497'],
    ['apnic', 'one-line', 'APNIC record AS64498'],
    ['lacnic', 'wrapped', 'LACNIC record AS64499'],
    ['afrinic', 'wrapped', 'AFRINIC record AS64500'],
  ] as const)('%s, pasted %s', async (rir, paste, record) => {
    publishAutnum(rir, pasted(paste));
    const result = await run(doctorArgs(ASN_OF[rir]));
    expect(status(result.stdout, `AS${ASN_OF[rir]}: `)).toBe('passed');
    expect(line(result.stdout, `AS${ASN_OF[rir]}: `)).toContain(`the certificate in ${record} has the same key as certificate.pem`);
    expect(result.code).toBe(0);
  });

  test('an RFC 9083 record asked with --rdap-url (no bootstrap), the certificate without BEGIN/END lines', async () => {
    publishAutnum('rfc9083', pasted('bare'));
    const before = server.requests.length;
    const result = await run(doctorArgs(64501, '--rdap-url', `${server.url}/rfc9083/`));
    expect(line(result.stdout, 'AS64501: ')).toBe('  passed       AS64501: the certificate in record XXXX-RIR has the same key as certificate.pem');
    expect(server.requests.slice(before)).toEqual(['/rfc9083/autnum/64501']);
    expect(result.stdout).toContain(`Asked: ${server.url}/rfc9083/ (RDAP)\n`);
  });

  test('follows a registry\'s redirect to the registry that holds the record, and names it', async () => {
    publishAutnum('ripe', pasted('one-line'));
    const other = await startFixtureServer();
    try {
      other.routes.push((url) => (url.pathname === '/rdap/autnum/64497' ? { location: `${server.url}/ripe/autnum/64497` } : undefined));
      const result = await run(doctorArgs(64497, '--rdap-url', `${other.url}/rdap/`));
      expect(line(result.stdout, 'AS64497: ')).toBe('  passed       AS64497: the certificate in RIPE NCC record AS64497 has the same key as certificate.pem');
      expect(result.stdout).toContain(`Asked: ${other.url}/rdap/ (RDAP), ${server.url}/ (redirect)\n`);
    } finally {
      await other.close();
    }
  });

  test.each([
    ['192.0.2.0/24', 'ripe', 'RIPE NCC record 192.0.2.0 - 192.0.2.255'],
    ['198.51.100.0/24', 'apnic', 'APNIC record 198.51.100.0 - 198.51.100.255'],
    ['2001:db8:1000::/48', 'arin', 'ARIN record NET6-2001-db8-1'],
  ] as const)('the network record of %s (%s), found through the longest bootstrap prefix', async (cidr, rir, record) => {
    publishAutnum('arin', pasted('one-line'));
    publishNetwork(cidr, rir, pasted('wrapped'));
    const result = await run(doctorArgs(64496, '--cidr', cidr));
    expect(status(result.stdout, `${cidr}: the certificate`)).toBe('passed');
    expect(line(result.stdout, `${cidr}: the certificate`)).toContain(`${cidr}: the certificate in ${record} has the same key`);
  });
});

describe('the RDAP record: what fails, and what to paste where', () => {
  test('a certificate with a different key fails, and says which record and what to paste there', async () => {
    publishAutnum('arin', pasted('one-line', testKeys().otherCertificatePem));
    const result = await run(doctorArgs(64496));
    expect(result.code).toBe(1);
    expect(line(result.stdout, 'AS64496: ')).toBe('  FAILED       AS64496: the certificate in ARIN record AS64496 has a different key from certificate.pem');
    expect(fixOf(result.stdout, 'AS64496: ')).toMatch(new RegExp('^Paste the one-line certificate \\(tr -d \'\\\\n\' < certificate\\.pem\\) into the Public Comments '
      + 'of AS64496 \\(ARIN Online\\) in place of the old one, or sign with the record\'s key\\. \\(Key SHA-256: record [0-9a-f]{16}, yours [0-9a-f]{16}\\.\\)$'));
  });

  test.each([
    ['arin', 'the Public Comments of AS64496 (ARIN Online)'],
    ['ripe', "a descr: line of the aut-num AS64497 (RIPE's RDAP shows descr:, not remarks:)"],
    ['apnic', 'a remarks: line of the aut-num AS64498'],
    ['afrinic', 'the remarks of AS64500 (AWS documents the certificate for ARIN, RIPE NCC and APNIC records only: ask AWS support first)'],
  ] as const)('a missing certificate fails (%s), and names the field to paste it into', async (rir, where) => {
    publishAutnum(rir, ['Example Corp, network operations']);
    const result = await run(doctorArgs(ASN_OF[rir]));
    expect(result.code).toBe(1);
    expect(status(result.stdout, `AS${ASN_OF[rir]}: no certificate in the remarks of`)).toBe('FAILED');
    expect(fixOf(result.stdout, `AS${ASN_OF[rir]}: `)).toBe(`Paste the one-line certificate (tr -d '\\n' < certificate.pem) into ${where}.`);
  });

  test('a certificate in a contact\'s remarks, not the record\'s, fails', async () => {
    const record = autnumRecord('arin', `${server.url}/arin/`, []);
    (record.entities as Array<Record<string, unknown>>)[0].remarks = [{ title: 'Registration Comments', description: certificateLines(testKeys().certificatePem, 'one-line') }];
    world.records.set('/arin/autnum/64496', record);
    const result = await run(doctorArgs(64496));
    expect(line(result.stdout, 'AS64496: ')).toBe('  FAILED       AS64496: the certificate is in the remarks of contact EXAMPLE-ARIN, not of ARIN record AS64496');
  });

  test('a certificate cut short fails as unreadable', async () => {
    publishAutnum('ripe', [certificateLines(testKeys().certificatePem, 'one-line')[0].slice(0, 700)]);
    const result = await run(doctorArgs(64497));
    expect(line(result.stdout, 'AS64497: ')).toBe('  FAILED       AS64497: RIPE NCC record AS64497 has a certificate that cannot be read (cut short, or changed?)');
  });

  test('an ASN the registry has no record of fails (HTTP 404)', async () => {
    const result = await run(doctorArgs(64496));
    expect(result.code).toBe(1);
    expect(line(result.stdout, 'AS64496: ')).toBe(`  FAILED       AS64496: ${server.url}/arin/autnum/64496 has no record for it`);
  });

  test('an ASN that the bootstrap names no registry for is not checked, and says why', async () => {
    const result = await run(doctorArgs(64511));
    expect(status(result.stdout, 'AS64511: ')).toBe('not checked');
    expect(line(result.stdout, 'AS64511: ')).toBe("  not checked  AS64511: IANA's RDAP bootstrap (asn.json) names no registry for AS64511");
    expect(fixOf(result.stdout, 'AS64511: ')).toMatch(/^AS64511 is not allocated to any registry/);
  });
});

describe('messages and signatures', () => {
  beforeEach(() => {
    publishAutnum('arin', pasted('one-line'));
  });

  test('a message for another account fails', async () => {
    const result = await run(doctorArgs(64496, '--account', '210987654321', ...signed(message(64496))));
    expect(result.code).toBe(1);
    expect(line(result.stdout, 'names account')).toBe('  FAILED       names account 123456789012, but you deploy to 210987654321');
    expect(fixOf(result.stdout, 'names account')).toBe('AWS accepts a message only in the account it names. Sign a new message: '
      + 'cdk-ipam-byoasn sign --account 210987654321 --asn 64496 --expires YYYY-MM-DD --key private-key.pem --cert certificate.pem');
  });

  test('a message for another ASN fails', async () => {
    const result = await run(doctorArgs(64496, ...signed(message(64497))));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('\nMessage for 64497\n');
    expect(line(result.stdout, 'authorizes')).toBe('  FAILED       authorizes ASN 64497, which is none of AS64496');
  });

  test('an expired message fails', async () => {
    freezeTime(new Date(Date.now()).toISOString());
    const result = await run(doctorArgs(64496, '--account', ACCOUNT, ...signed(message(64496, { expiry: '20240229' }))));
    expect(result.code).toBe(1);
    expect(line(result.stdout, 'expired on')).toBe('  FAILED       expired on 2024-02-29');
  });

  test('a message expiring within 7 days warns, and so does a certificate that expires before the message', async () => {
    const soon = await run(doctorArgs(64496, '--account', ACCOUNT, ...signed(message(64496, { expiry: inDays(3) }))));
    expect(soon.code).toBe(0);
    expect(status(soon.stdout, 'expires on')).toBe('warned');
    const late = await run(doctorArgs(64496, '--account', ACCOUNT, ...signed(message(64496, { expiry: '20991231' }))));
    expect(late.code).toBe(0);
    expect(line(late.stdout, 'valid until')).toMatch(/^ {2}warned {7}valid until \d{4}-\d\d-\d\d, before the message expires \(2099-12-31\)$/);
  });

  test('a bad signature fails: another key, and a signature cut short', async () => {
    const other = fs.readFileSync(testKeys().otherKey, 'utf8');
    const byOther = await run(doctorArgs(64496, ...signed(message(64496), other)));
    expect(byOther.code).toBe(1);
    expect(line(byOther.stdout, 'signature')).toBe('  FAILED       signature does not verify with certificate.pem');
    expect(fixOf(byOther.stdout, 'signature')).toMatch(/^The signature does not match this message and key: .* Sign a new message: cdk-ipam-byoasn sign /);
    const sig = AuthorizationSignature.signAuthorizationMessage(message(64496), testKeys().rsaKeyPem);
    const cut = await run(doctorArgs(64496, '--message', message(64496), '--signature', sig.slice(0, 340)));
    expect(fixOf(cut.stdout, 'signature')).toMatch(/^The signature has 340 characters/);
  });

  test('checks each message of several, and names the account not compared without --account', async () => {
    publishNetwork('203.0.113.0/24', 'arin', pasted('one-line'));
    roa('203.0.113.0/24', { 64496: 'valid', 16509: 'valid', 14618: 'valid' });
    const result = await run(doctorArgs(64496, '--cidr', '203.0.113.0/24', ...signed(message(64496)), ...signed(message('203.0.113.0/24'))));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('\nMessage for AS64496\n');
    expect(result.stdout).toContain('\nMessage for 203.0.113.0/24\n');
    expect(status(result.stdout, 'account 123456789012: not compared')).toBe('not checked');
    expect(result.stdout.split('\n').at(-2)).toBe('0 failed, 0 warned, 12 passed, 2 not checked. Nothing failed, but some checks did not run (see why above).');
  });

  test('a malformed message fails, and its signature is still checked', async () => {
    const result = await run(doctorArgs(64496, ...signed('1|aws|123456789012|64496|2099-12-31|SHA256|RSAPSS')));
    expect(line(result.stdout, "'1|aws")).toBe("  FAILED       '1|aws|123456789012|64496|2099-12-31|SHA256|RSAPSS' is not '1|aws|ACCOUNT|ASN-or-CIDR|YYYYMMDD|SHA256|RSAPSS'");
    expect(status(result.stdout, 'signature verified')).toBe('passed');
  });
});

describe('the certificate', () => {
  test.each([
    ['a 1024-bit key', () => testKeys().smallCertificate, 'holds an RSA key of 1024 bits; AWS requires 2048 or more'],
    ['an EC key', () => testKeys().ecCertificate, 'The certificate holds an EC (elliptic curve) key'],
    ['a public key, not a certificate', () => testKeys().publicKey, 'is a public key, not a certificate'],
    ['a private key', () => testKeys().rsaKey, 'The PEM text holds a private key.'],
  ])('%s fails', async (_name, file, text) => {
    publishAutnum('arin', pasted('one-line'));
    const result = await run(doctorArgs(64496).map((a) => (a === testKeys().certificate ? file() : a)));
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').find((l) => l.includes('FAILED'))).toContain(text);
  });

  test('an expired certificate fails', async () => {
    publishAutnum('arin', pasted('one-line'));
    freezeTime('2100-01-01T00:00:00Z');
    const result = await run(doctorArgs(64496));
    expect(result.code).toBe(1);
    expect(line(result.stdout, 'expired on')).toMatch(/^ {2}FAILED {7}expired on \d{4}-\d\d-\d\d: AWS refuses an expired certificate$/);
  });
});

describe('ROAs, from a public RPKI validation service', () => {
  beforeEach(() => {
    publishAutnum('arin', pasted('one-line'));
    publishNetwork('203.0.113.0/24', 'arin', pasted('one-line'));
  });

  const cidrArgs = () => doctorArgs(64496, '--cidr', '203.0.113.0/24');

  test('valid for the ASN and Amazon\'s ASNs passes; the service is asked with each ASN and the prefix', async () => {
    roa('203.0.113.0/24', { 64496: 'valid', 16509: 'valid', 14618: 'valid' });
    const before = server.requests.length;
    const result = await run(cidrArgs());
    expect(result.code).toBe(0);
    expect(server.requests.slice(before).filter((r) => r.startsWith('/ripestat/')).sort()).toEqual([
      '/ripestat/data/rpki-validation/data.json?resource=14618&prefix=203.0.113.0%2F24',
      '/ripestat/data/rpki-validation/data.json?resource=16509&prefix=203.0.113.0%2F24',
      '/ripestat/data/rpki-validation/data.json?resource=64496&prefix=203.0.113.0%2F24',
    ]);
  });

  test('invalid (another origin) fails, naming the origins the ROAs allow', async () => {
    roa('203.0.113.0/24', { 64496: 'invalid_asn', 16509: 'valid', 14618: 'valid' }, [{ origin: '16509', prefix: '203.0.113.0/24', max_length: 24 }, { origin: '14618', prefix: '203.0.113.0/24', max_length: 24 }]);
    const result = await run(cidrArgs());
    expect(result.code).toBe(1);
    expect(line(result.stdout, '203.0.113.0/24: ROAs')).toBe('  FAILED       203.0.113.0/24: ROAs cover it, but only for AS16509, AS14618, not AS64496');
    expect(fixOf(result.stdout, '203.0.113.0/24: ROAs')).toBe('At your RIR, create a ROA: origin AS64496, prefix 203.0.113.0/24 (or a covering one), max length 24 or more; keep the other origins you need.');
  });

  test('invalid (max length too short) fails', async () => {
    roa('203.0.113.0/24', { 64496: 'invalid_length', 16509: 'valid', 14618: 'valid' }, [{ origin: '64496', prefix: '203.0.112.0/22', max_length: 22 }]);
    const result = await run(cidrArgs());
    expect(line(result.stdout, '203.0.113.0/24: a ROA')).toBe('  FAILED       203.0.113.0/24: a ROA names AS64496, but its max length (/22) is shorter than /24');
  });

  test('not found fails, and a ROA missing for Amazon\'s ASNs warns', async () => {
    roa('203.0.113.0/24', { 64496: 'unknown', 16509: 'unknown', 14618: 'valid' });
    const result = await run(cidrArgs());
    expect(result.code).toBe(1);
    expect(line(result.stdout, '203.0.113.0/24: no ROA')).toBe('  FAILED       203.0.113.0/24: no ROA covers it');
    expect(line(result.stdout, '203.0.113.0/24: AS16509')).toBe('  warned       203.0.113.0/24: AS16509 may not originate it');
  });

  test('a Routinator\'s /api/v1/validity answers, through --rpki-url with {asn} and {prefix}', async () => {
    roa('203.0.113.0/24', { 64496: 'invalid_length', 16509: 'valid', 14618: 'valid' });
    const result = await run([...cidrArgs(), '--rpki-url', `${server.url}/routinator/api/v1/validity/AS{asn}/{prefix}`]);
    expect(status(result.stdout, '203.0.113.0/24: a ROA names AS64496')).toBe('FAILED');
    expect(status(result.stdout, "203.0.113.0/24: Amazon's")).toBe('passed');
    expect(result.stdout).toContain(`${server.url}/routinator/api/v1/validity/AS (RPKI validation)`);
  });
});

describe('network failures are "not checked", never a crash', () => {
  test('RDAP server down: not checked, and exit 0 when nothing failed', async () => {
    const port = await closedPort();
    const result = await run(doctorArgs(64496, '--rdap-url', `http://127.0.0.1:${port}/`));
    expect(result.code).toBe(0);
    expect(line(result.stdout, 'AS64496: ')).toBe(`  not checked  AS64496: could not read http://127.0.0.1:${port}/autnum/64496: connection refused`);
  });

  test('bootstrap and RPKI service down: not checked', async () => {
    const port = await closedPort();
    const result = await run([...doctorArgs(64496, '--cidr', '203.0.113.0/24'), '--bootstrap-url', `http://127.0.0.1:${port}/`, '--rpki-url', `http://127.0.0.1:${port}/rpki`]);
    expect(result.code).toBe(0);
    expect(status(result.stdout, 'AS64496: ')).toBe('not checked');
    expect(line(result.stdout, 'AS64496: ')).toBe(`  not checked  AS64496: could not read IANA's RDAP bootstrap http://127.0.0.1:${port}/asn.json: connection refused`);
    expect(line(result.stdout, '203.0.113.0/24: AS64496')).toBe(`  not checked  203.0.113.0/24: AS64496: could not ask http://127.0.0.1:${port}/rpki: connection refused`);
  });

  test('a server that never answers: not checked after --timeout', async () => {
    world.hang.add('/arin/autnum/64496');
    const started = Date.now();
    const result = await run(doctorArgs(64496, '--timeout', '0.5'));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(line(result.stdout, 'AS64496: ')).toBe(`  not checked  AS64496: could not read ${server.url}/arin/autnum/64496: no answer within 0.5 s`);
  });

  test.each([
    [{ status: 503, text: 'busy' }, 'it answered HTTP 503'],
    [{ text: '<html>maintenance</html>' }, 'its answer is not JSON'],
  ])('an answer that is not a record (%j): not checked', async (reply, reason) => {
    world.broken.set('/arin/autnum/64496', reply);
    const result = await run(doctorArgs(64496));
    expect(line(result.stdout, 'AS64496: ')).toBe(`  not checked  AS64496: could not read ${server.url}/arin/autnum/64496: ${reason}`);
  });
});

describe('--rdap-file: a saved record, no RDAP network at all', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(testKeys().dir, 'rdap-'));
  });

  function save(name: string, record: unknown): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify(record, null, 2));
    return file;
  }

  test('checks the saved record and asks no service', async () => {
    const file = save('as64497.json', autnumRecord('ripe', 'https://rdap.db.ripe.net/', pasted('wrapped')));
    const before = server.requests.length;
    const result = await run(doctorArgs(64497, '--rdap-file', file));
    expect(result.code).toBe(0);
    expect(server.requests.length).toBe(before);
    expect(result.stdout).toContain('\nAsked: no network service\n');
    expect(line(result.stdout, 'AS64497: ')).toBe('  passed       AS64497: the certificate in RIPE NCC record AS64497 has the same key as certificate.pem');
  });

  test('matches each saved record to the ASN or CIDR it covers; only the ROAs go to the network', async () => {
    const asn = save('as64496.json', autnumRecord('arin', 'https://rdap.arin.net/registry/', pasted('one-line', testKeys().otherCertificatePem)));
    const net = save('net.json', networkRecord('203.0.113.0/24', 'https://rdap.arin.net/registry/', pasted('chopped')));
    roa('203.0.113.0/24', { 64496: 'valid', 16509: 'valid', 14618: 'valid' });
    const before = server.requests.length;
    const result = await run(doctorArgs(64496, '--cidr', '203.0.113.0/24', '--cidr', '192.0.2.0/24', '--rdap-file', net, '--rdap-file', asn));
    expect(server.requests.slice(before).every((r) => r.startsWith('/ripestat/'))).toBe(true);
    expect(status(result.stdout, 'AS64496: ')).toBe('FAILED');
    expect(status(result.stdout, '203.0.113.0/24: the certificate')).toBe('passed');
    expect(line(result.stdout, '192.0.2.0/24: none')).toBe('  not checked  192.0.2.0/24: none of the saved records (--rdap-file) is its record');
  });

  test('a file that is not JSON is an error (exit 1), and --rdap-url with --rdap-file a usage error', async () => {
    const file = path.join(dir, 'page.html');
    fs.writeFileSync(file, '<html></html>');
    const result = await run(doctorArgs(64496, '--rdap-file', file));
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `cdk-ipam-byoasn doctor: --rdap-file ${file}: the file is not JSON. Save the registry's answer as it is: curl -s https://rdap.arin.net/registry/autnum/64496 > ${file}\n`,
    });
    expect((await run(doctorArgs(64496, '--rdap-file', file, '--rdap-url', 'https://rdap.arin.net/registry/'))).code).toBe(2);
  });
});

describe('--json', () => {
  test('prints the checklist as JSON, with the same exit status', async () => {
    publishAutnum('arin', ['no certificate here']);
    const result = await run(doctorArgs(64496, '--json'));
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { ok: boolean; subject: string; services: string[]; summary: Record<string, number>; checks: Array<Record<string, string>> };
    expect(report.ok).toBe(false);
    expect(report.subject).toBe('AS64496');
    expect(report.services).toEqual([`${server.url}/iana/ (IANA RDAP bootstrap)`, `${server.url}/arin/ (RDAP)`]);
    expect(report.summary).toEqual({ failed: 1, warned: 0, passed: 2, notChecked: 2 });
    expect(report.checks.find((c) => c.section === 'RDAP record')).toEqual({
      section: 'RDAP record',
      status: 'failed',
      summary: 'AS64496: no certificate in the remarks of ARIN record AS64496',
      fix: "Paste the one-line certificate (tr -d '\\n' < certificate.pem) into the Public Comments of AS64496 (ARIN Online).",
      service: `${server.url}/arin/autnum/64496`,
    });
  });
});

describe('usage', () => {
  test.each([
    ['no --asn', ['doctor', '--cert', 'c.pem'], '--asn is required.'],
    ['no --cert', ['doctor', '--asn', '64496'], '--cert is required.'],
    ['a message without its signature', ['doctor', '--asn', '1', '--cert', 'c', '--message', 'm'], 'give --message and --signature in pairs (got 1 --message and 0 --signature).'],
    ['a bad timeout', ['doctor', '--asn', '1', '--cert', 'c', '--timeout', 'soon'], "--timeout 'soon' is not a number of seconds from 0.1 to 300."],
    ['a URL that is not one', ['doctor', '--asn', '1', '--cert', 'c', '--rpki-url', 'stat.ripe.net'], "--rpki-url 'stat.ripe.net' is not an http(s) URL."],
  ])('%s exits 2', async (_name, argv, message) => {
    expect(await run(argv)).toEqual({ code: 2, stdout: '', stderr: `cdk-ipam-byoasn doctor: ${message}\nRun 'cdk-ipam-byoasn doctor --help' for usage.\n` });
  });

  test('bad values exit 1 with every problem', async () => {
    const result = await run(['doctor', '--asn', '64496', '--cert', testKeys().certificate, '--cidr', '10.0.0.0/8', '--account', '42']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cdk-ipam-byoasn doctor: --cidr '10.0.0.0/8' overlaps 10.0.0.0/8, which is private (RFC 1918)");
    expect(result.stderr).toContain("cdk-ipam-byoasn doctor: --account '42' is not an AWS account id");
  });

  test('--help and help doctor print the help', async () => {
    for (const argv of [['doctor', '--help'], ['help', 'doctor']]) {
      const result = await run(argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: cdk-ipam-byoasn doctor --asn ASN --cert FILE/);
      expect(Math.max(...result.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
    }
  });
});

describe('AuthorizationDoctor (the library)', () => {
  test('returns the report; ok is false when a check failed', async () => {
    publishAutnum('arin', pasted('one-line'));
    const report = await AuthorizationDoctor.check({
      asn: 64496,
      certificatePem: testKeys().certificatePem,
      rdapUrl: `${server.url}/arin/`,
      authorizations: [{ message: message(64496), signature: 'not-a-signature' }],
      account: ACCOUNT,
    });
    expect(report.ok).toBe(false);
    expect(report.count(DoctorCheckStatus.FAILED)).toBe(1);
    expect(report.checks.find((c) => c.status === DoctorCheckStatus.FAILED)?.summary).toBe('signature does not verify with the certificate');
    expect(report.services).toEqual([`${server.url}/arin/ (RDAP)`]);
    expect(report.toText()).toContain('the certificate in ARIN record AS64496 has the same key as the certificate');
  });

  test('throws for inputs that are not valid, listing every problem', async () => {
    await expect(AuthorizationDoctor.check({ asn: 64512, certificatePem: '', cidrs: ['203.0.113.1/24'], rdapRecords: ['{'] })).rejects.toThrow([
      'AuthorizationDoctor.check: asn 64512 is a private ASN (RFC 6996) (64512-65534), not a public ASN. Allowed: 1-64495 (except 23456) or 131072-4199999999.',
      "AuthorizationDoctor.check: cidr '203.0.113.1/24' has host bits set: the network address of this prefix is '203.0.113.0/24'.",
    ].join('\n'));
  });
});
