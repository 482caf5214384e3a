/**
 * Route origin validation through a public RPKI validation service: may an ASN originate a prefix at its
 * length, according to the ROAs that validators see?
 *
 * The default service is RIPEstat's `rpki-validation` data call
 * (`https://stat.ripe.net/data/rpki-validation/data.json?resource=ASN&prefix=PREFIX`), which answers
 * `{"status": "ok", "data": {"status": "valid" | "invalid_asn" | "invalid_length" | "unknown",
 * "validating_roas": [{"origin", "prefix", "max_length", "validity"}]}}` from a Routinator run by the RIPE NCC.
 * A URL with `{asn}` and `{prefix}` placeholders points the check elsewhere, e.g. a Routinator's own
 * `/api/v1/validity/AS{asn}/{prefix}`, which answers `{"validated_route": {"validity": {"state": "valid" |
 * "invalid" | "not-found", "reason": "as" | "length", "VRPs": {...}}}}`. Both shapes are read.
 */
import { getJson, ServiceLog } from './http';

export const RIPESTAT_RPKI_URL = 'https://stat.ripe.net/data/rpki-validation/data.json';

/** The route origin validation state (RFC 6811), with the two kinds of invalid told apart. */
export type RoaState = 'valid' | 'invalid-asn' | 'invalid-length' | 'not-found';

/** A validated ROA payload that the service says covers the prefix. */
export interface Vrp {
  readonly asn: number;
  readonly prefix: string;
  readonly maxLength?: number;
}

export type RoaAnswer =
  | { readonly ok: true; readonly state: RoaState; readonly vrps: Vrp[] }
  | { readonly ok: false; readonly reason: string };

/** The URL that asks the service about one origin and prefix. */
export function roaQueryUrl(serviceUrl: string, asn: number, prefix: string): string {
  if (serviceUrl.includes('{asn}') || serviceUrl.includes('{prefix}')) {
    return serviceUrl.replace(/\{asn\}/g, String(asn)).replace(/\{prefix\}/g, prefix);
  }
  const separator = serviceUrl.includes('?') ? '&' : '?';
  return `${serviceUrl}${separator}resource=${asn}&prefix=${encodeURIComponent(prefix)}`;
}

/** The service's base, as the report names it: the URL without its query or placeholders. */
export function roaServiceName(serviceUrl: string): string {
  return serviceUrl.replace(/\?.*$/, '').replace(/\{asn\}.*$|\{prefix\}.*$/, '');
}

/** Asks the service; never throws. */
export async function queryRoa(serviceUrl: string, asn: number, prefix: string, timeoutMs: number, services: ServiceLog): Promise<RoaAnswer> {
  const answer = await getJson(roaQueryUrl(serviceUrl, asn, prefix), { timeoutMs, services });
  if (!answer.ok) {
    return answer;
  }
  return readRoaAnswer(answer.body, asn);
}

/** Reads a RIPEstat or Routinator answer. */
export function readRoaAnswer(body: unknown, asn: number): RoaAnswer {
  const ripestat = body as { status?: string; messages?: unknown[]; data?: { status?: string; validating_roas?: unknown[] } };
  if (ripestat.data && typeof ripestat.data.status === 'string') {
    if (ripestat.status !== undefined && ripestat.status !== 'ok') {
      return { ok: false, reason: `it answered status '${ripestat.status}'` };
    }
    const vrps = (ripestat.data.validating_roas ?? []).map(toVrp).filter((v): v is Vrp => v !== undefined);
    const state = ripestatState(ripestat.data.status, vrps, asn);
    return state === undefined ? { ok: false, reason: `it answered an unknown status '${ripestat.data.status}'` } : { ok: true, state, vrps };
  }
  const routinator = body as { validated_route?: { validity?: { state?: string; reason?: string; VRPs?: Record<string, unknown[]> } } };
  const validity = routinator.validated_route?.validity;
  if (validity && typeof validity.state === 'string') {
    const vrps = Object.values(validity.VRPs ?? {}).flat().map(toVrp).filter((v): v is Vrp => v !== undefined);
    const state = validity.state === 'valid' ? 'valid'
      : validity.state === 'invalid' ? (validity.reason === 'length' ? 'invalid-length' : 'invalid-asn')
        : /^not.?found$/i.test(validity.state) ? 'not-found' : undefined;
    return state === undefined ? { ok: false, reason: `it answered an unknown state '${validity.state}'` } : { ok: true, state, vrps };
  }
  return { ok: false, reason: 'its answer is neither a RIPEstat rpki-validation nor a Routinator validity answer' };
}

function ripestatState(status: string, vrps: readonly Vrp[], asn: number): RoaState | undefined {
  switch (status.toLowerCase()) {
    case 'valid': return 'valid';
    case 'invalid_asn': return 'invalid-asn';
    case 'invalid_length': return 'invalid-length';
    // Older answers say only "invalid": a covering ROA for this ASN means the length is the problem.
    case 'invalid': return vrps.some((v) => v.asn === asn) ? 'invalid-length' : 'invalid-asn';
    case 'unknown':
    case 'not_found':
    case 'not-found':
    case 'notfound': return 'not-found';
    default: return undefined;
  }
}

function toVrp(value: unknown): Vrp | undefined {
  const v = value as { origin?: unknown; asn?: unknown; prefix?: unknown; max_length?: unknown };
  const asn = Number(String(v.origin ?? v.asn ?? '').replace(/^AS/i, ''));
  if (!Number.isInteger(asn) || typeof v.prefix !== 'string') {
    return undefined;
  }
  const maxLength = Number(v.max_length);
  return { asn, prefix: v.prefix, maxLength: Number.isInteger(maxLength) ? maxLength : undefined };
}
