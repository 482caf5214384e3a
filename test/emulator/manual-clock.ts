/** A clock that only moves when told to, for driving the emulator's state transitions instantly. */
export class ManualClock {
  /** @param time starting time in ms since the epoch */
  constructor(private time: number = Date.UTC(2030, 0, 1)) {}

  /** The current time; pass as the emulator's `now` option (it is bound, so it can be passed around). */
  readonly now = (): number => this.time;

  /** Moves the clock forward by `ms` (negative values are refused: time does not run backwards). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`ManualClock.advance needs ms >= 0, got ${ms}`);
    this.time += ms;
  }
}
