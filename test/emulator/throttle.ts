/** Request throttling for the emulator: token buckets on the emulator clock. */

/** One token bucket; every request to one of its actions takes a token, and none left means throttled. */
export interface ThrottleBucketOptions {
  /** Tokens when full (the burst size). The bucket starts full. */
  readonly capacity: number;
  /** Tokens added per second of emulator clock (0: never refills). */
  readonly refillPerSecond: number;
  /** Actions drawing from this bucket; omitted means every action (a global bucket). */
  readonly actions?: readonly string[];
}

/** A bucket with its fill level. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(private readonly options: ThrottleBucketOptions, now: number) {
    if (!(options.capacity >= 1) || !(options.refillPerSecond >= 0)) {
      throw new Error(`invalid throttle bucket: capacity must be >= 1 and refillPerSecond >= 0, got ${JSON.stringify(options)}`);
    }
    this.tokens = options.capacity;
    this.updatedAt = now;
  }

  /** A full bucket with the same settings. */
  refilled(now: number): TokenBucket {
    return new TokenBucket(this.options, now);
  }

  /** Whether this bucket meters `action`. */
  applies(action: string): boolean {
    return this.options.actions === undefined || this.options.actions.includes(action);
  }

  /** Whether a whole token is available as of `now` (refills first). */
  available(now: number): boolean {
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.options.capacity, this.tokens + (elapsed / 1000) * this.options.refillPerSecond);
    this.updatedAt = now;
    return this.tokens >= 1;
  }

  /** Takes one token; call only after `available` said yes. */
  take(): void {
    this.tokens -= 1;
  }
}

/** Takes a token from every bucket metering `action`, or from none when any is empty. Returns false if throttled. */
export function admit(buckets: readonly TokenBucket[], action: string, now: number): boolean {
  const relevant = buckets.filter((b) => b.applies(action));
  if (!relevant.every((b) => b.available(now))) return false;
  relevant.forEach((b) => b.take());
  return true;
}
