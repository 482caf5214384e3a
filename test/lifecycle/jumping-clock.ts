import type { Clock } from './cloudformation';

/**
 * Real time plus jumps. Polling jumps ahead by the query interval (so minutes of AWS work take no real time),
 * while real time still runs between jumps, so that the emulator's token buckets refill during the SDK's
 * real backoff, as AWS's do.
 */
export class JumpingClock implements Clock {
  // performance.now(), not Date.now(): the driver points Date.now at this clock while a handler runs.
  private readonly startedAt = performance.now();
  private readonly base = Date.now();
  private jumped = 0;

  /**
   * @param speed simulated ms per real ms between jumps (default 1: real time). Above 1, the SDK's real backoff
   * sleeps count for more simulated time (a throttled client waits `speed` times longer, as the token buckets
   * see it), which shortens tests that spend most of their real time backing off.
   */
  constructor(private readonly speed: number = 1) {
    if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`JumpingClock speed must be a positive number, got ${speed}`);
  }

  readonly now = (): number => this.base + Math.round((performance.now() - this.startedAt) * this.speed) + this.jumped;

  advance(ms: number): void {
    this.jumped += ms;
  }
}
