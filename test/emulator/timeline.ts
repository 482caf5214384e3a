/**
 * A record whose state is a function of time, so that the emulator never needs timers: every mutating call
 * schedules its future states up front (pending now, terminal after a delay, gone after lingering) and readers
 * compute the state "as of now" from an injectable clock.
 *
 * Eventual consistency falls out of the same structure: each mutation becomes a version that Describe calls
 * only see from `visibleAt` on; until then they keep seeing the previous version (or nothing).
 */

/** From `at` (ms on the emulator clock) on, the record reads `value`; undefined means it no longer exists. */
export interface Step<V> {
  readonly at: number;
  readonly value: V | undefined;
}

interface Version<V> {
  readonly visibleAt: number;
  /** Sorted by `at`; the first step is at the mutation time. */
  readonly steps: readonly Step<V>[];
}

function valueAt<V>(version: Version<V>, now: number): V | undefined {
  let value: V | undefined;
  for (const step of version.steps) {
    if (step.at > now) break;
    value = step.value;
  }
  return value;
}

/** The versions of one record (one ASN, one association, one BYOIP CIDR). */
export class Timeline<V> {
  private versions: Version<V>[] = [];

  /**
   * @param order where this record stands among records of the same key in listings (lower first): the emulator
   * lists a lingering record before the live one that replaced it
   */
  constructor(public readonly order: number = 0) {}

  /**
   * Records a mutation.
   * @param steps the states it schedules, in time order, the first at the mutation time
   * @param visibleAt from when Describe calls see this version (eventual consistency)
   */
  push(steps: readonly Step<V>[], visibleAt: number): void {
    this.versions.push({ visibleAt, steps: [...steps].sort((a, b) => a.at - b.at) });
  }

  /** The authoritative state as of `now` (what the service itself acts on). */
  current(now: number): V | undefined {
    const latest = this.versions[this.versions.length - 1];
    return latest === undefined ? undefined : valueAt(latest, now);
  }

  /** What Describe calls show as of `now`: the latest version that has become visible. */
  visible(now: number): V | undefined {
    for (let i = this.versions.length - 1; i >= 0; i--) {
      if (this.versions[i].visibleAt <= now) return valueAt(this.versions[i], now);
    }
    return undefined;
  }

  /** Drops versions hidden behind a visible newer one; true when nothing is left to show, now or later. */
  prune(now: number): boolean {
    let keepFrom = 0;
    for (let i = this.versions.length - 1; i >= 0; i--) {
      if (this.versions[i].visibleAt <= now) {
        keepFrom = i;
        break;
      }
    }
    this.versions = this.versions.slice(keepFrom);
    const last = this.versions[this.versions.length - 1];
    if (last === undefined) return true;
    const lastStep = last.steps[last.steps.length - 1];
    // Gone for good: a single visible version whose final step (reached) removes the record.
    return this.versions.length === 1 && last.visibleAt <= now && lastStep.at <= now && lastStep.value === undefined;
  }
}
