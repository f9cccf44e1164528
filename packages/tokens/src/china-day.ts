const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** WeChat's daily quotas reset at 00:00 China time (UTC+8): the day a moment belongs to there. */
export function chinaDay(atMs: number): string {
  return new Date(atMs + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** The next 00:00 China time after `atMs`. */
export function nextChinaMidnight(atMs: number): Date {
  const shifted = atMs + CHINA_OFFSET_MS;
  return new Date(Math.floor(shifted / DAY_MS) * DAY_MS + DAY_MS - CHINA_OFFSET_MS);
}
