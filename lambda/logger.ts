/**
 * Structured logging: Powertools Logger writing one JSON object per line, and the redaction that keeps the
 * authorization signature (and the pre-signed response URL) out of every line.
 */
import { Logger } from '@aws-lambda-powertools/logger';

/** The `service` key of every log line. */
export const SERVICE_NAME = 'cdk-ipam-byoasn';

/** What redacted values are replaced with. */
export const REDACTED = '***';

/** Creates the handler's logger. The level follows `POWERTOOLS_LOG_LEVEL` (default INFO). */
export function createLogger(): Logger {
  return new Logger({ serviceName: SERVICE_NAME });
}

/**
 * Keys whose values never reach a log line: any signature (the ASN's authorization signature is not a secret
 * in the cryptographic sense, but the design keeps it out of logs and outputs), and CloudFormation's
 * pre-signed ResponseURL, which lets anyone who holds it answer for the resource.
 */
function isRedactedKey(key: string): boolean {
  return /signature/i.test(key) || key === 'ResponseURL';
}

/** A deep copy of `value` with the values of sensitive keys replaced by `***`. */
export function redact<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.map((item) => redact(item)) as T;
  }
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      copy[key] = isRedactedKey(key) && item !== undefined ? REDACTED : redact(item);
    }
    return copy as T;
  }
  return value;
}

/** The values of the sensitive keys in `value` (e.g. the Signature of a request), to scrub them from texts. */
export function redactedValues(value: unknown): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => redactedValues(item));
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) =>
      isRedactedKey(key) && typeof item === 'string' ? [item] : redactedValues(item));
  }
  return [];
}

/**
 * Replaces every occurrence of the given secrets in a text. AWS error messages might quote a rejected
 * signature back, and those messages end up in logs and in CloudFormation events.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let scrubbed = text;
  // Very short strings would match by accident; real signatures are hundreds of characters long.
  for (const secret of secrets.filter((s) => s.length >= 8)) {
    scrubbed = scrubbed.split(secret).join(REDACTED);
  }
  return scrubbed;
}
