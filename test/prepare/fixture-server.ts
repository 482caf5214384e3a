/**
 * A local HTTP server on 127.0.0.1 that plays IANA's RDAP bootstrap, five registries' RDAP servers and an RPKI
 * validation service, from fixtures the test sets. Every request is logged, so that a test can assert which
 * services were asked (and that none was, with --rdap-file).
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/** What the server answers to a path: JSON, a status, or nothing at all (to test timeouts). */
export interface Reply {
  readonly status?: number;
  readonly json?: unknown;
  readonly text?: string;
  /** Never answer: the connection stays open until the client gives up. */
  readonly hang?: boolean;
  /** Redirect (with `status`, 301 by default) to this URL. */
  readonly location?: string;
}

export type Route = (url: URL) => Reply | undefined;

export interface FixtureServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** The paths (with query) asked, in order. */
  readonly requests: string[];
  /** Routes, tried in order; the first that answers wins. Unmatched paths get an RFC 9083 404. */
  readonly routes: Route[];
  close(): Promise<void>;
}

export async function startFixtureServer(): Promise<FixtureServer> {
  const requests: string[] = [];
  const routes: Route[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${url.pathname}${url.search}`);
    const reply = routes.reduce<Reply | undefined>((found, route) => found ?? route(url), undefined)
      ?? { status: 404, json: { errorCode: 404, title: 'Not Found', description: [`no fixture for ${url.pathname}`] } };
    if (reply.hang) {
      return;
    }
    if (reply.location !== undefined) {
      res.writeHead(reply.status ?? 301, { location: reply.location });
      res.end();
      return;
    }
    const isJson = reply.json !== undefined;
    res.writeHead(reply.status ?? 200, { 'content-type': isJson ? 'application/rdap+json' : 'text/plain' });
    res.end(isJson ? JSON.stringify(reply.json) : reply.text ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    routes,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A port on 127.0.0.1 where nothing listens: a server that is down. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
