import type { AuthorizationContext } from '../ipam-byoasn';
import { checkCidr, parseAsn, parseAuthorizationMessage, parsePrefix } from '../private/validation';
import { DoctorCheck, DoctorCheckStatus } from './doctor-check';
import { ServiceLog } from './private/http';
import { checkCertificate, checkMessage } from './private/local-checks';
import { Bootstrap, IANA_BOOTSTRAP_URL, isRecord, RdapRecord, RdapResource } from './private/rdap';
import { checkRegistryRecord } from './private/registry-checks';
import { countByStatus, renderText } from './private/report-text';
import { checkRoas } from './private/roa-checks';
import { RIPESTAT_RPKI_URL } from './private/rpki';

/*
 * `doctor` checks, before `cdk deploy`, what AWS checks when it provisions an ASN or a BYOIP CIDR, so that a
 * problem shows in a minute on the workstation instead of as `failed-provision` minutes into a deployment.
 * The checks run in a fixed order (certificate, messages, RDAP records, ROAs); the network checks run in
 * parallel, each with its own timeout, and a service that does not answer makes its check "not checked".
 */

/** Properties of `AuthorizationDoctor.check`. */
export interface AuthorizationDoctorProps {
  /** Your public ASN, in asplain notation, e.g. `64496`. */
  readonly asn: number;

  /** The X.509 certificate that is (or will be) in your RIR records, in PEM; the one-line form works too. */
  readonly certificatePem: string;

  /**
   * The BYOIP CIDRs to check too: the certificate in each CIDR's RDAP record, and its ROA.
   * @default - none: only the ASN's record is checked, and no ROA
   */
  readonly cidrs?: string[];

  /**
   * Authorization contexts (message and signature) to check: for the ASN, and for any of the CIDRs.
   * @default - none: the messages are not checked
   */
  readonly authorizations?: AuthorizationContext[];

  /**
   * The 12-digit AWS account you deploy to: each message must name it.
   * @default - the account in the messages is not compared
   */
  readonly account?: string;

  /**
   * Saved RDAP responses (JSON text), e.g. from `curl https://rdap.arin.net/registry/autnum/64496`: checked
   * instead of asking any registry, so that no RDAP request is made at all.
   * @default - the records are fetched from the registries
   */
  readonly rdapRecords?: string[];

  /**
   * An RDAP base URL to ask instead of the registry that IANA's bootstrap names, e.g. `https://rdap.db.ripe.net/`.
   * @default - found through IANA's RDAP bootstrap files
   */
  readonly rdapUrl?: string;

  /**
   * Where IANA's RDAP bootstrap files (`asn.json`, `ipv4.json`, `ipv6.json`) are.
   * @default 'https://data.iana.org/rdap/'
   */
  readonly bootstrapUrl?: string;

  /**
   * The RPKI validation service: a RIPEstat-compatible `rpki-validation` URL, or any URL with `{asn}` and
   * `{prefix}` placeholders that answers as RIPEstat or Routinator (`/api/v1/validity/AS{asn}/{prefix}`) do.
   * @default 'https://stat.ripe.net/data/rpki-validation/data.json'
   */
  readonly rpkiUrl?: string;

  /**
   * The timeout of each network request, in seconds.
   * @default 10
   */
  readonly timeoutSeconds?: number;

  /**
   * How the output names the certificate, e.g. its file name.
   * @default 'the certificate'
   */
  readonly certificateName?: string;
}

/**
 * The doctor's checklist: every check with its outcome, the services asked, and the checklist as text or JSON.
 */
export class DoctorReport {
  /** Every check, in the order printed. */
  public readonly checks: DoctorCheck[];

  /** The network services asked, each as `base URL (role)`, in the order first asked; empty when none. */
  public readonly services: string[];

  /** What was checked, e.g. `AS64496, 203.0.113.0/24; account 123456789012`. */
  public readonly subject: string;

  /** True when no check failed (warnings and checks that did not run do not count). */
  public readonly ok: boolean;

  /**
   * @param subject what was checked, e.g. `AS64496 with 203.0.113.0/24`
   * @param checks every check with its outcome, in the order they ran
   * @param services the network services asked, as named in the output
   */
  constructor(subject: string, checks: DoctorCheck[], services: string[]) {
    this.subject = subject;
    this.checks = checks;
    this.services = services;
    this.ok = !checks.some((c) => c.status === DoctorCheckStatus.FAILED);
  }

  /**
   * The number of checks with a status.
   *
   * @param status the status to count
   */
  public count(status: DoctorCheckStatus): number {
    return countByStatus(this.checks)[status];
  }

  /** The checklist as text that fits on a screen, with what to fix under each check that did not pass. */
  public toText(): string {
    return renderText({ subject: this.subject, services: this.services }, this.checks);
  }

  /** The checklist as JSON: `{ ok, subject, services, summary, checks }`. */
  public toJson(): string {
    const counts = countByStatus(this.checks);
    return `${JSON.stringify({
      ok: this.ok,
      subject: this.subject,
      services: this.services,
      summary: { failed: counts.failed, warned: counts.warned, passed: counts.passed, notChecked: counts['not-checked'] },
      checks: this.checks,
    }, null, 2)}\n`;
  }
}

/**
 * Checks your ASN's preparation before `cdk deploy`: the certificate, the authorization messages and their
 * signatures, the certificate in the RDAP records of the ASN and of each CIDR, and each CIDR's ROA. Every
 * network request has a timeout and goes only to the services named in the report; a service that does not
 * answer makes its check "not checked", never an exception.
 *
 * The same as the `cdk-ipam-byoasn doctor` command.
 *
 * @example
 * const report = await AuthorizationDoctor.check({
 *   asn: 64496,
 *   cidrs: ['203.0.113.0/24'],
 *   certificatePem: fs.readFileSync('certificate.pem', 'utf8'),
 *   authorizations: [{ message: '1|aws|123456789012|64496|20271231|SHA256|RSAPSS', signature: '...' }],
 *   account: '123456789012',
 * });
 * console.log(report.toText());
 * if (!report.ok) { process.exitCode = 1; }
 */
export class AuthorizationDoctor {
  /**
   * Runs every check and returns the checklist.
   *
   * @param props what to check, and where to look it up
   * @throws when an input is not valid (an ASN or CIDR that is not one, a saved RDAP record that is not JSON)
   */
  public static async check(props: AuthorizationDoctorProps): Promise<DoctorReport> {
    const inputs = readInputs(props);
    const now = new Date();
    const services = new ServiceLog();
    const timeoutMs = Math.round((props.timeoutSeconds ?? 10) * 1000);
    const certificateName = props.certificateName ?? 'the certificate';
    const authorizations = props.authorizations ?? [];

    const expiries = authorizations.map((a) => parseAuthorizationMessage(a.message)?.expiry).filter((e): e is string => e !== undefined);
    const certificate = checkCertificate(props.certificatePem, certificateName, expiries, now);
    const messages = authorizations.length > 0
      ? authorizations.flatMap((a, i) => checkMessage(a.message, a.signature, i, certificate.key, {
        asn: inputs.asn, cidrs: inputs.cidrs, account: props.account, certificateName, now,
      }))
      : [{
        section: 'Messages',
        status: DoctorCheckStatus.NOT_CHECKED,
        summary: 'no message and signature given',
        fix: 'Give --message and --signature (as printed by cdk-ipam-byoasn sign) to check them too.',
      }];

    const bootstrap = new Bootstrap(props.bootstrapUrl ?? IANA_BOOTSTRAP_URL, timeoutMs, services);
    const resources: RdapResource[] = [
      { kind: 'asn', asn: inputs.asn },
      ...inputs.cidrs.map((cidr) => ({ kind: 'cidr' as const, cidr, prefix: parsePrefix(cidr)! })),
    ];
    const registryRun = Promise.all(resources.map((resource) => checkRegistryRecord(resource, {
      key: certificate.key,
      certificateName,
      savedRecords: inputs.savedRecords,
      rdapBaseUrl: props.rdapUrl,
      bootstrap,
      services,
      timeoutMs,
    })));
    const roaRun = Promise.all(inputs.cidrs.map((cidr) => checkRoas(cidr, {
      asn: inputs.asn, serviceUrl: props.rpkiUrl ?? RIPESTAT_RPKI_URL, services, timeoutMs,
    })));
    const [registry, roas] = await Promise.all([registryRun, roaRun]);
    const roaChecks = inputs.cidrs.length > 0 ? roas.flat() : [{
      section: 'ROA',
      status: DoctorCheckStatus.NOT_CHECKED,
      summary: 'no CIDR given',
      fix: 'Give each BYOIP CIDR with --cidr to check its RDAP record and its ROA.',
    }];

    const subject = [`AS${inputs.asn}`, ...inputs.cidrs].join(', ') + (props.account ? `; account ${props.account}` : '');
    return new DoctorReport(subject, [...certificate.checks, ...messages, ...registry, ...roaChecks],
      services.list(['IANA RDAP bootstrap', 'RDAP', 'redirect', 'RPKI validation']));
  }

  private constructor() {
  }
}

interface Inputs {
  readonly asn: number;
  readonly cidrs: string[];
  readonly savedRecords?: RdapRecord[];
}

/** Checks the inputs that are not the subject of a check: every problem at once. */
function readInputs(props: AuthorizationDoctorProps): Inputs {
  const where = 'AuthorizationDoctor.check';
  const errors: string[] = [];
  const parsed = parseAsn(props.asn, 'asn');
  errors.push(...parsed.findings.filter((f) => f.severity === 'error').map((f) => f.message));
  const cidrs = props.cidrs ?? [];
  for (const cidr of cidrs) {
    errors.push(...checkCidr(cidr, { property: 'cidr' }).filter((f) => f.severity === 'error').map((f) => f.message));
  }
  if (props.account !== undefined && !/^\d{12}$/.test(props.account)) {
    errors.push(`account '${props.account}' is not an AWS account id; expected exactly 12 digits, e.g. '123456789012'.`);
  }
  if (props.timeoutSeconds !== undefined && !(props.timeoutSeconds > 0 && props.timeoutSeconds <= 300)) {
    errors.push(`timeoutSeconds ${props.timeoutSeconds} is out of range; give 0.1 to 300 seconds.`);
  }
  let savedRecords: RdapRecord[] | undefined;
  if (props.rdapRecords !== undefined) {
    savedRecords = [];
    props.rdapRecords.forEach((text, i) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        errors.push(`rdapRecords[${i}] is not JSON (${(e as Error).message}); save the registry's answer as it is, e.g. with curl -s URL > record.json.`);
        return;
      }
      if (!isRecord(value)) {
        errors.push(`rdapRecords[${i}] is not an RDAP record (an RDAP error, or not an object).`);
        return;
      }
      savedRecords!.push(value);
    });
  }
  if (errors.length > 0 || parsed.asn === undefined) {
    throw new Error(errors.map((e) => `${where}: ${e}`).join('\n'));
  }
  return { asn: parsed.asn, cidrs, savedRecords };
}
