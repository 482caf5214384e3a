/**
 * An EC2 emulator for tests: a real HTTP server on 127.0.0.1 that speaks the EC2 query protocol (API version
 * 2016-11-15) well enough for the real `@aws-sdk/client-ec2` to provision, associate and describe BYOASN and
 * BYOIP resources against it. The same server answers CloudFormation's `DescribeStacks` (query protocol, API
 * version 2010-05-15) for the stack statuses a test sets with {@link Ec2Emulator.setStackStatus}.
 *
 * Model: states are computed lazily from an injectable clock, so nothing runs in the background and tests can
 * jump through minutes of AWS time instantly (see {@link ManualClock}). Every mutating call schedules its pending
 * state now and its terminal state after a configurable delay (default 0 ms: the mutating call itself answers
 * `pending-*`, the next read already sees the terminal state; set delays to exercise polling).
 *
 * Error codes for refusals AWS does not document (DESIGN §3 "UNDOCUMENTED") are the emulator's choice:
 * - a resource that exists but is in the wrong state (ASN already provisioned/pending, deprovision while
 *   associations remain, associate an ASN that is not provisioned, disassociate while the CIDR is advertised
 *   with that ASN, ...) → `IncorrectState`, the common EC2 code for "valid request, wrong moment";
 * - a resource that does not exist where the request says it is (unknown ASN on deprovision, CIDR that is not a
 *   BYOIP CIDR, association that does not exist) → `InvalidParameterValue`, because the request names
 *   something invalid rather than something in a wrong state;
 * - quota (5 ASNs per IPAM, 5 BYOIP CIDRs per Region) → `ResourceLimitExceeded` (documented);
 * - a NextToken that this emulator did not issue for this action → `InvalidNextToken`;
 * - deprovisioning a BYOIP CIDR whose addresses are still allocated (see `setAllocatedAddresses`) →
 *   `IncorrectState`, naming the allocated addresses.
 *
 * BYOIP facts modelled from AWS's documentation: a successful provisioning puts the id of the address pool it
 * created into the CIDR's StatusMessage (`ipv4pool-ec2-…` or `ipv6pool-ec2-…`, as the API reference's "Upon
 * success, contains the ID of the address pool" and the CLI examples show), kept while the range is advertised;
 * while a CIDR is advertised with an own ASN, DescribeByoipCidrs lists that ASN's association in state
 * `advertised` (as AWS's BYOASN tutorial shows it), back to `associated` once withdrawn.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { type AddressInfo, type Socket, isIP } from 'node:net';
import {
  CLOUDFORMATION_API_VERSION,
  Ec2ApiError,
  type QueryParams,
  cloudFormationErrorDocument,
  cloudFormationSuccessDocument,
  errorDocument,
  listElement,
  memberListElement,
  parseQueryParams,
  successDocument,
  textElement,
} from './protocol';
import { type ThrottleBucketOptions, TokenBucket, admit } from './throttle';
import { type Step, Timeline } from './timeline';

export { ManualClock } from './manual-clock';
export type { ThrottleBucketOptions } from './throttle';

/** ASN states (DESIGN §3). */
export type AsnState =
  | 'pending-provision' | 'provisioned' | 'failed-provision'
  | 'pending-deprovision' | 'deprovisioned' | 'failed-deprovision';

/** ASN-to-CIDR association states (DESIGN §3). */
export type AsnAssociationState =
  | 'pending-association' | 'associated' | 'failed-association'
  | 'pending-disassociation' | 'disassociated' | 'failed-disassociation';

/**
 * An association's state as DescribeByoipCidrs lists it: the stored state, or `advertised` for the origin ASN
 * of an advertised CIDR (AWS's tutorial shows that state, which the API reference does not list).
 */
export type ListedAsnAssociationState = AsnAssociationState | 'advertised';

/** BYOIP CIDR states (DESIGN §3). */
export type ByoipCidrState =
  | 'pending-provision' | 'provisioned' | 'provisioned-not-publicly-advertisable' | 'failed-provision'
  | 'pending-advertising' | 'advertised' | 'pending-withdrawal'
  | 'pending-deprovision' | 'deprovisioned' | 'failed-deprovision';

/** An ASN as the emulator holds it. */
export interface ByoasnRecord {
  readonly asn: string;
  readonly ipamId: string;
  readonly state: AsnState;
  readonly statusMessage?: string;
}

/** An association of an ASN with a BYOIP CIDR. */
export interface AsnAssociationRecord {
  readonly asn: string;
  readonly cidr: string;
  readonly state: AsnAssociationState;
  readonly statusMessage?: string;
}

/** A BYOIP CIDR. `advertisedAsn` is the origin ASN while advertised with an own ASN (undefined: Amazon's ASN). */
export interface ByoipCidrRecord {
  readonly cidr: string;
  readonly state: ByoipCidrState;
  readonly description?: string;
  readonly statusMessage?: string;
  readonly networkBorderGroup?: string;
  readonly advertisedAsn?: string;
  readonly publiclyAdvertisable: boolean;
}

/** A CloudFormation stack as the emulator's DescribeStacks reports it. */
export interface StackRecord {
  /** `arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID`. */
  readonly stackId: string;
  readonly stackName: string;
  /** Emulator clock when the stack was created (or re-created: set to CREATE_IN_PROGRESS after DELETE_COMPLETE). */
  readonly creationTime: number;
  /** CloudFormation's status word, e.g. `UPDATE_ROLLBACK_IN_PROGRESS`. */
  readonly status: string;
}

/**
 * Records that linger BESIDE a live record of the same key: the old `deprovisioned` / `failed-provision` ASN, or
 * `disassociated` / `failed-association` association, that a newer provisioning or association started over.
 * Describe calls list them before the live record until their linger time runs out; they block nothing.
 */
export interface LingeringRecords {
  readonly asns: ByoasnRecord[];
  readonly associations: AsnAssociationRecord[];
  /** Deprovisioned / failed-provision BYOIP CIDRs beside a newer provisioning of the same range. */
  readonly byoipCidrs: ByoipCidrRecord[];
}

/** A lingering record in {@link EmulatorSnapshot.lingering}, tagged with its kind. */
export type LingeringRecord =
  | ({ readonly kind: 'asn' } & ByoasnRecord)
  | ({ readonly kind: 'association' } & AsnAssociationRecord)
  | ({ readonly kind: 'byoipCidr' } & ByoipCidrRecord);

/** Everything the emulator holds, with states computed as of now (authoritative, not eventually consistent). */
export interface EmulatorSnapshot {
  /** One record per ASN: the live (latest) one. */
  readonly asns: ByoasnRecord[];
  /** One record per ASN and CIDR: the live (latest) one. */
  readonly associations: AsnAssociationRecord[];
  readonly byoipCidrs: ByoipCidrRecord[];
  /** The records lingering beside live ones (see {@link LingeringRecords}): ASNs, then associations, then BYOIP CIDRs. */
  readonly lingering: LingeringRecord[];
}

/** How long (ms of emulator clock) each asynchronous transition stays pending. */
export interface TransitionDelays {
  readonly provisionAsn: number;
  readonly deprovisionAsn: number;
  readonly associate: number;
  readonly disassociate: number;
  readonly provisionCidr: number;
  readonly deprovisionCidr: number;
  readonly advertise: number;
  readonly withdraw: number;
}

/** How one transition of one resource ends. Applies to every later transition of that kind until changed. */
export interface TransitionOutcome {
  /** End in the failed-* state (provision → failed-provision, associate → failed-association, ...). */
  readonly fail?: boolean;
  /** StatusMessage of the terminal state (for failures a default message is used when omitted). */
  readonly statusMessage?: string;
  /** Overrides the delay for this resource. */
  readonly delayMs?: number;
}

/**
 * An injected fault for the next call(s) of an action. Faults other than `slow` and `applyThenDrop` fail the
 * request before it does anything, so a mutating call is NOT applied.
 */
export type Fault =
  /** An EC2 error document with this code (HTTP 400 unless `status` says otherwise). */
  | { readonly kind: 'error'; readonly code: string; readonly message?: string; readonly status?: number }
  /** HTTP 500 `InternalError`. */
  | { readonly kind: 'internalError' }
  /** The connection is destroyed without an answer. */
  | { readonly kind: 'drop' }
  /** The request is applied, then the connection is destroyed: the answer is lost (for idempotency tests). */
  | { readonly kind: 'applyThenDrop' }
  /** The request is applied on arrival; its answer is sent after `delayMs` real milliseconds. */
  | { readonly kind: 'slow'; readonly delayMs: number };

/** A fault, or the name of a fault kind that needs no settings. */
export type FaultSpec = Fault | 'internalError' | 'drop' | 'applyThenDrop';

/** One request seen by the emulator. */
export interface CallRecord {
  /** 1-based arrival order. */
  readonly seq: number;
  /** Which API the request spoke: EC2, or CloudFormation (`Version=2010-05-15`). */
  readonly service: 'ec2' | 'cloudformation';
  /** Emulator clock at arrival. */
  readonly at: number;
  readonly action: string;
  /** The flattened query parameters, e.g. `{ Asn: '64496', 'AsnAuthorizationContext.Message': '...' }`. */
  readonly params: Readonly<Record<string, string>>;
  readonly requestId: string;
  /** HTTP status answered; undefined while a slow answer is pending or when the connection was dropped. */
  status?: number;
  /** The error code answered, if any. */
  errorCode?: string;
  /** The injected fault, if any. */
  fault?: Fault['kind'];
  /** Whether the action itself ran to success (for mutations: whether the state changed). */
  succeeded: boolean;
}

/** Settings that can be given at construction and changed later with {@link Ec2Emulator.configure}. */
export interface Ec2EmulatorSettings {
  /** Pending durations; default 0 for all (see the module comment). */
  readonly delays?: Partial<TransitionDelays>;
  /**
   * Eventual consistency: for this many ms after a mutating call, Describe calls still show the record as it
   * was before (or not at all if it did not exist). Default 0.
   */
  readonly consistencyDelayMs?: number;
  /** Server-side page size cap applied even when MaxResults is larger; default 100. */
  readonly maxPageSize?: number;
  /** ASNs per IPAM that are not deprovisioned/failed-provision; default 5. */
  readonly asnQuotaPerIpam?: number;
  /** BYOIP CIDRs per Region that are not deprovisioned/failed-provision; default 5. */
  readonly byoipCidrQuota?: number;
  /** How long deprovisioned / failed-provision ASNs stay listed; default 7 days (as AWS). */
  readonly asnLingerMs?: number;
  /** How long disassociated / failed-association associations stay listed; default forever. */
  readonly associationLingerMs?: number;
  /** How long deprovisioned / failed-provision BYOIP CIDRs stay listed (also beside a newer provisioning); default forever. */
  readonly byoipCidrLingerMs?: number;
  /**
   * Token buckets (on the emulator clock); a request to an action metered by an empty bucket is answered
   * `RequestLimitExceeded` (HTTP 503). Default: none (no throttling). Setting them refills them.
   */
  readonly throttle?: readonly ThrottleBucketOptions[];
}

/** Constructor options of {@link Ec2Emulator}. */
export interface Ec2EmulatorOptions extends Ec2EmulatorSettings {
  /** The emulator clock in ms; default `Date.now`. Drives state transitions, consistency and throttling. */
  readonly now?: () => number;
  /** The server stops by itself after this many real ms without requests; default 120 000, 0 disables. */
  readonly idleTimeoutMs?: number;
  /** When given, any other IpamId is answered `InvalidIpamId.NotFound`. Default: every IpamId is accepted. */
  readonly knownIpamIds?: readonly string[];
  /** Region reported as the default network border group; default `us-east-1`. */
  readonly region?: string;
  /**
   * Send the emulator clock's time in the `Date` header instead of the host's. Use it when the clients' own
   * clock follows the emulator's (as the lifecycle driver arranges for the handler): otherwise the SDK sees a
   * clock skew, corrects for it, and retries errors that it takes for skew. Default false.
   */
  readonly clockInDateHeader?: boolean;
}

type Transition = keyof TransitionDelays;
type Handler = (params: QueryParams, now: number) => string;
/** A record that a newer one of the same key replaced while it was absent, still listed until it expires. */
interface Lingering<V> {
  readonly key: string;
  readonly timeline: Timeline<V>;
}
/** Where `schedule` moves an absent record to when a new mutation starts over it. */
interface LingerInto<V> {
  readonly list: Lingering<V>[];
  readonly absent: (value: V) => boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_CALL_LOG = 10_000;

/** ASN states that count as "not there" (AWS lists them for 7 days, but they block nothing). */
const ASN_ABSENT: ReadonlySet<AsnState> = new Set(['deprovisioned', 'failed-provision']);
/** Association states that no longer tie the ASN to the CIDR. */
const ASSOCIATION_ABSENT: ReadonlySet<AsnAssociationState> = new Set(['disassociated', 'failed-association']);
const CIDR_ABSENT: ReadonlySet<ByoipCidrState> = new Set(['deprovisioned', 'failed-provision']);
/** CIDR states in which an ASN can be associated with it. */
const CIDR_ASSOCIABLE: ReadonlySet<ByoipCidrState> = new Set([
  'provisioned', 'provisioned-not-publicly-advertisable', 'pending-advertising', 'advertised', 'pending-withdrawal',
]);

const DEFAULT_FAILURE_MESSAGES: Readonly<Record<Transition, string>> = {
  provisionAsn: 'The ASN authorization could not be verified against the RIR record.',
  deprovisionAsn: 'The ASN could not be deprovisioned.',
  associate: 'The ASN could not be associated with the CIDR.',
  disassociate: 'The ASN could not be disassociated from the CIDR.',
  provisionCidr: 'The CIDR authorization could not be verified against the RIR record.',
  deprovisionCidr: 'The CIDR could not be deprovisioned.',
  advertise: 'The CIDR could not be advertised.',
  withdraw: 'The CIDR could not be withdrawn.',
};

const badValue = (message: string) => new Ec2ApiError('InvalidParameterValue', message);
const incorrectState = (message: string) => new Ec2ApiError('IncorrectState', message);

/** Canonical asplain ASN; the SDK sends ASNs as strings. */
function parseAsn(value: string, param = 'Asn'): string {
  if (!/^\d{1,10}$/.test(value) || Number(value) > 4294967295) {
    throw badValue(`Value (${value}) for parameter ${param} is invalid. Expected an ASN in asplain notation.`);
  }
  return String(Number(value));
}

/** Canonical `address/prefix` (lower-case; the emulator does not rewrite addresses further). */
function parseCidr(value: string, param = 'Cidr'): { cidr: string; version: 4 | 6; prefix: number } {
  const match = /^([0-9A-Fa-f.:]+)\/(\d{1,3})$/.exec(value.trim());
  const version = match ? isIP(match[1]) : 0;
  const prefix = match ? Number(match[2]) : NaN;
  if (!match || (version !== 4 && version !== 6) || prefix > (version === 4 ? 32 : 128)) {
    throw badValue(`Value (${value}) for parameter ${param} is invalid. Expected a CIDR such as 203.0.113.0/24.`);
  }
  return { cidr: `${match[1].toLowerCase()}/${prefix}`, version, prefix };
}

function textCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The parts of a stack id `arn:PARTITION:cloudformation:REGION:ACCOUNT:stack/NAME/UUID`, or undefined. */
function parseStackId(value: string): { region: string; account: string; stackName: string } | undefined {
  const match = /^arn:aws[a-z-]*:cloudformation:([a-z0-9-]*):(\d*):stack\/([^/]+)\/([^/]+)$/.exec(value);
  return match ? { region: match[1], account: match[2], stackName: match[3] } : undefined;
}

function byoasnXml(v: ByoasnRecord): string {
  return textElement('asn', v.asn) + textElement('ipamId', v.ipamId)
    + textElement('statusMessage', v.statusMessage) + textElement('state', v.state);
}

function associationXml(v: { readonly asn: string; readonly cidr: string; readonly state: ListedAsnAssociationState; readonly statusMessage?: string }): string {
  return textElement('asn', v.asn) + textElement('cidr', v.cidr)
    + textElement('statusMessage', v.statusMessage) + textElement('state', v.state);
}

/** States in which the origin ASN of a CIDR advertised with an own ASN lists its association as `advertised`. */
const ORIGIN_SHOWN_STATES: ReadonlySet<ByoipCidrState> = new Set(['advertised', 'pending-withdrawal']);

function byoipCidrXml(v: ByoipCidrRecord, associations: readonly AsnAssociationRecord[]): string {
  const listed = associations.map((a) => (ORIGIN_SHOWN_STATES.has(v.state) && v.advertisedAsn === a.asn && a.state === 'associated'
    ? { ...a, state: 'advertised' as const } : a));
  return textElement('cidr', v.cidr) + textElement('description', v.description)
    + listElement('asnAssociationSet', listed.map(associationXml))
    + textElement('statusMessage', v.statusMessage) + textElement('state', v.state)
    + textElement('networkBorderGroup', v.networkBorderGroup);
}

function normalizeFault(spec: FaultSpec): Fault {
  return typeof spec === 'string' ? { kind: spec } : spec;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Ec2ApiError('RequestEntityTooLarge', 'The request body is too large.', 413));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The emulator. Typical use:
 * ```ts
 * const emulator = new Ec2Emulator({ now: clock.now, delays: { provisionAsn: 60_000 } });
 * await emulator.start();
 * emulator.addByoipCidr({ cidr: '203.0.113.0/24' });
 * const ec2 = new EC2Client({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: {...} });
 * ...
 * await emulator.stop();
 * ```
 */
export class Ec2Emulator {
  private readonly clock: () => number;
  private readonly idleTimeoutMs: number;
  private readonly knownIpamIds: ReadonlySet<string> | undefined;
  private readonly region: string;
  private readonly clockInDateHeader: boolean;
  /** Distinguishes this emulator's NextTokens from any other's. */
  private readonly instanceId = randomBytes(6).toString('hex');

  private delays: TransitionDelays = {
    provisionAsn: 0, deprovisionAsn: 0, associate: 0, disassociate: 0,
    provisionCidr: 0, deprovisionCidr: 0, advertise: 0, withdraw: 0,
  };
  private consistencyDelayMs = 0;
  private maxPageSize = 100;
  private asnQuotaPerIpam = 5;
  private byoipCidrQuota = 5;
  private asnLingerMs = 7 * DAY_MS;
  private associationLingerMs = Infinity;
  private byoipCidrLingerMs = Infinity;
  private buckets: TokenBucket[] = [];

  private readonly asns = new Map<string, Timeline<ByoasnRecord>>();
  /** Keyed by `${asn}|${cidr}`. */
  private readonly associations = new Map<string, Timeline<AsnAssociationRecord>>();
  private readonly cidrs = new Map<string, Timeline<ByoipCidrRecord>>();
  private readonly lingeringAsns: Lingering<ByoasnRecord>[] = [];
  private readonly lingeringAssociations: Lingering<AsnAssociationRecord>[] = [];
  private readonly lingeringCidrs: Lingering<ByoipCidrRecord>[] = [];
  /** Addresses of a BYOIP CIDR still allocated (Elastic IPs, IPAM pool allocations), by canonical CIDR. */
  private readonly allocatedAddresses = new Map<string, number>();
  /** Creation order of records, for listing records of the same key. */
  private recordOrder = 0;
  /** Queued visibility delays by action (see `hideNext`). */
  private readonly hides = new Map<string, { ms: number; remaining: number }>();
  /** The action of the request being handled (handlers run synchronously). */
  private activeAction = '';
  /** CloudFormation stacks by stack id. */
  private readonly stacks = new Map<string, StackRecord>();
  /** Keyed by `${transition}|${resource key}`. */
  private readonly outcomes = new Map<string, TransitionOutcome>();
  /** Queued faults by action; `skip` calls pass untouched before the fault applies `remaining` times. */
  private readonly faults = new Map<string, { fault: Fault; remaining: number; skip: number }[]>();
  private callLog: CallRecord[] = [];
  private seq = 0;

  private server: http.Server | undefined;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly slowTimers = new Set<NodeJS.Timeout>();
  private idleTimer: NodeJS.Timeout | undefined;

  private readonly handlers: Readonly<Record<string, Handler>> = {
    ProvisionIpamByoasn: (p, now) => this.provisionIpamByoasn(p, now),
    DeprovisionIpamByoasn: (p, now) => this.deprovisionIpamByoasn(p, now),
    AssociateIpamByoasn: (p, now) => this.associateIpamByoasn(p, now),
    DisassociateIpamByoasn: (p, now) => this.disassociateIpamByoasn(p, now),
    DescribeIpamByoasn: (p, now) => this.describeIpamByoasn(p, now),
    DescribeByoipCidrs: (p, now) => this.describeByoipCidrs(p, now),
    ProvisionByoipCidr: (p, now) => this.provisionByoipCidr(p, now),
    AdvertiseByoipCidr: (p, now) => this.advertiseByoipCidr(p, now),
    WithdrawByoipCidr: (p, now) => this.withdrawByoipCidr(p, now),
    DeprovisionByoipCidr: (p, now) => this.deprovisionByoipCidr(p, now),
  };

  private readonly cloudFormationHandlers: Readonly<Record<string, Handler>> = {
    DescribeStacks: (p) => this.describeStacks(p),
  };

  /** @param options see {@link Ec2EmulatorOptions}; everything is optional. */
  constructor(options: Ec2EmulatorOptions = {}) {
    this.clock = options.now ?? Date.now;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
    this.knownIpamIds = options.knownIpamIds ? new Set(options.knownIpamIds) : undefined;
    this.region = options.region ?? 'us-east-1';
    this.clockInDateHeader = options.clockInDateHeader ?? false;
    this.configure(options);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Listens on 127.0.0.1 on an ephemeral port. The server never keeps the process alive by itself. */
  async start(): Promise<void> {
    if (this.server) throw new Error('Ec2Emulator is already running');
    const server = http.createServer((req, res) => {
      this.onRequest(req, res).catch(() => {
        // The reply path failed (socket gone); nothing more can be said to this client.
        req.socket.destroy();
      });
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.unref();
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.touch();
  }

  /** Closes the server and every connection, and cancels pending slow answers. Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.slowTimers.forEach((t) => clearTimeout(t));
    this.slowTimers.clear();
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.sockets.forEach((s) => s.destroy());
    this.sockets.clear();
    await closed;
  }

  /** Whether the server is listening (it stops by itself after the idle timeout). */
  get running(): boolean {
    return this.server !== undefined;
  }

  /** `http://127.0.0.1:PORT`, for the SDK's `endpoint` option or `AWS_ENDPOINT_URL_EC2`. */
  get endpoint(): string {
    if (!this.server) throw new Error('Ec2Emulator is not running: call start() first');
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Environment variables that point an SDK (e.g. the bundled Lambda handler) at this emulator with fake
   * credentials, for EC2 and CloudFormation.
   */
  clientEnv(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_EC2: this.endpoint,
      AWS_ENDPOINT_URL_CLOUDFORMATION: this.endpoint,
      AWS_REGION: this.region,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'emulator-secret',
    };
  }

  // ---------------------------------------------------------------- test controls

  /** Changes settings; omitted ones keep their value. Throttle buckets given here start full. */
  configure(settings: Ec2EmulatorSettings): void {
    if (settings.delays) this.delays = { ...this.delays, ...settings.delays };
    if (settings.consistencyDelayMs !== undefined) this.consistencyDelayMs = settings.consistencyDelayMs;
    if (settings.maxPageSize !== undefined) {
      if (!(settings.maxPageSize >= 1)) throw new Error(`maxPageSize must be >= 1, got ${settings.maxPageSize}`);
      this.maxPageSize = settings.maxPageSize;
    }
    if (settings.asnQuotaPerIpam !== undefined) this.asnQuotaPerIpam = settings.asnQuotaPerIpam;
    if (settings.byoipCidrQuota !== undefined) this.byoipCidrQuota = settings.byoipCidrQuota;
    if (settings.asnLingerMs !== undefined) this.asnLingerMs = settings.asnLingerMs;
    if (settings.associationLingerMs !== undefined) this.associationLingerMs = settings.associationLingerMs;
    if (settings.byoipCidrLingerMs !== undefined) this.byoipCidrLingerMs = settings.byoipCidrLingerMs;
    if (settings.throttle !== undefined) {
      const now = this.clock();
      this.buckets = settings.throttle.map((b) => new TokenBucket(b, now));
    }
  }

  /**
   * Makes the next `count` calls of `action` (or of any action, with `'*'`) fail with `fault`. Faults queue up in
   * the order given; an action's own faults are used before `'*'` ones. Only implemented actions consume faults
   * (an unknown action is answered `InvalidAction` regardless). Faults are checked before throttling.
   */
  failNext(action: string, fault: FaultSpec, count = 1, skip = 0): void {
    if (!(count >= 1) || !Number.isInteger(count)) throw new Error(`failNext count must be a positive integer, got ${count}`);
    if (!(skip >= 0) || !Number.isInteger(skip)) throw new Error(`failNext skip must be a whole number, got ${skip}`);
    const queue = this.faults.get(action) ?? [];
    queue.push({ fault: normalizeFault(fault), remaining: count, skip });
    this.faults.set(action, queue);
  }

  /** Forgets every queued fault. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Sets how this ASN's provisioning / deprovisioning ends (e.g. `{ provision: { fail: true, statusMessage } }`). */
  setAsnOutcome(asn: string | number, outcome: { provision?: TransitionOutcome; deprovision?: TransitionOutcome }): void {
    const key = parseAsn(String(asn));
    this.setOutcome('provisionAsn', key, outcome.provision, 'provision' in outcome);
    this.setOutcome('deprovisionAsn', key, outcome.deprovision, 'deprovision' in outcome);
  }

  /** Sets how associating / disassociating this ASN and CIDR ends. */
  setAssociationOutcome(
    asn: string | number,
    cidr: string,
    outcome: { associate?: TransitionOutcome; disassociate?: TransitionOutcome },
  ): void {
    const key = `${parseAsn(String(asn))}|${parseCidr(cidr).cidr}`;
    this.setOutcome('associate', key, outcome.associate, 'associate' in outcome);
    this.setOutcome('disassociate', key, outcome.disassociate, 'disassociate' in outcome);
  }

  /** Sets how provisioning / deprovisioning / advertising / withdrawing this BYOIP CIDR ends. */
  setByoipCidrOutcome(cidr: string, outcome: {
    provision?: TransitionOutcome; deprovision?: TransitionOutcome; advertise?: TransitionOutcome; withdraw?: TransitionOutcome;
  }): void {
    const key = parseCidr(cidr).cidr;
    this.setOutcome('provisionCidr', key, outcome.provision, 'provision' in outcome);
    this.setOutcome('deprovisionCidr', key, outcome.deprovision, 'deprovision' in outcome);
    this.setOutcome('advertise', key, outcome.advertise, 'advertise' in outcome);
    this.setOutcome('withdraw', key, outcome.withdraw, 'withdraw' in outcome);
  }

  /** Seeds a BYOIP CIDR (default state `provisioned`, or `advertised` when `advertisedAsn` is given). Visible at once. */
  addByoipCidr(seed: {
    cidr: string; state?: ByoipCidrState; description?: string; statusMessage?: string;
    advertisedAsn?: string | number; networkBorderGroup?: string; publiclyAdvertisable?: boolean;
  }): ByoipCidrRecord {
    const { cidr } = parseCidr(seed.cidr);
    const advertisedAsn = seed.advertisedAsn === undefined ? undefined : parseAsn(String(seed.advertisedAsn));
    const record: ByoipCidrRecord = {
      cidr,
      state: seed.state ?? (advertisedAsn ? 'advertised' : 'provisioned'),
      description: seed.description,
      statusMessage: seed.statusMessage,
      networkBorderGroup: seed.networkBorderGroup ?? this.region,
      advertisedAsn,
      publiclyAdvertisable: seed.publiclyAdvertisable ?? seed.state !== 'provisioned-not-publicly-advertisable',
    };
    return this.seed(this.cidrs, cidr, record);
  }

  /** Seeds an ASN record (default state `provisioned`). Visible at once; no quota check. */
  addAsn(seed: { asn: string | number; ipamId: string; state?: AsnState; statusMessage?: string }): ByoasnRecord {
    const asn = parseAsn(String(seed.asn));
    return this.seed(this.asns, asn, { asn, ipamId: seed.ipamId, state: seed.state ?? 'provisioned', statusMessage: seed.statusMessage });
  }

  /** Seeds an association (default state `associated`). Visible at once; the ASN and CIDR need not exist. */
  addAssociation(seed: { asn: string | number; cidr: string; state?: AsnAssociationState; statusMessage?: string }): AsnAssociationRecord {
    const asn = parseAsn(String(seed.asn));
    const { cidr } = parseCidr(seed.cidr);
    return this.seed(this.associations, `${asn}|${cidr}`, { asn, cidr, state: seed.state ?? 'associated', statusMessage: seed.statusMessage });
  }

  /**
   * Seeds a lingering ASN record beside whatever live record of this ASN exists (listed before it), as AWS
   * shows an ASN deprovisioned from one IPAM, or a failed provisioning, next to a newer provisioning. It is
   * visible at once, expires after `asnLingerMs`, and blocks nothing.
   */
  addLingeringAsn(seed: { asn: string | number; ipamId: string; state: 'deprovisioned' | 'failed-provision'; statusMessage?: string }): ByoasnRecord {
    const asn = parseAsn(String(seed.asn));
    const record: ByoasnRecord = { asn, ipamId: seed.ipamId, state: seed.state, statusMessage: seed.statusMessage };
    return this.seedLingering(this.asns, this.lingeringAsns, asn, record, this.asnLingerMs);
  }

  /**
   * Seeds a lingering association record beside whatever live one of this ASN and CIDR exists (listed before
   * it in the CIDR's `asnAssociationSet`). Visible at once, expires after `associationLingerMs`, blocks nothing.
   */
  addLingeringAssociation(seed: {
    asn: string | number; cidr: string; state: 'disassociated' | 'failed-association'; statusMessage?: string;
  }): AsnAssociationRecord {
    const asn = parseAsn(String(seed.asn));
    const { cidr } = parseCidr(seed.cidr);
    const record: AsnAssociationRecord = { asn, cidr, state: seed.state, statusMessage: seed.statusMessage };
    return this.seedLingering(this.associations, this.lingeringAssociations, `${asn}|${cidr}`, record, this.associationLingerMs);
  }

  /**
   * Seeds a lingering BYOIP CIDR record beside whatever live record of this range exists (listed before it), as
   * AWS lists a deprovisioned range, or a failed provisioning, next to a newer provisioning of the same range.
   * Visible at once, expires after `byoipCidrLingerMs`, blocks nothing, and lists no associations.
   */
  addLingeringByoipCidr(seed: {
    cidr: string; state: 'deprovisioned' | 'failed-provision'; statusMessage?: string; description?: string; networkBorderGroup?: string;
  }): ByoipCidrRecord {
    const { cidr } = parseCidr(seed.cidr);
    const record: ByoipCidrRecord = {
      cidr, state: seed.state, statusMessage: seed.statusMessage, description: seed.description,
      networkBorderGroup: seed.networkBorderGroup ?? this.region, publiclyAdvertisable: true,
    };
    return this.seedLingering(this.cidrs, this.lingeringCidrs, cidr, record, this.byoipCidrLingerMs);
  }

  /**
   * Sets how many addresses of a BYOIP CIDR are allocated (Elastic IPs, IPAM pool allocations): while more than
   * 0, DeprovisionByoipCidr is refused with `IncorrectState`, as AWS refuses it. 0 releases them.
   */
  setAllocatedAddresses(cidr: string, count: number): void {
    if (!(count >= 0) || !Number.isInteger(count)) throw new Error(`setAllocatedAddresses count must be a whole number, got ${count}`);
    const key = parseCidr(cidr).cidr;
    if (count === 0) this.allocatedAddresses.delete(key);
    else this.allocatedAddresses.set(key, count);
  }

  /** The lingering records (beside live ones) as of now, sorted like Describe lists them. */
  lingeringRecords(): LingeringRecords {
    const now = this.clock();
    const asns = this.lingeringEntries(this.lingeringAsns, now, 'current');
    const associations = this.lingeringEntries(this.lingeringAssociations, now, 'current');
    const byoipCidrs = this.lingeringEntries(this.lingeringCidrs, now, 'current');
    return {
      asns: asns.sort((a, b) => Number(a.value.asn) - Number(b.value.asn) || a.order - b.order).map((e) => e.value),
      associations: associations.sort((a, b) => Number(a.value.asn) - Number(b.value.asn)
        || textCompare(a.value.cidr, b.value.cidr) || a.order - b.order).map((e) => e.value),
      byoipCidrs: byoipCidrs.sort((a, b) => textCompare(a.value.cidr, b.value.cidr) || a.order - b.order).map((e) => e.value),
    };
  }

  /**
   * Makes the next `count` successful mutations of `action` (e.g. `'ProvisionIpamByoasn'`) visible to Describe
   * calls only `ms` after they were applied, instead of after `consistencyDelayMs`: until then reads show the
   * record as it was before (or not at all). Models a read that misses a resource created moments before.
   * Calls again for the same action replace the pending setting.
   */
  hideNext(action: string, ms: number, count = 1): void {
    if (!(ms >= 0)) throw new Error(`hideNext ms must be >= 0, got ${ms}`);
    if (!(count >= 1) || !Number.isInteger(count)) throw new Error(`hideNext count must be a positive integer, got ${count}`);
    this.hides.set(action, { ms, remaining: count });
  }

  /**
   * Sets the status of a CloudFormation stack, as DescribeStacks reports it from now on. `stackIdOrName` is a
   * stack id (`arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID`; the record is created with the name
   * taken from it if needed) or a stack name (the live stack of that name; created with a new id if none).
   * Setting CREATE_IN_PROGRESS on a deleted stack re-creates it (new CreationTime). Returns the stack id.
   */
  setStackStatus(stackIdOrName: string, status: string): string {
    if (!/^[A-Z_]+$/.test(status)) throw new Error(`not a CloudFormation stack status: ${status}`);
    const now = this.clock();
    const parsed = parseStackId(stackIdOrName);
    let existing = parsed ? this.stacks.get(stackIdOrName) : this.liveStackNamed(stackIdOrName);
    if (existing && existing.status === 'DELETE_COMPLETE' && status === 'CREATE_IN_PROGRESS') existing = undefined;
    const stackId = existing?.stackId ?? (parsed ? stackIdOrName
      : `arn:aws:cloudformation:${this.region}:123456789012:stack/${stackIdOrName}/${randomUUID()}`);
    const stackName = existing?.stackName ?? parsed?.stackName ?? stackIdOrName;
    if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) throw new Error(`not a CloudFormation stack name: ${stackName}`);
    this.stacks.set(stackId, { stackId, stackName, creationTime: existing?.creationTime ?? now, status });
    return stackId;
  }

  /** The status DescribeStacks reports for a stack id or name (a name finds only a stack not yet deleted). */
  stackStatus(stackIdOrName: string): string | undefined {
    return this.findStack(stackIdOrName)?.status;
  }

  /** Everything held, with states as of now, sorted (ASNs numerically, CIDRs as text). */
  snapshot(): EmulatorSnapshot {
    const lingering = this.lingeringRecords();
    const now = this.clock();
    return {
      asns: this.list(this.asns, now, 'current').sort((a, b) => Number(a.asn) - Number(b.asn)),
      associations: this.list(this.associations, now, 'current')
        .sort((a, b) => Number(a.asn) - Number(b.asn) || (a.cidr < b.cidr ? -1 : a.cidr > b.cidr ? 1 : 0)),
      byoipCidrs: this.list(this.cidrs, now, 'current').sort((a, b) => (a.cidr < b.cidr ? -1 : a.cidr > b.cidr ? 1 : 0)),
      lingering: [
        ...lingering.asns.map((a): LingeringRecord => ({ kind: 'asn', ...a })),
        ...lingering.associations.map((a): LingeringRecord => ({ kind: 'association', ...a })),
        ...lingering.byoipCidrs.map((c): LingeringRecord => ({ kind: 'byoipCidr', ...c })),
      ],
    };
  }

  /** The requests seen so far (copies), optionally only those of one action. */
  calls(action?: string): CallRecord[] {
    return this.callLog
      .filter((c) => action === undefined || c.action === action)
      .map((c) => ({ ...c, params: { ...c.params } }));
  }

  /** Empties the call log. */
  clearCalls(): void {
    this.callLog = [];
  }

  /** Forgets all resources, stacks, outcomes, faults, hides and calls, and refills the throttle buckets. Settings stay. */
  reset(): void {
    this.asns.clear();
    this.associations.clear();
    this.cidrs.clear();
    this.lingeringAsns.length = 0;
    this.lingeringAssociations.length = 0;
    this.lingeringCidrs.length = 0;
    this.allocatedAddresses.clear();
    this.stacks.clear();
    this.outcomes.clear();
    this.faults.clear();
    this.hides.clear();
    this.callLog = [];
    const now = this.clock();
    this.buckets = this.buckets.map((b) => b.refilled(now));
  }

  // ---------------------------------------------------------------- HTTP

  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.idleTimeoutMs > 0 && this.server) {
      this.idleTimer = setTimeout(() => void this.stop(), this.idleTimeoutMs);
      this.idleTimer.unref();
    }
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.touch();
    const requestId = randomUUID();
    let body: string;
    try {
      body = await readBody(req);
    } catch (e) {
      const err = e instanceof Ec2ApiError ? e : new Ec2ApiError('InvalidRequest', 'The request could not be read.');
      this.reply(res, err.status, errorDocument(err.code, err.message, requestId), requestId);
      return;
    }
    const params = parseQueryParams(body, new URL(req.url ?? '/', 'http://127.0.0.1').search);
    const action = params.optional('Action') ?? '';
    const service = params.optional('Version') === CLOUDFORMATION_API_VERSION ? 'cloudformation' : 'ec2';
    const cfn = service === 'cloudformation';
    const now = this.clock();
    const call: CallRecord = { seq: ++this.seq, at: now, service, action, params: params.toRecord(), requestId, succeeded: false };
    this.callLog.push(call);
    if (this.callLog.length > MAX_CALL_LOG) this.callLog.splice(0, this.callLog.length - MAX_CALL_LOG);

    const table = cfn ? this.cloudFormationHandlers : this.handlers;
    const handler = Object.prototype.hasOwnProperty.call(table, action) ? table[action] : undefined;
    const fault = handler ? this.takeFault(action) : undefined;
    call.fault = fault?.kind;
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }

    let status = 200;
    let document: string;
    try {
      if (!action) throw new Ec2ApiError('MissingAction', 'The request must contain the parameter Action.');
      if (!handler) throw new Ec2ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
      if (fault?.kind === 'error') throw new Ec2ApiError(fault.code, fault.message ?? `Injected fault: ${fault.code}`, fault.status ?? 400);
      if (fault?.kind === 'internalError') {
        throw cfn ? new Ec2ApiError('InternalFailure', 'An internal error has occurred.', 500)
          : new Ec2ApiError('InternalError', 'An internal error has occurred.', 500);
      }
      if (!admit(this.buckets, action, now)) {
        // EC2 answers throttling with HTTP 503 RequestLimitExceeded, CloudFormation with HTTP 400 Throttling;
        // the SDK retries both as throttling.
        throw cfn ? new Ec2ApiError('Throttling', 'Rate exceeded', 400)
          : new Ec2ApiError('RequestLimitExceeded', 'Request limit exceeded.', 503);
      }
      this.activeAction = action;
      const result = handler(params, now);
      document = cfn ? cloudFormationSuccessDocument(action, requestId, result) : successDocument(action, requestId, result);
      call.succeeded = true;
    } catch (e) {
      const err = e instanceof Ec2ApiError ? e : new Ec2ApiError(cfn ? 'InternalFailure' : 'InternalError', `Emulator bug: ${String(e)}`, 500);
      status = err.status;
      call.errorCode = err.code;
      document = cfn ? cloudFormationErrorDocument(err.code, err.message, requestId, err.status)
        : errorDocument(err.code, err.message, requestId);
    } finally {
      this.activeAction = '';
    }

    if (fault?.kind === 'applyThenDrop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'slow') {
      const timer = setTimeout(() => {
        this.slowTimers.delete(timer);
        call.status = status;
        this.reply(res, status, document, requestId, service);
      }, fault.delayMs);
      timer.unref();
      this.slowTimers.add(timer);
      return;
    }
    call.status = status;
    this.reply(res, status, document, requestId, service);
  }

  private reply(res: http.ServerResponse, status: number, document: string, requestId: string, service: CallRecord['service'] = 'ec2'): void {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, {
      'Content-Type': 'text/xml;charset=UTF-8',
      'Content-Length': Buffer.byteLength(document),
      'x-amzn-RequestId': requestId,
      ...(service === 'ec2' ? { 'Server': 'AmazonEC2' } : {}),
      // The SDK corrects its clock skew against this header, and retries errors that it takes for skew.
      ...(this.clockInDateHeader ? { 'Date': new Date(this.clock()).toUTCString() } : {}),
    });
    res.end(document);
  }

  private takeFault(action: string): Fault | undefined {
    for (const key of [action, '*']) {
      const queue = this.faults.get(key);
      const head = queue?.[0];
      if (queue && head) {
        if (head.skip > 0) {
          head.skip -= 1;
          return undefined;
        }
        head.remaining -= 1;
        if (head.remaining <= 0) queue.shift();
        if (queue.length === 0) this.faults.delete(key);
        return head.fault;
      }
    }
    return undefined;
  }

  // ---------------------------------------------------------------- model helpers

  /** A pool id as AWS forms them (`ipv4pool-ec2-` or `ipv6pool-ec2-` and 17 hex digits), new for each provisioning. */
  private newPoolId(version: 4 | 6, cidr: string): string {
    const hex = createHash('sha256').update(`${this.instanceId}|${cidr}|${++this.recordOrder}`).digest('hex').slice(0, 17);
    return `ipv${version}pool-ec2-${hex}`;
  }

  private setOutcome(transition: Transition, key: string, outcome: TransitionOutcome | undefined, given: boolean): void {
    if (!given) return;
    if (outcome === undefined) this.outcomes.delete(`${transition}|${key}`);
    else this.outcomes.set(`${transition}|${key}`, outcome);
  }

  private outcome(transition: Transition, key: string): { fail: boolean; statusMessage?: string; delayMs: number } {
    const o = this.outcomes.get(`${transition}|${key}`);
    const fail = o?.fail === true;
    return {
      fail,
      statusMessage: o?.statusMessage ?? (fail ? DEFAULT_FAILURE_MESSAGES[transition] : undefined),
      delayMs: o?.delayMs ?? this.delays[transition],
    };
  }

  private seed<V>(map: Map<string, Timeline<V>>, key: string, value: V): V {
    const timeline = new Timeline<V>(++this.recordOrder);
    const now = this.clock();
    timeline.push([{ at: now, value }], now);
    map.set(key, timeline);
    return value;
  }

  /** Seeds a lingering record, listed before every other record of its key, gone after `lingerMs`. */
  private seedLingering<V>(map: Map<string, Timeline<V>>, list: Lingering<V>[], key: string, value: V, lingerMs: number): V {
    const orders = [map.get(key)?.order, ...list.filter((l) => l.key === key).map((l) => l.timeline.order)]
      .filter((o): o is number => o !== undefined);
    const timeline = new Timeline<V>(orders.length > 0 ? Math.min(...orders) - 1 : ++this.recordOrder);
    const now = this.clock();
    const steps: Step<V>[] = [{ at: now, value }];
    if (Number.isFinite(lingerMs)) steps.push({ at: now + lingerMs, value: undefined });
    timeline.push(steps, now);
    list.push({ key, timeline });
    return value;
  }

  /**
   * Records a mutation: `pending` now, `final` after `delayMs`, gone `lingerMs` after that (when finite).
   * Returns `pending`, which is what the mutating call answers. With `lingerInto`, a record that is absent now
   * (e.g. deprovisioned) is not overwritten: it moves to the lingering list, where Describe keeps showing it
   * beside the new record until it expires. Reads see the mutation after `consistencyDelayMs`, or after what
   * `hideNext` set for the action being handled.
   */
  private schedule<V>(
    map: Map<string, Timeline<V>>, key: string, now: number,
    pending: V, final: V, delayMs: number, lingerMs: number | undefined, lingerInto?: LingerInto<V>,
  ): V {
    const steps: Step<V>[] = [{ at: now, value: pending }, { at: now + delayMs, value: final }];
    if (lingerMs !== undefined && Number.isFinite(lingerMs)) steps.push({ at: now + delayMs + lingerMs, value: undefined });
    let timeline = map.get(key);
    const existing = timeline?.current(now);
    if (timeline && lingerInto && existing !== undefined && lingerInto.absent(existing)) {
      lingerInto.list.push({ key, timeline });
      timeline = undefined;
    }
    timeline ??= new Timeline<V>(++this.recordOrder);
    timeline.push(steps, now + this.visibilityDelay());
    map.set(key, timeline);
    return pending;
  }

  /** How long the mutation being handled stays invisible to reads: a pending `hideNext`, or the consistency delay. */
  private visibilityDelay(): number {
    const hide = this.hides.get(this.activeAction);
    if (hide === undefined) return this.consistencyDelayMs;
    hide.remaining -= 1;
    if (hide.remaining <= 0) this.hides.delete(this.activeAction);
    return hide.ms;
  }

  /** Values of every live record as of now: authoritative (`current`) or as Describe shows them (`visible`). */
  private list<V>(map: Map<string, Timeline<V>>, now: number, view: 'current' | 'visible'): V[] {
    return this.entries(map, now, view).map((e) => e.value);
  }

  /** Like `list`, with each record's listing order. */
  private entries<V>(map: Map<string, Timeline<V>>, now: number, view: 'current' | 'visible'): { value: V; order: number }[] {
    const out: { value: V; order: number }[] = [];
    for (const [key, timeline] of [...map]) {
      if (timeline.prune(now)) {
        map.delete(key);
        continue;
      }
      const value = view === 'current' ? timeline.current(now) : timeline.visible(now);
      if (value !== undefined) out.push({ value, order: timeline.order });
    }
    return out;
  }

  /** The lingering records as of now (expired ones are dropped). */
  private lingeringEntries<V>(list: Lingering<V>[], now: number, view: 'current' | 'visible'): { value: V; order: number }[] {
    const out: { value: V; order: number }[] = [];
    for (let i = list.length - 1; i >= 0; i--) {
      const { timeline } = list[i];
      if (timeline.prune(now)) {
        list.splice(i, 1);
        continue;
      }
      const value = view === 'current' ? timeline.current(now) : timeline.visible(now);
      if (value !== undefined) out.push({ value, order: timeline.order });
    }
    return out.reverse();
  }

  /** What Describe lists: lingering and live records, each key's lingering ones first. */
  private listed<V>(map: Map<string, Timeline<V>>, list: Lingering<V>[], now: number): { value: V; order: number }[] {
    return [...this.lingeringEntries(list, now, 'visible'), ...this.entries(map, now, 'visible')];
  }

  private findStack(idOrName: string): StackRecord | undefined {
    return parseStackId(idOrName) ? this.stacks.get(idOrName) : this.liveStackNamed(idOrName);
  }

  /** The most recently created stack of this name that is not deleted (as DescribeStacks finds a name). */
  private liveStackNamed(name: string): StackRecord | undefined {
    let found: StackRecord | undefined;
    for (const stack of this.stacks.values()) {
      if (stack.stackName === name && stack.status !== 'DELETE_COMPLETE' && (!found || stack.creationTime >= found.creationTime)) found = stack;
    }
    return found;
  }

  private checkIpam(ipamId: string): void {
    if (this.knownIpamIds && !this.knownIpamIds.has(ipamId)) {
      throw new Ec2ApiError('InvalidIpamId.NotFound', `The ipam ID '${ipamId}' does not exist`);
    }
  }

  private checkDryRun(params: QueryParams): void {
    if (params.flag('DryRun', false)) {
      throw new Ec2ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
    }
  }

  private blockingAssociations(now: number, match: (a: AsnAssociationRecord) => boolean): AsnAssociationRecord[] {
    return this.list(this.associations, now, 'current').filter((a) => match(a) && !ASSOCIATION_ABSENT.has(a.state));
  }

  /** One page of `items` (sorted by `key`) after the NextToken's position. */
  private page<V>(
    action: string, items: V[], key: (v: V) => string, compare: (a: string, b: string) => number,
    maxResults: number | undefined, nextToken: string | undefined,
  ): { items: V[]; nextToken?: string } {
    items.sort((a, b) => compare(key(a), key(b)));
    let start = 0;
    if (nextToken !== undefined) {
      const after = this.decodeToken(action, nextToken);
      const index = items.findIndex((v) => compare(key(v), after) > 0);
      start = index < 0 ? items.length : index;
    }
    const size = Math.min(maxResults ?? this.maxPageSize, this.maxPageSize);
    const pageItems = items.slice(start, start + size);
    const last = pageItems[pageItems.length - 1];
    const more = start + size < items.length && last !== undefined;
    return { items: pageItems, nextToken: more ? this.encodeToken(action, key(last)) : undefined };
  }

  private encodeToken(action: string, after: string): string {
    return Buffer.from(JSON.stringify({ e: this.instanceId, a: action, k: after })).toString('base64url');
  }

  private decodeToken(action: string, token: string): string {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      decoded = undefined;
    }
    const t = decoded as { e?: unknown; a?: unknown; k?: unknown } | undefined;
    if (!t || typeof t !== 'object' || t.e !== this.instanceId || t.a !== action || typeof t.k !== 'string') {
      throw new Ec2ApiError('InvalidNextToken', `The specified NextToken is not valid for ${action}.`);
    }
    return t.k;
  }

  // ---------------------------------------------------------------- ASN actions

  private provisionIpamByoasn(p: QueryParams, now: number): string {
    const ipamId = p.required('IpamId');
    const asn = parseAsn(p.required('Asn'));
    p.required('AsnAuthorizationContext.Message');
    p.required('AsnAuthorizationContext.Signature');
    this.checkIpam(ipamId);
    this.checkDryRun(p);
    const existing = this.asns.get(asn)?.current(now);
    if (existing && !ASN_ABSENT.has(existing.state)) {
      throw incorrectState(existing.ipamId === ipamId
        ? `The ASN ${asn} is already ${existing.state} in IPAM ${ipamId}.`
        : `The ASN ${asn} is ${existing.state} in another IPAM (${existing.ipamId}). Deprovision it there first.`);
    }
    const inUse = this.list(this.asns, now, 'current').filter((a) => a.ipamId === ipamId && !ASN_ABSENT.has(a.state));
    if (inUse.length >= this.asnQuotaPerIpam) {
      throw new Ec2ApiError('ResourceLimitExceeded',
        `You have reached the maximum number of ASNs (${this.asnQuotaPerIpam}) for IPAM ${ipamId}.`);
    }
    const o = this.outcome('provisionAsn', asn);
    const pending = this.schedule(this.asns, asn, now,
      { asn, ipamId, state: 'pending-provision' },
      { asn, ipamId, state: o.fail ? 'failed-provision' : 'provisioned', statusMessage: o.statusMessage },
      o.delayMs, o.fail ? this.asnLingerMs : undefined, { list: this.lingeringAsns, absent: (a) => ASN_ABSENT.has(a.state) });
    return `<byoasn>${byoasnXml(pending)}</byoasn>`;
  }

  private deprovisionIpamByoasn(p: QueryParams, now: number): string {
    const ipamId = p.required('IpamId');
    const asn = parseAsn(p.required('Asn'));
    this.checkIpam(ipamId);
    this.checkDryRun(p);
    const existing = this.asns.get(asn)?.current(now);
    if (!existing || existing.ipamId !== ipamId) {
      throw badValue(`The ASN ${asn} is not provisioned in IPAM ${ipamId}.`);
    }
    if (existing.state !== 'provisioned' && existing.state !== 'failed-deprovision') {
      throw incorrectState(`The ASN ${asn} is ${existing.state} and cannot be deprovisioned.`);
    }
    const blocking = this.blockingAssociations(now, (a) => a.asn === asn);
    if (blocking.length > 0) {
      throw incorrectState(`The ASN ${asn} cannot be deprovisioned while it still has associations with CIDRs: `
        + `${blocking.map((a) => `${a.cidr} (${a.state})`).join(', ')}. Disassociate them first.`);
    }
    const o = this.outcome('deprovisionAsn', asn);
    const pending = this.schedule(this.asns, asn, now,
      { asn, ipamId, state: 'pending-deprovision' },
      { asn, ipamId, state: o.fail ? 'failed-deprovision' : 'deprovisioned', statusMessage: o.statusMessage },
      o.delayMs, o.fail ? undefined : this.asnLingerMs);
    return `<byoasn>${byoasnXml(pending)}</byoasn>`;
  }

  private associateIpamByoasn(p: QueryParams, now: number): string {
    const asn = parseAsn(p.required('Asn'));
    const { cidr } = parseCidr(p.required('Cidr'));
    this.checkDryRun(p);
    const byoip = this.cidrs.get(cidr)?.current(now);
    if (!byoip || CIDR_ABSENT.has(byoip.state)) {
      throw badValue(`The CIDR ${cidr} is not a BYOIP CIDR in this Region. Provision it with ProvisionByoipCidr first.`);
    }
    if (!CIDR_ASSOCIABLE.has(byoip.state)) {
      throw incorrectState(`The BYOIP CIDR ${cidr} is ${byoip.state}; an ASN cannot be associated with it now.`);
    }
    const asnRecord = this.asns.get(asn)?.current(now);
    if (!asnRecord || asnRecord.state !== 'provisioned') {
      throw incorrectState(`The ASN ${asn} is not provisioned (state: ${asnRecord?.state ?? 'unknown'}).`);
    }
    const key = `${asn}|${cidr}`;
    const existing = this.associations.get(key)?.current(now);
    if (existing && !ASSOCIATION_ABSENT.has(existing.state)) {
      throw incorrectState(`The ASN ${asn} is already ${existing.state} with ${cidr}.`);
    }
    const o = this.outcome('associate', key);
    const pending = this.schedule(this.associations, key, now,
      { asn, cidr, state: 'pending-association' },
      { asn, cidr, state: o.fail ? 'failed-association' : 'associated', statusMessage: o.statusMessage },
      o.delayMs, o.fail ? this.associationLingerMs : undefined,
      { list: this.lingeringAssociations, absent: (a) => ASSOCIATION_ABSENT.has(a.state) });
    return `<asnAssociation>${associationXml(pending)}</asnAssociation>`;
  }

  private disassociateIpamByoasn(p: QueryParams, now: number): string {
    const asn = parseAsn(p.required('Asn'));
    const { cidr } = parseCidr(p.required('Cidr'));
    this.checkDryRun(p);
    const key = `${asn}|${cidr}`;
    const existing = this.associations.get(key)?.current(now);
    if (!existing) throw badValue(`The ASN ${asn} is not associated with ${cidr}.`);
    if (existing.state !== 'associated' && existing.state !== 'failed-disassociation') {
      throw incorrectState(`The association of ASN ${asn} with ${cidr} is ${existing.state} and cannot be disassociated.`);
    }
    const byoip = this.cidrs.get(cidr)?.current(now);
    if (byoip?.advertisedAsn === asn) {
      throw incorrectState(`The CIDR ${cidr} is advertised with ASN ${asn} (${byoip.state}). `
        + 'Withdraw it (WithdrawByoipCidr) or advertise it with another ASN before disassociating.');
    }
    const o = this.outcome('disassociate', key);
    const pending = this.schedule(this.associations, key, now,
      { asn, cidr, state: 'pending-disassociation' },
      { asn, cidr, state: o.fail ? 'failed-disassociation' : 'disassociated', statusMessage: o.statusMessage },
      o.delayMs, o.fail ? undefined : this.associationLingerMs);
    return `<asnAssociation>${associationXml(pending)}</asnAssociation>`;
  }

  private describeIpamByoasn(p: QueryParams, now: number): string {
    const maxResults = p.integer('MaxResults', 1, 100, false);
    const nextToken = p.optional('NextToken');
    this.checkDryRun(p);
    // Records of one ASN (lingering ones first) are told apart by their order, so that pages never split them.
    const page = this.page('DescribeIpamByoasn', this.listed(this.asns, this.lingeringAsns, now), (e) => `${e.value.asn}#${e.order}`,
      (a, b) => {
        const [asnA, orderA] = a.split('#').map(Number);
        const [asnB, orderB] = b.split('#').map(Number);
        return asnA - asnB || orderA - orderB;
      }, maxResults, nextToken);
    return listElement('byoasnSet', page.items.map((e) => byoasnXml(e.value))) + textElement('nextToken', page.nextToken);
  }

  // ---------------------------------------------------------------- BYOIP CIDR actions

  private describeByoipCidrs(p: QueryParams, now: number): string {
    const maxResults = p.integer('MaxResults', 1, 100, true);
    const nextToken = p.optional('NextToken');
    this.checkDryRun(p);
    const associations = this.listed(this.associations, this.lingeringAssociations, now)
      .sort((a, b) => Number(a.value.asn) - Number(b.value.asn) || a.order - b.order).map((e) => e.value);
    const lingering = this.lingeringEntries(this.lingeringCidrs, now, 'visible').map((e) => ({ ...e, lingering: true }));
    const live = this.entries(this.cidrs, now, 'visible').map((e) => ({ ...e, lingering: false }));
    // Records of one range (lingering ones first) are told apart by their order, so that pages never split them.
    const page = this.page('DescribeByoipCidrs', [...lingering, ...live], (e) => `${e.value.cidr}#${e.order}`,
      (a, b) => {
        const [cidrA, orderA] = a.split('#');
        const [cidrB, orderB] = b.split('#');
        return textCompare(cidrA, cidrB) || Number(orderA) - Number(orderB);
      }, maxResults, nextToken);
    const items = page.items.map((e) => byoipCidrXml(e.value, e.lingering ? [] : associations.filter((a) => a.cidr === e.value.cidr)));
    return listElement('byoipCidrSet', items) + textElement('nextToken', page.nextToken);
  }

  private provisionByoipCidr(p: QueryParams, now: number): string {
    const parsed = parseCidr(p.required('Cidr'));
    const publiclyAdvertisable = p.flag('PubliclyAdvertisable', true);
    const maxPrefix = parsed.version === 4 ? 24 : publiclyAdvertisable ? 48 : 56;
    if (parsed.prefix > maxPrefix) {
      throw badValue(`The CIDR ${parsed.cidr} is too small: the longest prefix allowed here is /${maxPrefix}.`);
    }
    const message = p.optional('CidrAuthorizationContext.Message');
    const signature = p.optional('CidrAuthorizationContext.Signature');
    if ((message === undefined) !== (signature === undefined)) {
      p.required(message === undefined ? 'CidrAuthorizationContext.Message' : 'CidrAuthorizationContext.Signature');
    }
    this.checkDryRun(p);
    const { cidr } = parsed;
    const existing = this.cidrs.get(cidr)?.current(now);
    if (existing && !CIDR_ABSENT.has(existing.state)) throw incorrectState(`The CIDR ${cidr} is already ${existing.state}.`);
    const inUse = this.list(this.cidrs, now, 'current').filter((c) => !CIDR_ABSENT.has(c.state));
    if (inUse.length >= this.byoipCidrQuota) {
      throw new Ec2ApiError('ResourceLimitExceeded',
        `You have reached the maximum number of BYOIP CIDRs (${this.byoipCidrQuota}) in this Region.`);
    }
    const base = {
      cidr,
      description: p.optional('Description'),
      networkBorderGroup: p.optional('NetworkBorderGroup') ?? this.region,
      publiclyAdvertisable,
    };
    const o = this.outcome('provisionCidr', cidr);
    const finalState: ByoipCidrState = o.fail ? 'failed-provision'
      : publiclyAdvertisable ? 'provisioned' : 'provisioned-not-publicly-advertisable';
    // On success AWS puts the id of the address pool it created into the StatusMessage.
    const statusMessage = o.statusMessage ?? (o.fail ? undefined : this.newPoolId(parsed.version, cidr));
    const pending = this.schedule(this.cidrs, cidr, now,
      { ...base, state: 'pending-provision' }, { ...base, state: finalState, statusMessage },
      o.delayMs, o.fail ? this.byoipCidrLingerMs : undefined, { list: this.lingeringCidrs, absent: (c) => CIDR_ABSENT.has(c.state) });
    return `<byoipCidr>${byoipCidrXml(pending, [])}</byoipCidr>`;
  }

  private existingCidr(p: QueryParams, now: number): ByoipCidrRecord {
    const { cidr } = parseCidr(p.required('Cidr'));
    this.checkDryRun(p);
    const existing = this.cidrs.get(cidr)?.current(now);
    if (!existing || CIDR_ABSENT.has(existing.state)) throw badValue(`The CIDR ${cidr} is not a BYOIP CIDR in this Region.`);
    return existing;
  }

  private visibleAssociationsOf(cidr: string, now: number): AsnAssociationRecord[] {
    return this.listed(this.associations, this.lingeringAssociations, now)
      .sort((a, b) => Number(a.value.asn) - Number(b.value.asn) || a.order - b.order)
      .map((e) => e.value).filter((a) => a.cidr === cidr);
  }

  private advertiseByoipCidr(p: QueryParams, now: number): string {
    const current = this.existingCidr(p, now);
    const asnParam = p.optional('Asn');
    // `AWS` (or no Asn) means Amazon's ASN is the origin.
    const origin = asnParam === undefined || asnParam === 'AWS' ? undefined : parseAsn(asnParam);
    if (current.state === 'provisioned-not-publicly-advertisable') {
      throw incorrectState(`The CIDR ${current.cidr} is not publicly advertisable.`);
    }
    if (current.state !== 'provisioned' && current.state !== 'advertised') {
      throw incorrectState(`The CIDR ${current.cidr} is ${current.state} and cannot be advertised now.`);
    }
    if (origin !== undefined && this.associations.get(`${origin}|${current.cidr}`)?.current(now)?.state !== 'associated') {
      throw incorrectState(`The ASN ${origin} is not associated with ${current.cidr}. Associate it first (AssociateIpamByoasn).`);
    }
    const associations = this.visibleAssociationsOf(current.cidr, now);
    if (current.state === 'advertised' && current.advertisedAsn === origin) {
      return `<byoipCidr>${byoipCidrXml(current, associations)}</byoipCidr>`;
    }
    const o = this.outcome('advertise', current.cidr);
    const final: ByoipCidrRecord = o.fail
      ? { ...current, statusMessage: o.statusMessage }
      : { ...current, state: 'advertised', advertisedAsn: origin, statusMessage: o.statusMessage ?? current.statusMessage };
    const pending = this.schedule(this.cidrs, current.cidr, now,
      { ...current, state: 'pending-advertising', advertisedAsn: origin, statusMessage: undefined }, final, o.delayMs, undefined);
    return `<byoipCidr>${byoipCidrXml(pending, associations)}</byoipCidr>`;
  }

  private withdrawByoipCidr(p: QueryParams, now: number): string {
    const current = this.existingCidr(p, now);
    if (current.state !== 'advertised') {
      throw incorrectState(`The CIDR ${current.cidr} is ${current.state}, not advertised.`);
    }
    const o = this.outcome('withdraw', current.cidr);
    const final: ByoipCidrRecord = o.fail
      ? { ...current, statusMessage: o.statusMessage }
      : { ...current, state: 'provisioned', advertisedAsn: undefined, statusMessage: o.statusMessage ?? current.statusMessage };
    const pending = this.schedule(this.cidrs, current.cidr, now,
      { ...current, state: 'pending-withdrawal', statusMessage: undefined }, final, o.delayMs, undefined);
    return `<byoipCidr>${byoipCidrXml(pending, this.visibleAssociationsOf(current.cidr, now))}</byoipCidr>`;
  }

  private deprovisionByoipCidr(p: QueryParams, now: number): string {
    const current = this.existingCidr(p, now);
    if (current.state === 'advertised' || current.state === 'pending-advertising' || current.state === 'pending-withdrawal') {
      throw incorrectState(`The CIDR ${current.cidr} is ${current.state}. Withdraw it (WithdrawByoipCidr) first.`);
    }
    if (!['provisioned', 'provisioned-not-publicly-advertisable', 'failed-deprovision'].includes(current.state)) {
      throw incorrectState(`The CIDR ${current.cidr} is ${current.state} and cannot be deprovisioned now.`);
    }
    const blocking = this.blockingAssociations(now, (a) => a.cidr === current.cidr);
    if (blocking.length > 0) {
      throw incorrectState(`The CIDR ${current.cidr} cannot be deprovisioned while ASNs are associated with it: `
        + `${blocking.map((a) => `${a.asn} (${a.state})`).join(', ')}. Disassociate them first.`);
    }
    const allocated = this.allocatedAddresses.get(current.cidr) ?? 0;
    if (allocated > 0) {
      throw incorrectState(`The CIDR ${current.cidr} cannot be deprovisioned while ${allocated} of its addresses are allocated `
        + '(Elastic IP addresses or IPAM pool allocations). Release them first.');
    }
    const o = this.outcome('deprovisionCidr', current.cidr);
    const pending = this.schedule(this.cidrs, current.cidr, now,
      { ...current, state: 'pending-deprovision', statusMessage: undefined },
      { ...current, state: o.fail ? 'failed-deprovision' : 'deprovisioned', statusMessage: o.statusMessage },
      o.delayMs, o.fail ? undefined : this.byoipCidrLingerMs);
    return `<byoipCidr>${byoipCidrXml(pending, this.visibleAssociationsOf(current.cidr, now))}</byoipCidr>`;
  }

  // ---------------------------------------------------------------- CloudFormation actions

  private describeStacks(p: QueryParams): string {
    const name = p.optional('StackName');
    let stacks: StackRecord[];
    if (name === undefined || name === '') {
      stacks = [...this.stacks.values()].filter((s) => s.status !== 'DELETE_COMPLETE');
    } else {
      const found = this.findStack(name);
      if (!found) throw new Ec2ApiError('ValidationError', `Stack with id ${name} does not exist`);
      stacks = [found];
    }
    return memberListElement('Stacks', stacks.map((s) => textElement('StackId', s.stackId) + textElement('StackName', s.stackName)
      + textElement('CreationTime', new Date(s.creationTime).toISOString()) + textElement('StackStatus', s.status)));
  }
}
