#!/usr/bin/env node
/**
 * `cdk-ipam-byoasn`: build, sign and verify the authorization context for an ASN or a BYOIP CIDR, offline, and
 * check the whole preparation (certificate, messages, RDAP records, ROAs) before `cdk deploy`.
 *
 *   cdk-ipam-byoasn sign --account 123456789012 --asn 64496 --expires 2027-12-31 --key private-key.pem
 *   cdk-ipam-byoasn verify --message '1|aws|...' --signature '...' --cert certificate.pem
 *   cdk-ipam-byoasn doctor --asn 64496 --cidr 203.0.113.0/24 --cert certificate.pem --message '...' --signature '...'
 *
 * `main` takes its arguments and its I/O as parameters so that tests run it in-process. Exit status: 0 success,
 * 1 failure (bad value, unusable key, invalid signature), 2 usage error.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AuthorizationExpiry, AuthorizationMessage } from './authorization';
import { AuthorizationDoctor, DoctorReport } from './doctor';
import {
  AuthorizationKeyError,
  checkSignature,
  readVerificationKey,
  signAuthorizationMessage,
  VerificationKey,
} from './private/signing';
import { checkAuthorizationContext, checkCidr, Finding, parseAsn, parseAuthorizationMessage } from '../private/validation';

/** Where the CLI writes, reads files and finds environment variables; injectable for tests. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Reads a UTF-8 text file. @default fs.readFileSync(file, 'utf8') */
  readonly readFile?: (file: string) => string;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const TOOL = 'cdk-ipam-byoasn';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

const COMMANDS: readonly string[] = ['sign', 'verify', 'doctor'];

/** A problem with the command line itself: exit 2, and point at --help. */
class UsageError extends Error {
}

/** A problem with a value, a file or a key: exit 1. */
class CliError extends Error {
}

// ---------------------------------------------------------------------------------------------------------
// Help
// ---------------------------------------------------------------------------------------------------------

const TOOL_HELP = `Usage: ${TOOL} <command> [options]

Builds, signs and verifies the authorization context (message and signature) that AWS
requires to bring your own ASN, or a BYOIP CIDR, to Amazon VPC IPAM, and checks the whole
preparation before you deploy.

Commands:
  sign      Build the message for an ASN or a CIDR and sign it with your private key.
            Prints {"message": ..., "signature": ...} for the construct's authorizationContext.
  verify    Check a signature with your X.509 certificate or public key, as AWS will.
  doctor    Check everything AWS will check (certificate, messages, the certificate in your
            RDAP records, the ROAs) before cdk deploy, and say what to fix.
  help      Show help for a command: ${TOOL} help sign

Options:
  -h, --help       Show this help. Each command has its own: ${TOOL} sign --help
  -v, --version    Show the version.

Exit status: 0 success, 1 failure, 2 usage error.
`;

const SIGN_HELP = `Usage: ${TOOL} sign --account ID (--asn ASN | --cidr CIDR) --expires DATE --key FILE [options]

Builds the message 1|aws|ACCOUNT|ASN-or-CIDR|YYYYMMDD|SHA256|RSAPSS, signs it with RSASSA-PSS
(SHA-256, 32-byte salt) and prints one line of JSON, ready to paste as the construct's
authorizationContext:
  {"message": "1|aws|...|SHA256|RSAPSS", "signature": "..."}

Required:
  --account ID              The 12-digit AWS account that will provision the ASN or CIDR.
  --asn ASN                 The ASN to authorize, in asplain notation (e.g. 64496).
  --cidr CIDR               Or the BYOIP CIDR to authorize (e.g. 203.0.113.0/24). Give exactly
                            one of --asn and --cidr.
  --expires DATE            The expiry date (UTC), YYYY-MM-DD or YYYYMMDD; today or later.
  --key FILE                The RSA private key (PEM) whose certificate is in your RIR record.

Options:
  --passphrase-env VAR      Read the passphrase of an encrypted key from environment variable VAR.
  --passphrase-file FILE    Read the passphrase from the first line of FILE.
  --passphrase TEXT         The passphrase itself. Avoid it: the secret then shows in your shell
                            history and in the process list. Give at most one passphrase option.
  --cert FILE               Also verify the signature with this certificate (the one in your RIR
                            record): catches a key that does not match it.
  --not-publicly-advertisable
                            With --cidr: the CIDR will not be publicly advertised (IPv6 up to /56
                            instead of /48).
  -h, --help                Show this help.

Example:
  ${TOOL} sign --account 123456789012 --asn 64496 --expires 2027-12-31 \\
    --key private-key.pem --passphrase-env KEY_PASSPHRASE
`;

const VERIFY_HELP = `Usage: ${TOOL} verify --message MESSAGE --signature SIGNATURE (--cert FILE | --public-key FILE)

Checks that SIGNATURE is a valid RSASSA-PSS/SHA-256 signature of MESSAGE by the key in your
X.509 certificate, as AWS does with the certificate in your RIR record, and that the message
has the documented format and has not expired. Exit status 0 only when all of that holds.

Required:
  --message MESSAGE         The authorization message, e.g. '1|aws|123456789012|64496|20271231|SHA256|RSAPSS'
                            (quote it: '|' is special to the shell).
  --signature SIGNATURE     The encoded signature.
  --cert FILE               The X.509 certificate (PEM; the one-line form from the RIR record works too).
  --public-key FILE         Or the RSA public key (PEM). Give exactly one of --cert and --public-key.

Options:
  -h, --help                Show this help.
`;

const DOCTOR_HELP = `Usage: ${TOOL} doctor --asn ASN --cert FILE [--cidr CIDR ...]
         [--message MESSAGE --signature SIGNATURE ...] [--account ID] [options]

Checks, before cdk deploy, what AWS checks when it provisions your ASN and BYOIP CIDRs, and
prints a checklist: each check passed, warned, failed or not checked (with why), and what to
fix. Exit status 0 only when nothing failed.

  - the certificate: readable, RSA of 2048 bits or more, valid today;
  - each message and signature: format, ASN or CIDR, account, expiry, signature;
  - the RDAP record of the ASN and of each CIDR: the certificate is there, with your key;
  - the ROA of each CIDR: your ASN (and Amazon's AS16509 and AS14618) may originate it.

Required:
  --asn ASN                 Your ASN, in asplain notation (e.g. 64496).
  --cert FILE               The certificate in your RIR records (PEM; the one-line form works).

Options:
  --cidr CIDR               A BYOIP CIDR to check too. Repeat for each CIDR.
  --message MESSAGE         An authorization message, with the --signature that follows it.
  --signature SIGNATURE     Repeat the pair for the ASN's message and each CIDR's.
  --account ID              The AWS account you deploy to: each message must name it.
  --json                    Print the checklist as JSON.

Network (every service asked is named in the output; a service that does not answer makes
its checks "not checked"):
  --rdap-file FILE          Check a saved RDAP record (curl -s URL > FILE) instead of asking
                            any registry: no RDAP request at all. Repeat for each record.
  --rdap-url URL            Ask this RDAP server (e.g. https://rdap.db.ripe.net/) instead of
                            the one IANA's bootstrap (https://data.iana.org/rdap/) names.
  --bootstrap-url URL       Read IANA's bootstrap files (asn.json, ipv4.json, ipv6.json) here.
  --rpki-url URL            The RPKI validation service. Default: RIPEstat's rpki-validation
                            (https://stat.ripe.net/data/rpki-validation/data.json). A URL with
                            {asn} and {prefix} works too, e.g. a Routinator's
                            http://HOST:8323/api/v1/validity/AS{asn}/{prefix}.
  --timeout SECONDS         The timeout of each request (default 10).
  -h, --help                Show this help.

Example:
  ${TOOL} doctor --asn 64496 --cidr 203.0.113.0/24 --cert certificate.pem \\
    --account 123456789012 \\
    --message '1|aws|123456789012|64496|20271231|SHA256|RSAPSS' --signature '...'
`;

// ---------------------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------------------

/**
 * Runs the CLI with the arguments after the program name, e.g. `['sign', '--asn', '64496', ...]`.
 * Resolves to the exit status; never throws for bad input.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'sign':
        return sign(rest, io);
      case 'verify':
        return verify(rest, io);
      case 'doctor':
        return await doctor(rest, io);
      case 'help':
        return help(rest, io);
      case '-h':
      case '--help':
        io.stdout.write(TOOL_HELP);
        return EXIT_OK;
      case '-v':
      case '--version':
        io.stdout.write(`${version()}\n`);
        return EXIT_OK;
      case undefined:
        throw new UsageError('a command is required: sign, verify or doctor.');
      default:
        throw new UsageError(command.startsWith('-')
          ? `unknown option '${command}'; the command comes first: sign, verify or doctor.`
          : `unknown command '${command}'; the commands are sign, verify and doctor.`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      const prefix = command !== undefined && COMMANDS.includes(command) ? `${TOOL} ${command}` : TOOL;
      io.stderr.write(`${prefix}: ${e.message}\nRun '${prefix} --help' for usage.\n`);
      return EXIT_USAGE;
    }
    if (e instanceof CliError) {
      io.stderr.write(`${TOOL} ${command}: ${e.message}\n`);
      return EXIT_FAILURE;
    }
    throw e;
  }
}

function help(args: readonly string[], io: CliIo): number {
  const texts = new Map([['sign', SIGN_HELP], ['verify', VERIFY_HELP], ['doctor', DOCTOR_HELP]]);
  if (args.length === 0) {
    io.stdout.write(TOOL_HELP);
    return EXIT_OK;
  }
  const text = texts.get(args[0]);
  if (text === undefined || args.length > 1) {
    throw new UsageError(`no help for '${args.join(' ')}'; the commands are sign, verify and doctor.`);
  }
  io.stdout.write(text);
  return EXIT_OK;
}

// ---------------------------------------------------------------------------------------------------------
// sign
// ---------------------------------------------------------------------------------------------------------

function sign(args: readonly string[], io: CliIo): number {
  const values = parse(args, {
    'account': { type: 'string' },
    'asn': { type: 'string' },
    'cidr': { type: 'string' },
    'expires': { type: 'string' },
    'key': { type: 'string' },
    'passphrase-env': { type: 'string' },
    'passphrase-file': { type: 'string' },
    'passphrase': { type: 'string' },
    'cert': { type: 'string' },
    'not-publicly-advertisable': { type: 'boolean' },
    'help': { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(SIGN_HELP);
    return EXIT_OK;
  }
  const account = required(values, 'account');
  const expires = required(values, 'expires');
  const keyFile = required(values, 'key');
  const asnText = str(values.asn);
  const cidr = str(values.cidr);
  if ((asnText === undefined) === (cidr === undefined)) {
    throw new UsageError(asnText === undefined ? 'give --asn or --cidr.' : 'give --asn or --cidr, not both: one message authorizes one resource.');
  }
  if (values['not-publicly-advertisable'] && cidr === undefined) {
    throw new UsageError('--not-publicly-advertisable applies to --cidr only.');
  }
  const publiclyAdvertisable = !values['not-publicly-advertisable'];
  const passphraseOptions = ['passphrase-env', 'passphrase-file', 'passphrase'].filter((o) => values[o] !== undefined);
  if (passphraseOptions.length > 1) {
    throw new UsageError(`give at most one of --passphrase-env, --passphrase-file and --passphrase (got ${passphraseOptions.map((o) => `--${o}`).join(', ')}).`);
  }

  const { message, resource, kind, warnings } = buildMessage({ account, expires, asnText, cidr, publiclyAdvertisable });

  const passphrase = readPassphrase(values, io);
  const keyPem = readText(io, keyFile, '--key', 'private key');
  let signature: string;
  try {
    signature = signAuthorizationMessage(message, keyPem, passphrase);
  } catch (e) {
    throw keyError(e, '--key', keyFile);
  }

  const certFile = str(values.cert);
  if (certFile !== undefined) {
    const certificate = readKeyFile(io, certFile, '--cert');
    const check = checkSignature(message, signature, certificate);
    if (!check.valid) {
      throw new CliError(`the key in ${keyFile} does not match the certificate in ${certFile}: AWS would refuse this signature. Sign with the private key of the certificate that is in your RIR record.`);
    }
  }

  // The construct's own message checks, for their warning that the expiry is near.
  const messageFindings = checkAuthorizationContext(message, signature, { resource, kind });
  warnings.push(...messageFindings.filter((f) => f.severity === 'warning').map((f) => plain(f.message)));
  for (const warning of warnings) {
    io.stderr.write(`${TOOL} sign: warning: ${warning}\n`);
  }
  // Hand-formatted so that the line reads like the TypeScript object it becomes; it is still plain JSON.
  io.stdout.write(`{"message": ${JSON.stringify(message)}, "signature": ${JSON.stringify(signature)}}\n`);
  return EXIT_OK;
}

interface MessageInputs {
  readonly account: string;
  readonly expires: string;
  readonly asnText?: string;
  readonly cidr?: string;
  readonly publiclyAdvertisable: boolean;
}

interface BuiltMessage {
  readonly message: string;
  /** The ASN (asplain) or CIDR, as the message names it. */
  readonly resource: string;
  readonly kind: 'asn' | 'cidr';
  /** Warnings about the values (documentation ASNs and prefixes); the caller adds its own. */
  readonly warnings: string[];
}

/** Checks the values and builds the message; reports every problem at once, before the key is touched. */
function buildMessage(inputs: MessageInputs): BuiltMessage {
  const { account, expires, asnText, cidr, publiclyAdvertisable } = inputs;
  const problems: string[] = [];
  let expiry: AuthorizationExpiry | undefined;
  try {
    expiry = AuthorizationExpiry.fromString(expires);
  } catch (e) {
    problems.push(...forOptions((e as Error).message));
  }
  // The string forms that only the CLI sees (asdot, 'AS64496', ...) are parsed here; AuthorizationMessage checks
  // the account, that the expiry is not in the past, and the resource again.
  let asn: number | undefined;
  let resourceFindings: Finding[];
  if (asnText !== undefined) {
    const parsed = parseAsn(asnText, '--asn');
    asn = parsed.asn;
    resourceFindings = parsed.findings;
  } else {
    resourceFindings = checkCidr(cidr, { property: '--cidr', publiclyAdvertisable });
  }
  problems.push(...errorsOf(resourceFindings));
  let message: string | undefined;
  if (expiry !== undefined && (asnText === undefined || asn !== undefined)) {
    try {
      message = asn !== undefined
        ? AuthorizationMessage.forAsn({ account, asn, expiry })
        : AuthorizationMessage.forCidr({ account, cidr: cidr!, expiry, publiclyAdvertisable });
    } catch (e) {
      problems.push(...forOptions((e as Error).message));
    }
  } else if (!/^\d{12}$/.test(account)) {
    problems.push(`--account '${account}' is not an AWS account id; expected exactly 12 digits, e.g. '123456789012'.`);
  }
  // A resource problem comes both from parseAsn/checkCidr and from AuthorizationMessage: report it once.
  const unique = [...new Set(problems)];
  if (unique.length > 0 || message === undefined) {
    throw new CliError(unique.join(`\n${TOOL} sign: `));
  }
  return {
    message,
    resource: asn !== undefined ? String(asn) : cidr!,
    kind: asn !== undefined ? 'asn' : 'cidr',
    warnings: resourceFindings.filter((f) => f.severity === 'warning').map((f) => f.message),
  };
}

function readPassphrase(values: ParsedValues, io: CliIo): string | undefined {
  const envName = str(values['passphrase-env']);
  if (envName !== undefined) {
    const env = io.env ?? process.env;
    const value = env[envName];
    if (value === undefined) {
      throw new CliError(`--passphrase-env ${envName}: the environment variable ${envName} is not set.`);
    }
    if (value === '') {
      throw new CliError(`--passphrase-env ${envName}: the environment variable ${envName} is empty.`);
    }
    return value;
  }
  const file = str(values['passphrase-file']);
  if (file !== undefined) {
    // The first line, so that a file written with `echo` (trailing newline) works.
    const value = readText(io, file, '--passphrase-file', 'passphrase file').split(/\r?\n/)[0];
    if (value === '') {
      throw new CliError(`--passphrase-file ${file}: the first line of the file is empty.`);
    }
    return value;
  }
  return str(values.passphrase);
}

// ---------------------------------------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------------------------------------

function verify(args: readonly string[], io: CliIo): number {
  const values = parse(args, {
    'message': { type: 'string' },
    'signature': { type: 'string' },
    'cert': { type: 'string' },
    'public-key': { type: 'string' },
    'help': { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(VERIFY_HELP);
    return EXIT_OK;
  }
  const message = required(values, 'message');
  const signature = required(values, 'signature');
  const certFile = str(values.cert);
  const publicKeyFile = str(values['public-key']);
  if ((certFile === undefined) === (publicKeyFile === undefined)) {
    throw new UsageError(certFile === undefined ? 'give --cert or --public-key.' : 'give --cert or --public-key, not both.');
  }
  const [option, file] = certFile !== undefined ? ['--cert', certFile] : ['--public-key', publicKeyFile!];
  const key = readKeyFile(io, file, option);

  const check = checkSignature(message, signature, key);
  if (!check.valid) {
    throw new CliError(`invalid signature. ${check.reason}`);
  }
  const parsed = parseAuthorizationMessage(message);
  if (!parsed) {
    throw new CliError(`the signature is valid, but the message '${message}' does not have the format '1|aws|ACCOUNT|ASN-or-CIDR|YYYYMMDD|SHA256|RSAPSS' (12-digit account, a valid expiry date): AWS would refuse it.`);
  }
  const kind = parsed.resource.includes('/') ? 'cidr' : 'asn';
  // The message names its own resource here; what remains to check is its expiry.
  const findings = checkAuthorizationContext(message, signature, { resource: parsed.resource, kind });
  const errors = errorsOf(findings).map(plain);
  if (errors.length > 0) {
    throw new CliError(`the signature is valid, but ${errors.join(' ')}`);
  }
  for (const warning of findings.filter((f) => f.severity === 'warning')) {
    io.stderr.write(`${TOOL} verify: warning: ${plain(warning.message)}\n`);
  }
  const validTo = key.certificate ? new Date(key.certificate.validTo) : undefined;
  if (validTo !== undefined && validTo.getTime() < Date.now()) {
    io.stderr.write(`${TOOL} verify: warning: the certificate in ${file} expired on ${validTo.toISOString()}; AWS reads the certificate from your RIR record, so publish one that is valid while you provision.\n`);
  }
  const what = kind === 'asn' ? `ASN ${parsed.resource}` : `CIDR ${parsed.resource}`;
  io.stdout.write(`Valid: the signature matches the message and the key in ${file}.\n`
    + `The message authorizes account ${parsed.account} to bring ${what} to AWS until ${parsed.expiry} (UTC).\n`);
  return EXIT_OK;
}

// ---------------------------------------------------------------------------------------------------------
// doctor
// ---------------------------------------------------------------------------------------------------------

async function doctor(args: readonly string[], io: CliIo): Promise<number> {
  const values = parse(args, {
    'asn': { type: 'string' },
    'cert': { type: 'string' },
    'cidr': { type: 'string', multiple: true },
    'message': { type: 'string', multiple: true },
    'signature': { type: 'string', multiple: true },
    'account': { type: 'string' },
    'json': { type: 'boolean' },
    'rdap-file': { type: 'string', multiple: true },
    'rdap-url': { type: 'string' },
    'bootstrap-url': { type: 'string' },
    'rpki-url': { type: 'string' },
    'timeout': { type: 'string' },
    'help': { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(DOCTOR_HELP);
    return EXIT_OK;
  }
  const asnText = required(values, 'asn');
  const certFile = required(values, 'cert');
  const messages = list(values.message);
  const signatures = list(values.signature);
  if (messages.length !== signatures.length) {
    throw new UsageError(`give --message and --signature in pairs (got ${messages.length} --message and ${signatures.length} --signature).`);
  }
  if (values['rdap-file'] !== undefined && values['rdap-url'] !== undefined) {
    throw new UsageError('give --rdap-file or --rdap-url, not both: a saved record needs no RDAP server.');
  }
  for (const option of ['rdap-url', 'bootstrap-url', 'rpki-url']) {
    const url = str(values[option]);
    if (url !== undefined && !/^https?:\/\/[^/\s]+/.test(url)) {
      throw new UsageError(`--${option} '${url}' is not an http(s) URL.`);
    }
  }
  const timeoutText = str(values.timeout);
  const timeoutSeconds = timeoutText === undefined ? undefined : Number(timeoutText);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0 && timeoutSeconds <= 300)) {
    throw new UsageError(`--timeout '${timeoutText}' is not a number of seconds from 0.1 to 300.`);
  }
  const parsedAsn = parseAsn(asnText, '--asn');
  if (parsedAsn.asn === undefined) {
    throw new CliError(errorsOf(parsedAsn.findings).join(`\n${TOOL} doctor: `));
  }
  const certificatePem = readText(io, certFile, '--cert', 'certificate');
  const rdapRecords = list(values['rdap-file']).map((file) => {
    const text = readText(io, file, '--rdap-file', 'saved RDAP record');
    try {
      JSON.parse(text);
    } catch {
      throw new CliError(`--rdap-file ${file}: the file is not JSON. Save the registry's answer as it is: curl -s https://rdap.arin.net/registry/autnum/${parsedAsn.asn} > ${file}`);
    }
    return text;
  });

  let report: DoctorReport;
  try {
    report = await AuthorizationDoctor.check({
      asn: parsedAsn.asn,
      cidrs: list(values.cidr),
      certificatePem,
      certificateName: path.basename(certFile),
      authorizations: messages.map((message, i) => ({ message, signature: signatures[i] })),
      account: str(values.account),
      rdapRecords: values['rdap-file'] === undefined ? undefined : rdapRecords,
      rdapUrl: str(values['rdap-url']),
      bootstrapUrl: str(values['bootstrap-url']),
      rpkiUrl: str(values['rpki-url']),
      timeoutSeconds,
    });
  } catch (e) {
    throw new CliError(forOptions((e as Error).message.replace(/^AuthorizationDoctor\.check: /gm, ''))
      .map((line) => line.replace(/^rdapRecords\[\d+\]/, '--rdap-file').replace(/^account /, '--account '))
      .join(`\n${TOOL} doctor: `));
  }
  io.stdout.write(values.json ? report.toJson() : report.toText());
  return report.ok ? EXIT_OK : EXIT_FAILURE;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

type ParsedValues = Record<string, string | boolean | string[] | undefined>;

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

function parse(args: readonly string[], options: OptionSpec): ParsedValues {
  let result: { values: ParsedValues; positionals: string[] };
  try {
    result = parseArgs({ args: [...args], options, strict: true, allowPositionals: true }) as typeof result;
  } catch (e) {
    throw new UsageError(describeParseError(e as Error & { code?: string }));
  }
  if (result.positionals.length > 0) {
    throw new UsageError(`unexpected argument '${result.positionals[0]}'.`);
  }
  return result.values;
}

function describeParseError(e: Error & { code?: string }): string {
  const unknown = /^Unknown option '([^']+)'/.exec(e.message);
  if (unknown) {
    return `unknown option '${unknown[1]}'.`;
  }
  if (/argument is ambiguous/.test(e.message)) {
    const option = /Option '([^']+)'/.exec(e.message)?.[1] ?? 'an option';
    return `${option} needs a value; to give a value that starts with '-', write ${option}=VALUE.`;
  }
  const missing = /^Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(e.message);
  if (missing) {
    return `${missing[1]} needs a value.`;
  }
  const noValue = /^Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(e.message);
  if (noValue) {
    return `${noValue[1]} takes no value.`;
  }
  return e.message.split('\n')[0];
}

function str(value: string | boolean | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function list(value: string | boolean | string[] | undefined): string[] {
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

function required(values: ParsedValues, option: string): string {
  const value = str(values[option]);
  if (value === undefined) {
    throw new UsageError(`--${option} is required.`);
  }
  return value;
}

function errorsOf(findings: readonly Finding[]): string[] {
  return findings.filter((f) => f.severity === 'error').map((f) => f.message);
}

/** Rewrites the library's messages (`AuthorizationMessage.forAsn: account '1' ...`) in terms of the options. */
function forOptions(libraryMessage: string): string[] {
  return libraryMessage.split('\n').map((line) => line
    .replace(/^Authorization\w+\.\w+: /, '')
    .replace(/^account /, '--account ')
    .replace(/^expiry /, '--expires ')
    .replace(/^asn /, '--asn ')
    .replace(/^cidr /, '--cidr '));
}

/** Rewrites the construct-oriented property names of validation messages for the command line. */
function plain(validationMessage: string): string {
  return validationMessage
    .replace(/authorizationContext\.message/g, 'the message')
    .replace(/authorizationContext\.signature/g, 'the signature');
}

function readText(io: CliIo, file: string, option: string, what: string): string {
  try {
    return (io.readFile ?? ((f: string) => readFileSync(f, 'utf8')))(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file'
      : code === 'EACCES' ? 'permission denied'
        : code === 'EISDIR' ? 'it is a directory'
          : (e as Error).message;
    throw new CliError(`${option} ${file}: cannot read the ${what}: ${why}.`);
  }
}

function readKeyFile(io: CliIo, file: string, option: string): VerificationKey {
  const text = readText(io, file, option, option === '--public-key' ? 'public key' : 'certificate');
  try {
    return readVerificationKey(text);
  } catch (e) {
    throw keyError(e, option, file);
  }
}

function keyError(e: unknown, option: string, file: string): CliError {
  if (!(e instanceof AuthorizationKeyError)) {
    return new CliError(`${option} ${file}: ${(e as Error).message}`);
  }
  const hint = e.problem === 'passphrase-required'
    ? ' Use --passphrase-env VAR (an environment variable that holds it) or --passphrase-file FILE.'
    : e.problem === 'wrong-passphrase'
      ? ' Check --passphrase-env, --passphrase-file or --passphrase.'
      : '';
  return new CliError(`${option} ${file}: ${e.message}${hint}`);
}

function version(): string {
  try {
    // lib/prepare/cli.js sits two levels below package.json, in the repository and in the npm package alike.
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr };
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    // exitCode rather than exit(): let stdout drain when it is a pipe.
    process.exitCode = code;
  });
}
