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

  readonly now = (): number => this.base + Math.round(performance.now() - this.startedAt) + this.jumped;

  advance(ms: number): void {
    this.jumped += ms;
  }
}
