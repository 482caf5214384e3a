/**
 * The emulator's throttling, fault injection and lifecycle, observed through the real @aws-sdk/client-ec2
 * (including how the SDK classifies and retries each failure).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformFileSync } from '@swc/core';
import {
  AdvertiseByoipCidrCommand,
  DescribeByoipCidrsCommand,
  DescribeIpamByoasnCommand,
  EC2Client,
  ProvisionIpamByoasnCommand,
  WithdrawByoipCidrCommand,
} from '@aws-sdk/client-ec2';
import { Ec2Emulator, ManualClock } from './ec2-emulator';
import { ClientPool, RecordingRetryStrategy, authContext, expectEc2Error, failure, waitFor } from './sdk-helpers';

const IPAM = 'ipam-0123456789abcdef0';
const CIDR = '203.0.113.0/24';

let clock: ManualClock;
let emulator: Ec2Emulator;
let ec2: EC2Client;
const pool = new ClientPool();

beforeEach(async () => {
  clock = new ManualClock();
  emulator = new Ec2Emulator({ now: clock.now });
  await emulator.start();
  ec2 = pool.client(emulator);
});
afterEach(async () => {
  pool.destroyAll();
  await emulator.stop();
});

const provision = (client: EC2Client, asn = '64496') =>
  client.send(new ProvisionIpamByoasnCommand({ IpamId: IPAM, Asn: asn, AsnAuthorizationContext: authContext(asn) }));
const describeAsns = (client: EC2Client) => client.send(new DescribeIpamByoasnCommand({}));

describe('throttling', () => {
  test('is off by default', async () => {
    for (let i = 0; i < 20; i++) await describeAsns(ec2);
    expect(emulator.calls().every((c) => c.status === 200)).toBe(true);
  });

  test('a per-action bucket answers RequestLimitExceeded (HTTP 503) when empty and refills on the clock', async () => {
    emulator.configure({ throttle: [{ capacity: 2, refillPerSecond: 1, actions: ['DescribeIpamByoasn'] }] });
    await describeAsns(ec2);
    await describeAsns(ec2);
    const err = await expectEc2Error(describeAsns(ec2), 'RequestLimitExceeded', 503, /Request limit exceeded/);
    expect(err.$fault).toBe('server');
    await ec2.send(new DescribeByoipCidrsCommand({ MaxResults: 5 })); // another action is not metered
    clock.advance(999);
    await expectEc2Error(describeAsns(ec2), 'RequestLimitExceeded', 503);
    clock.advance(1);
    await describeAsns(ec2);
    await expectEc2Error(describeAsns(ec2), 'RequestLimitExceeded', 503);
    expect(emulator.calls('DescribeIpamByoasn').map((c) => c.status)).toEqual([200, 200, 503, 503, 200, 503]);
  });

  test('a global bucket meters every action, and a throttled mutation is not applied', async () => {
    emulator.configure({ throttle: [{ capacity: 1, refillPerSecond: 0 }] });
    await ec2.send(new DescribeByoipCidrsCommand({ MaxResults: 5 }));
    await expectEc2Error(provision(ec2), 'RequestLimitExceeded', 503);
    expect(emulator.snapshot().asns).toEqual([]);
    emulator.configure({ throttle: [] });
    await provision(ec2);
  });

  test('a bucket shared by Advertise and Withdraw models "once every 10 seconds"', async () => {
    emulator.configure({ throttle: [{ capacity: 1, refillPerSecond: 0.1, actions: ['AdvertiseByoipCidr', 'WithdrawByoipCidr'] }] });
    emulator.addByoipCidr({ cidr: CIDR });
    await ec2.send(new AdvertiseByoipCidrCommand({ Cidr: CIDR }));
    await expectEc2Error(ec2.send(new WithdrawByoipCidrCommand({ Cidr: CIDR })), 'RequestLimitExceeded', 503);
    clock.advance(10_000);
    await ec2.send(new WithdrawByoipCidrCommand({ Cidr: CIDR }));
  });

  test('reset() refills the buckets and forgets everything else', async () => {
    emulator.configure({ throttle: [{ capacity: 1, refillPerSecond: 0 }] });
    await provision(ec2);
    emulator.failNext('DescribeIpamByoasn', 'drop');
    emulator.reset();
    expect(emulator.snapshot()).toEqual({ asns: [], associations: [], byoipCidrs: [], lingering: [] });
    expect(emulator.calls()).toEqual([]);
    expect((await describeAsns(ec2)).Byoasns).toEqual([]);
  });

  test('the SDK classifies RequestLimitExceeded as THROTTLING and retries it', async () => {
    emulator.configure({ throttle: [{ capacity: 1, refillPerSecond: 0 }] });
    await describeAsns(ec2);
    const strategy = new RecordingRetryStrategy(3);
    const client = pool.client(emulator, { retryStrategy: strategy });
    const err = await expectEc2Error(describeAsns(client), 'RequestLimitExceeded', 503);
    expect(strategy.errorTypes).toEqual(['THROTTLING', 'THROTTLING', 'THROTTLING']);
    expect(err.$metadata?.attempts).toBe(3);
    expect(emulator.calls('DescribeIpamByoasn')).toHaveLength(4);
  });

  test('the SDK with default retries rides out a short burst', async () => {
    // The clock stands still during the burst, so exactly one of four concurrent calls gets the single token;
    // then it follows real time with a fast refill, so the SDK's backed-off retries find tokens.
    let frozenAt: number | undefined = Date.now();
    await emulator.stop();
    emulator = new Ec2Emulator({
      now: () => frozenAt ?? Date.now(),
      throttle: [{ capacity: 1, refillPerSecond: 1000, actions: ['DescribeIpamByoasn'] }],
    });
    await emulator.start();
    const client = pool.adopt(new EC2Client({
      endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    }));
    const burst = Promise.all([1, 2, 3, 4].map(() => describeAsns(client)));
    await waitFor(() => emulator.calls().length >= 4);
    frozenAt = undefined;
    const outputs = await burst;
    const throttled = emulator.calls().filter((c) => c.errorCode === 'RequestLimitExceeded');
    expect(throttled.length).toBeGreaterThanOrEqual(3);
    expect(throttled.every((c) => c.status === 503)).toBe(true);
    expect(outputs.map((o) => o.Byoasns)).toEqual([[], [], [], []]);
    expect(outputs.reduce((n, o) => n + (o.$metadata.attempts ?? 0), 0)).toBe(emulator.calls().length);
    expect(Math.max(...outputs.map((o) => o.$metadata.attempts ?? 0))).toBeGreaterThan(1);
  });
});

describe('fault injection', () => {
  test('an error fault answers the code, message and status, and does not apply the mutation', async () => {
    emulator.failNext('ProvisionIpamByoasn', { kind: 'error', code: 'UnauthorizedOperation', message: 'denied', status: 403 });
    await expectEc2Error(provision(ec2), 'UnauthorizedOperation', 403, /^denied$/);
    expect(emulator.snapshot().asns).toEqual([]);
    expect(emulator.calls()[0]).toMatchObject({ fault: 'error', status: 403, errorCode: 'UnauthorizedOperation', succeeded: false });
    expect((await provision(ec2)).Byoasn?.State).toBe('pending-provision'); // the fault was used up
  });

  test('an error fault defaults to HTTP 400', async () => {
    emulator.failNext('ProvisionIpamByoasn', { kind: 'error', code: 'IncorrectState' });
    await expectEc2Error(provision(ec2), 'IncorrectState', 400, /Injected fault/);
  });

  test('internalError answers HTTP 500 InternalError, `count` times, without applying the mutation', async () => {
    emulator.failNext('ProvisionIpamByoasn', 'internalError', 2);
    for (let i = 0; i < 2; i++) {
      const err = await expectEc2Error(provision(ec2), 'InternalError', 500);
      expect(err.$fault).toBe('server');
    }
    expect(emulator.snapshot().asns).toEqual([]);
    await provision(ec2);
    expect(emulator.calls().map((c) => c.status)).toEqual([500, 500, 200]);
  });

  test('skip lets that many calls pass before the fault applies', async () => {
    emulator.failNext('ProvisionIpamByoasn', 'internalError', 1, 2);
    await provision(ec2, '64496');
    await provision(ec2, '64497');
    await expectEc2Error(provision(ec2, '64498'), 'InternalError', 500);
    await provision(ec2, '64498');
    expect(emulator.calls().map((c) => c.status)).toEqual([200, 200, 500, 200]);
  });

  test('the SDK classifies InternalError as TRANSIENT and a client error as CLIENT_ERROR', async () => {
    const strategy = new RecordingRetryStrategy(3);
    const client = pool.client(emulator, { retryStrategy: strategy });
    emulator.failNext('DescribeIpamByoasn', 'internalError');
    expect((await describeAsns(client)).$metadata.attempts).toBe(2);
    await expectEc2Error(client.send(new ProvisionIpamByoasnCommand({ IpamId: IPAM, Asn: 'x', AsnAuthorizationContext: authContext('x') })),
      'InvalidParameterValue');
    expect(strategy.errorTypes).toEqual(['TRANSIENT', 'CLIENT_ERROR']);
  });

  test('the SDK with default retries rides out two InternalErrors', async () => {
    emulator.failNext('DescribeIpamByoasn', 'internalError', 2);
    const client = pool.adopt(new EC2Client({
      endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    }));
    expect((await describeAsns(client)).$metadata.attempts).toBe(3);
  });

  test('drop: the SDK sees a network error (no HTTP status) and the mutation is not applied', async () => {
    emulator.failNext('ProvisionIpamByoasn', 'drop');
    const err = await failure(provision(ec2));
    expect(err.message).toMatch(/socket hang up/);
    expect(err.$metadata?.httpStatusCode).toBeUndefined();
    expect(emulator.snapshot().asns).toEqual([]);
    expect(emulator.calls()[0]).toMatchObject({ fault: 'drop', succeeded: false });
    expect(emulator.calls()[0].status).toBeUndefined();
  });

  test('the SDK classifies a dropped connection as TRANSIENT and retries it', async () => {
    const strategy = new RecordingRetryStrategy(2);
    emulator.failNext('DescribeIpamByoasn', 'drop');
    const out = await describeAsns(pool.client(emulator, { retryStrategy: strategy }));
    expect(out.$metadata.attempts).toBe(2);
    expect(strategy.errorTypes).toEqual(['TRANSIENT']);
  });

  test('applyThenDrop: the answer is lost but the mutation happened (a blind retry is refused)', async () => {
    emulator.failNext('ProvisionIpamByoasn', 'applyThenDrop');
    const err = await failure(provision(ec2));
    expect(err.message).toMatch(/socket hang up/);
    expect(emulator.snapshot().asns).toEqual([{ asn: '64496', ipamId: IPAM, state: 'provisioned' }]);
    expect(emulator.calls()[0]).toMatchObject({ fault: 'applyThenDrop', succeeded: true });
    expect(emulator.calls()[0].status).toBeUndefined();
    await expectEc2Error(provision(ec2), 'IncorrectState', 400, /already provisioned/);
  });

  test('slow: the answer comes after the delay, unchanged', async () => {
    emulator.failNext('ProvisionIpamByoasn', { kind: 'slow', delayMs: 150 });
    const started = Date.now();
    const out = await provision(ec2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(out.Byoasn).toEqual({ Asn: '64496', IpamId: IPAM, State: 'pending-provision' });
    expect(emulator.calls()[0]).toMatchObject({ fault: 'slow', status: 200, succeeded: true });
  });

  test('slow: a client that times out still leaves the mutation applied (applied on arrival)', async () => {
    emulator.failNext('ProvisionIpamByoasn', { kind: 'slow', delayMs: 1000 });
    const impatient = pool.client(emulator, { requestHandler: { requestTimeout: 50, throwOnRequestTimeout: true } });
    const err = await failure(provision(impatient));
    expect(err.$metadata?.httpStatusCode).toBeUndefined();
    expect(emulator.snapshot().asns).toHaveLength(1);
  });

  test("'*' faults apply to any action after that action's own faults", async () => {
    emulator.failNext('*', 'internalError');
    emulator.failNext('DescribeIpamByoasn', { kind: 'error', code: 'Special' });
    await expectEc2Error(describeAsns(ec2), 'Special');
    await expectEc2Error(ec2.send(new DescribeByoipCidrsCommand({ MaxResults: 5 })), 'InternalError', 500);
    await describeAsns(ec2);
  });

  test('clearFaults() forgets queued faults', async () => {
    emulator.failNext('DescribeIpamByoasn', 'drop', 3);
    emulator.clearFaults();
    await describeAsns(ec2);
  });

  test('calls() filters by action and clearCalls() empties the log', async () => {
    await describeAsns(ec2);
    await provision(ec2);
    expect(emulator.calls().map((c) => [c.seq, c.action])).toEqual([[1, 'DescribeIpamByoasn'], [2, 'ProvisionIpamByoasn']]);
    expect(emulator.calls('ProvisionIpamByoasn')).toHaveLength(1);
    expect(emulator.calls()[0].at).toBe(clock.now());
    emulator.clearCalls();
    expect(emulator.calls()).toEqual([]);
  });
});

describe('lifecycle', () => {
  test('endpoint needs start(); start() twice is refused; stop() twice is fine; restart works', async () => {
    const e = new Ec2Emulator();
    expect(() => e.endpoint).toThrow(/start\(\)/);
    await e.start();
    await expect(e.start()).rejects.toThrow(/already running/);
    expect(e.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await e.stop();
    await e.stop();
    expect(e.running).toBe(false);
    await e.start();
    await describeAsns(pool.client(e));
    await e.stop();
  });

  test('stop() closes open keep-alive connections and pending slow answers at once', async () => {
    await describeAsns(ec2); // leaves a keep-alive connection open
    emulator.failNext('DescribeIpamByoasn', { kind: 'slow', delayMs: 60_000 });
    const pending = failure(describeAsns(ec2));
    await waitFor(() => emulator.calls().length === 2);
    const started = Date.now();
    await emulator.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await pending).message).toMatch(/socket hang up|ECONNRESET/);
  });

  test('the server stops by itself after the idle timeout', async () => {
    const e = new Ec2Emulator({ idleTimeoutMs: 100 });
    await e.start();
    const endpoint = e.endpoint;
    await waitFor(() => !e.running, 3000);
    const err = await failure(pool.adopt(new EC2Client({
      endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1,
    })).send(new DescribeIpamByoasnCommand({})));
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  test('requests postpone the idle stop', async () => {
    const e = new Ec2Emulator({ idleTimeoutMs: 400 });
    await e.start();
    const client = pool.client(e);
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 120));
      await describeAsns(client);
    }
    expect(e.running).toBe(true); // 600 ms after start, but never 400 ms idle
    await waitFor(() => !e.running, 3000);
  });

  test('a running emulator does not keep the Node process alive', async () => {
    // Transpile the emulator to plain JS so a child `node` can load it without a TypeScript loader.
    const dir = mkdtempSync(join(tmpdir(), 'ec2-emulator-'));
    try {
      for (const file of readdirSync(__dirname).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
        const { code } = transformFileSync(join(__dirname, file), {
          jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' }, sourceMaps: false,
        });
        writeFileSync(join(dir, file.replace(/\.ts$/, '.js')), code);
      }
      const script = `
        const { Ec2Emulator } = require(${JSON.stringify(join(dir, 'ec2-emulator.js'))});
        const http = require('node:http');
        (async () => {
          const e = new Ec2Emulator();
          await e.start();
          await new Promise((resolve, reject) => {
            const req = http.request(e.endpoint, { method: 'POST' }, (res) => { res.resume(); res.on('end', resolve); });
            req.on('error', reject);
            req.end('Action=DescribeIpamByoasn&Version=2016-11-15');
          });
          console.log('answered ' + e.running);
        })();`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
      child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      clearTimeout(killer);
      // Exits on its own (code 0) long before the 2-minute idle timeout; a SIGKILL would give null.
      expect({ code, output: output.trim() }).toEqual({ code: 0, output: 'answered true' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('listens on 127.0.0.1 only', async () => {
    const port = Number(new URL(emulator.endpoint).port);
    const viaLoopback = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/?Action=DescribeIpamByoasn&Version=2016-11-15', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(viaLoopback).toBe(200);
    const viaIpv6 = await new Promise<string>((resolve) => {
      http.get({ host: '::1', port, path: '/', agent: false }, () => resolve('answered')).on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(viaIpv6).not.toBe('answered');
  });
});

describe('the Date header', () => {
  const postDescribe = (endpoint: string) => fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'Action=DescribeIpamByoasn&Version=2016-11-15',
  });

  test("follows the emulator's clock with clockInDateHeader, and the host's without", async () => {
    const manual = new ManualClock(Date.UTC(2031, 5, 1, 12, 0, 0));
    const following = new Ec2Emulator({ now: manual.now, clockInDateHeader: true });
    const host = new Ec2Emulator({ now: manual.now });
    await following.start();
    await host.start();
    try {
      expect((await postDescribe(following.endpoint)).headers.get('date')).toBe('Sun, 01 Jun 2031 12:00:00 GMT');
      const hostDate = Date.parse((await postDescribe(host.endpoint)).headers.get('date') ?? '');
      expect(Math.abs(hostDate - Date.now())).toBeLessThan(5_000);
    } finally {
      await following.stop();
      await host.stop();
    }
  });
});
