export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** WeChat's daily quotas reset at 00:00 China Standard Time (UTC+8, no daylight saving). */
const CHINA_OFFSET_MS = 8 * HOUR_MS;

/** The China calendar day of an instant, as `YYYY-MM-DD`: the key of every daily counter. */
export function chinaDay(ms: number): string {
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** The calendar minute of an instant: the key of every per-minute counter ("retry next minute"). */
export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}

/**
 * Each sandbox app runs on its own clock, the sandbox's base clock plus an offset, so that a test
 * can jump one app seven days ahead without disturbing the apps of other tests.
 */
export class AppClock {
  private offsetMs = 0;

  constructor(private readonly baseNow: () => number) {}

  now(): number {
    return this.baseNow() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  set(ms: number): void {
    this.offsetMs = ms - this.baseNow();
  }
}
