const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** WeChat's days start at 00:00 China Standard Time, UTC+8, which has no daylight saving. */
const CHINA_OFFSET_MS = 8 * 3_600_000;

/** The start of the minute after `now`: when a 45011 per-minute limit lifts. */
export function startOfNextMinute(now: Date): Date {
  return new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
}

/** The next 00:00 in China (UTC+8) after `now`: when a 45009 daily limit lifts. */
export function startOfNextChinaDay(now: Date): Date {
  const chinaMs = now.getTime() + CHINA_OFFSET_MS;
  return new Date(Math.floor(chinaMs / DAY_MS) * DAY_MS + DAY_MS - CHINA_OFFSET_MS);
}
