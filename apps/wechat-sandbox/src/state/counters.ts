import { chinaDay, minuteOf } from '../clock.js';

/** Counts events per China day; yesterday's count is forgotten when the day changes. */
export class DailyCounter {
  private day = '';
  private count = 0;
  private lifetime = 0;

  today(now: number): number {
    return this.day === chinaDay(now) ? this.count : 0;
  }

  /** Every event ever counted, across days. */
  total(): number {
    return this.lifetime;
  }

  add(now: number): void {
    const day = chinaDay(now);
    if (day !== this.day) {
      this.day = day;
      this.count = 0;
    }
    this.count += 1;
    this.lifetime += 1;
  }
}

/** Counts events per calendar minute, the window WeChat's "retry next minute" quota uses. */
export class MinuteCounter {
  private minute = Number.NaN;
  private count = 0;

  /** Counts one event unless `limit` events already happened this minute. */
  tryAdd(now: number, limit: number): boolean {
    const minute = minuteOf(now);
    if (minute !== this.minute) {
      this.minute = minute;
      this.count = 0;
    }
    if (this.count >= limit) return false;
    this.count += 1;
    return true;
  }
}
