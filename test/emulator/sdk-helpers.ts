/** Helpers shared by the emulator's own tests: real SDK clients pointed at an emulator, and failure capture. */
import * as http from 'node:http';
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import type { RetryErrorInfo, RetryErrorType, RetryStrategyV2, RetryToken } from '@smithy/types';
import type { Ec2Emulator } from './ec2-emulator';

/** Fake credentials: the emulator does not check signatures. */
export const FAKE_CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

/** What an SDK call can reject with: a service error (code as `name`) or a network error. */
export type SdkFailure = Error & {
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number; totalRetryDelay?: number };
};

/** Creates EC2 clients for tests and destroys them all in one go (so jest sees no open sockets). */
export class ClientPool {
  private readonly clients: EC2Client[] = [];

  /** A client with no retries (unless `extra` says otherwise) pointed at the emulator. */
  client(emulator: Ec2Emulator, extra: Partial<EC2ClientConfig> = {}): EC2Client {
    const c = new EC2Client({
      endpoint: emulator.endpoint, region: 'us-east-1', credentials: FAKE_CREDENTIALS, maxAttempts: 1, ...extra,
    });
    this.clients.push(c);
    return c;
  }

  /** Adopts a client created elsewhere so it is destroyed with the others. */
  adopt(c: EC2Client): EC2Client {
    this.clients.push(c);
    return c;
  }

  /** Destroys every client. */
  destroyAll(): void {
    this.clients.splice(0).forEach((c) => c.destroy());
  }
}

/** Awaits a promise that must reject and returns the rejection. */
export async function failure(promise: Promise<unknown>): Promise<SdkFailure> {
  try {
    await promise;
  } catch (e) {
    return e as SdkFailure;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Awaits a promise that must reject with an EC2 error of this code and HTTP status; returns the error. */
export async function expectEc2Error(promise: Promise<unknown>, code: string, status = 400, message?: RegExp): Promise<SdkFailure> {
  const err = await failure(promise);
  expect({ name: err.name, status: err.$metadata?.httpStatusCode }).toEqual({ name: code, status });
  if (message) expect(err.message).toMatch(message);
  return err;
}

/** Polls `condition` every 5 ms until it holds, failing after `timeoutMs` (bounded loop). */
export async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A syntactically valid ASN authorization context (the emulator does not verify signatures). */
export function authContext(asn: string): { Message: string; Signature: string } {
  return { Message: `1|aws|123456789012|${asn}|20301231|SHA256|RSAPSS`, Signature: 'c2lnbmF0dXJl~abc-_' };
}

/** A retry strategy that records how the SDK classified each failure and retries at once, up to `maxAttempts`. */
export class RecordingRetryStrategy implements RetryStrategyV2 {
  readonly errorTypes: RetryErrorType[] = [];

  constructor(private readonly maxAttempts: number) {}

  private static token(count: number): RetryToken {
    return { getRetryCount: () => count, getRetryDelay: () => 0 };
  }

  async acquireInitialRetryToken(): Promise<RetryToken> {
    return RecordingRetryStrategy.token(0);
  }

  async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    this.errorTypes.push(info.errorType);
    const next = token.getRetryCount() + 1;
    // Only what the standard strategy would retry (THROTTLING, TRANSIENT) is retried here.
    if (next >= this.maxAttempts || (info.errorType !== 'THROTTLING' && info.errorType !== 'TRANSIENT')) {
      throw new Error('no retry');
    }
    return RecordingRetryStrategy.token(next);
  }

  recordSuccess(): void {}
}

/** Posts a raw form body to the emulator, for requests the SDK cannot produce; answers the status and the text. */
export function postRaw(emulator: Ec2Emulator, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${emulator.endpoint}/`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Connection': 'close' },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
