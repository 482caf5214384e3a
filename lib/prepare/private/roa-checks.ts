/**
 * The ROA check: for each CIDR, whether your ASN, and Amazon's ASNs while AWS advertises the range, may
 * originate the prefix at its length, according to a public RPKI validation service.
 */
import { DoctorCheck, DoctorCheckStatus } from '../doctor-check';
import { ServiceLog } from './http';
import { fail, pass } from './local-checks';
import { queryRoa, RoaAnswer, roaServiceName, Vrp } from './rpki';

const SECTION = 'ROA';

/** The ASNs AWS uses to advertise BYOIP ranges, listed in AWS's BYOIP prerequisites. */
export const AMAZON_ASNS: readonly number[] = [16509, 14618];

export interface RoaCheckContext {
  readonly asn: number;
  readonly serviceUrl: string;
  readonly services: ServiceLog;
  readonly timeoutMs: number;
}

/** Two lines per CIDR: your ASN, then Amazon's. */
export async function checkRoas(cidr: string, ctx: RoaCheckContext): Promise<DoctorCheck[]> {
  const service = roaServiceName(ctx.serviceUrl);
  ctx.services.add(service, 'RPKI validation');
  const [own, ...amazon] = await Promise.all([ctx.asn, ...AMAZON_ASNS].map((asn) => queryRoa(ctx.serviceUrl, asn, cidr, ctx.timeoutMs, ctx.services)));
  return [ownCheck(cidr, ctx.asn, own, service), amazonCheck(cidr, ctx.asn, amazon, service)];
}

function ownCheck(cidr: string, asn: number, answer: RoaAnswer, service: string): DoctorCheck {
  const length = cidr.split('/')[1];
  if (!answer.ok) {
    return unreachable(`${cidr}: AS${asn}`, service, answer.reason);
  }
  const create = `At your RIR, create a ROA: origin AS${asn}, prefix ${cidr} (or a covering one), max length ${length} or more`;
  switch (answer.state) {
    case 'valid':
      return pass(SECTION, `${cidr}: AS${asn} may originate it (a ROA covers /${length})`, service);
    case 'invalid-asn':
      return fail(SECTION, `${cidr}: ROAs cover it, but only for ${origins(answer.vrps) || 'other ASNs'}, not AS${asn}`,
        `${create}; keep the other origins you need.`, service);
    case 'invalid-length': {
      const max = answer.vrps.filter((v) => v.asn === asn).map((v) => `/${v.maxLength ?? '?'}`).join(', ');
      return fail(SECTION, `${cidr}: a ROA names AS${asn}, but its max length (${max || 'shorter'}) is shorter than /${length}`,
        `Raise the ROA's max length to ${length} or more, or add a ROA for ${cidr} itself.`, service);
    }
    case 'not-found':
      return fail(SECTION, `${cidr}: no ROA covers it`, `${create}. A new ROA takes a while to reach validators.`, service);
  }
}

function amazonCheck(cidr: string, asn: number, answers: readonly RoaAnswer[], service: string): DoctorCheck {
  const names = AMAZON_ASNS.map((a) => `AS${a}`).join(' and ');
  const failed = answers.find((a): a is Extract<RoaAnswer, { ok: false }> => !a.ok);
  if (failed) {
    return unreachable(`${cidr}: Amazon's ${names}`, service, failed.reason);
  }
  const missing = AMAZON_ASNS.filter((_, i) => (answers[i] as Extract<RoaAnswer, { ok: true }>).state !== 'valid');
  if (missing.length === 0) {
    return pass(SECTION, `${cidr}: Amazon's ${names} may originate it too`, service);
  }
  return {
    section: SECTION,
    status: DoctorCheckStatus.WARNED,
    summary: `${cidr}: ${missing.map((a) => `AS${a}`).join(' and ')} may not originate it`,
    fix: `Add ${missing.map((a) => `AS${a}`).join(' and ')} to the ROA while AWS advertises ${cidr} with its own ASN (AWS's BYOIP `
      + `prerequisites); ignore this if only AS${asn} will advertise it.`,
    service,
  };
}

function unreachable(subject: string, service: string, reason: string): DoctorCheck {
  return {
    section: SECTION,
    status: DoctorCheckStatus.NOT_CHECKED,
    summary: `${subject}: could not ask ${service}: ${reason}`,
    fix: 'Run doctor again later, or give --rpki-url with another validator (a Routinator: http://HOST:8323/api/v1/validity/AS{asn}/{prefix}).',
    service,
  };
}

function origins(vrps: readonly Vrp[]): string {
  return [...new Set(vrps.map((v) => `AS${v.asn}`))].join(', ');
}
