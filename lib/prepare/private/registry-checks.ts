/**
 * The registry check: the certificate that AWS will read from the ASN's (and each CIDR's) RDAP record is
 * there, readable, and holds the same public key as the local certificate.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { DoctorCheck, DoctorCheckStatus } from '../doctor-check';
import { ServiceLog } from './http';
import { fail, pass } from './local-checks';
import {
  Bootstrap,
  describeRecord,
  fetchRecord,
  RdapRecord,
  RdapResource,
  recordCovers,
  recordUrl,
  registryOf,
  remarkTexts,
  whereToPaste,
  withSlash,
} from './rdap';
import { VerificationKey } from './signing';
import { findCertificates } from './certificate-search';

const SECTION = 'RDAP record';

/** How the registry check runs. */
export interface RegistryCheckContext {
  /** The local certificate's key; undefined when it could not be read. */
  readonly key?: VerificationKey;
  readonly certificateName: string;
  /** Saved records to check instead of asking any registry. */
  readonly savedRecords?: readonly RdapRecord[];
  /** An RDAP base URL that replaces the bootstrap. */
  readonly rdapBaseUrl?: string;
  readonly bootstrap: Bootstrap;
  readonly services: ServiceLog;
  readonly timeoutMs: number;
}

/** Checks one resource's record. Never throws: a registry that cannot be reached makes the check "not checked". */
export async function checkRegistryRecord(resource: RdapResource, ctx: RegistryCheckContext): Promise<DoctorCheck> {
  const label = resource.kind === 'asn' ? `AS${resource.asn}` : resource.cidr;
  let record: RdapRecord;
  let url: string | undefined;
  if (ctx.savedRecords !== undefined) {
    const saved = ctx.savedRecords.find((r) => recordCovers(r, resource));
    if (saved === undefined) {
      return notChecked(`${label}: none of the saved records (--rdap-file) is its record`,
        `Save its record too (curl -s https://<your registry's RDAP>/${resource.kind === 'asn' ? `autnum/${resource.asn}` : `ip/${resource.cidr}`} > record.json) and add --rdap-file record.json, or leave out --rdap-file to ask the registry.`);
    }
    record = saved;
  } else {
    let base = ctx.rdapBaseUrl;
    if (base === undefined) {
      const lookup = await ctx.bootstrap.serviceFor(resource);
      if (!lookup.ok) {
        return notChecked(`${label}: ${lookup.reason}`, lookup.fix);
      }
      base = lookup.baseUrl;
    }
    ctx.services.add(withSlash(base), 'RDAP');
    url = recordUrl(base, resource);
    const fetched = await fetchRecord(url, ctx.timeoutMs, ctx.services);
    if (!fetched.ok) {
      return fetched.notFound
        ? fail(SECTION, `${label}: ${url} has no record for it`, `Check the ${resource.kind === 'asn' ? 'ASN' : 'CIDR'}: AWS reads the certificate from its record.`, url)
        : notChecked(`${label}: could not read ${url}: ${fetched.reason}`,
          'Run doctor again later, or save the record (curl -s URL > record.json) and check it with --rdap-file record.json.', url);
    }
    record = fetched.record;
  }
  return compare(resource, label, record, url, ctx);
}

function compare(resource: RdapResource, label: string, record: RdapRecord, url: string | undefined, ctx: RegistryCheckContext): DoctorCheck {
  const registry = registryOf(record, url);
  const name = describeRecord(record, registry, resource);
  const where = whereToPaste(registry, resource, record.handle ?? label);
  const oneLine = `the one-line certificate (tr -d '\\n' < ${ctx.certificateName})`;
  const found = findCertificates(remarkTexts(record.remarks));
  if (found.certificates.length === 0) {
    const inContact = (record.entities ?? []).find((e) => findCertificates(remarkTexts(e.remarks)).certificates.length > 0);
    if (inContact) {
      return fail(SECTION, `${label}: the certificate is in the remarks of contact ${inContact.handle ?? '(no handle)'}, not of ${name}`,
        `AWS reads the record's own comments: paste ${oneLine} into ${where}.`, url);
    }
    if (found.unreadable > 0) {
      return fail(SECTION, `${label}: ${name} has a certificate that cannot be read (cut short, or changed?)`,
        `Paste ${oneLine} again, whole, into ${where}, in place of the damaged one.`, url);
    }
    return fail(SECTION, `${label}: no certificate in the remarks of ${name}`, `Paste ${oneLine} into ${where}.`, url);
  }
  if (ctx.key === undefined) {
    return notChecked(`${label}: ${name} has a certificate; not compared`, `${ctx.certificateName} could not be read (see above).`, url);
  }
  const local = spki(ctx.key.key);
  const same = found.certificates.find((c) => spki(c.publicKey).equals(local));
  if (same) {
    return pass(SECTION, `${label}: the certificate in ${name} has the same key as ${ctx.certificateName}`, url);
  }
  const theirs = found.certificates.map((c) => keyId(c)).join(', ');
  return fail(SECTION, `${label}: the certificate in ${name} has a different key from ${ctx.certificateName}`,
    `Paste ${oneLine} into ${where} in place of the old one, or sign with the record's key. `
    + `(Key SHA-256: record ${theirs}, yours ${fingerprint(local)}.)`, url);
}

function notChecked(summary: string, fix: string, service?: string): DoctorCheck {
  return { section: SECTION, status: DoctorCheckStatus.NOT_CHECKED, summary, fix, service };
}

function spki(key: X509Certificate['publicKey']): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

function keyId(certificate: X509Certificate): string {
  return fingerprint(spki(certificate.publicKey));
}

/** The first 16 hex digits of the SHA-256 of a public key: enough to tell two keys apart in the output. */
function fingerprint(spkiDer: Buffer): string {
  return createHash('sha256').update(spkiDer).digest('hex').slice(0, 16);
}
