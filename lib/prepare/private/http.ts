/**
 * The doctor's only way to the network: a GET of JSON with a timeout, that never throws, and that records
 * every service it asked so that the report can name them all.
 */

/** The answer to a GET: the JSON body, or why there is none. */
export type JsonAnswer =
  | { readonly ok: true; readonly status: number; readonly body: unknown }
  | { readonly ok: false; readonly status?: number; readonly reason: string };

/** The services asked during one run, in the order first asked: base URL -> what it was asked for. */
export class ServiceLog {
  private readonly entries = new Map<string, string>();

  /** Records a service once; `base` is the URL the user could point elsewhere (a base URL, not a query). */
  public add(base: string, role: string): void {
    if (!this.entries.has(base)) {
      this.entries.set(base, role);
    }
  }

  /** `https://rdap.arin.net/registry/ (RDAP)` for each service: by role in `order`, then in the order asked. */
  public list(order: readonly string[] = []): string[] {
    const rank = (role: string) => (order.includes(role) ? order.indexOf(role) : order.length);
    return [...this.entries].sort(([, a], [, b]) => rank(a) - rank(b)).map(([base, role]) => `${base} (${role})`);
  }
}

/** How `getJson` asks. */
export interface GetOptions {
  readonly timeoutMs: number;
  /** @default 'application/json' */
  readonly accept?: string;
  /** Where a redirect to another server is recorded, so that the report names that server too. */
  readonly services?: ServiceLog;
}

/**
 * GETs a URL and parses its body as JSON. Network errors, timeouts, HTTP errors and bodies that are not JSON
 * are answers too (`ok: false` with a reason in words), so that a failing service makes a check "not checked"
 * and never a crash. The timeout covers the whole exchange, body included.
 */
export async function getJson(url: string, options: GetOptions): Promise<JsonAnswer> {
  const { timeoutMs, accept = 'application/json' } = options;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept },
      redirect: 'follow',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    return { ok: false, reason: networkReason(e, timeoutMs) };
  }
  if (response.redirected && options.services) {
    // RDAP servers redirect to the registry that holds a resource (RFC 7480 §5.2).
    options.services.add(`${new URL(response.url).origin}/`, 'redirect');
  }
  let text: string;
  try {
    text = await response.text();
  } catch (e) {
    return { ok: false, status: response.status, reason: networkReason(e, timeoutMs) };
  }
  if (!response.ok) {
    return { ok: false, status: response.status, reason: `it answered HTTP ${response.status}` };
  }
  try {
    return { ok: true, status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, status: response.status, reason: 'its answer is not JSON' };
  }
}

function networkReason(e: unknown, timeoutMs: number): string {
  const error = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (error.name === 'TimeoutError' || error.name === 'AbortError') {
    return `no answer within ${seconds(timeoutMs)}`;
  }
  const code = error.cause?.code;
  switch (code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN': return 'host not found (DNS)';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET': return 'the connection was closed';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT': return 'the connection timed out';
    default:
      return code ?? error.cause?.message ?? error.message ?? String(e);
  }
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
