import type { QuietHours } from '@minapush/config';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Zone changes (DST, a country moving its offset) met in one search, at most: real zones change twice a year. */
const MAX_ZONE_CHANGES = 4;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

const floorMod = (value: number, by: number) => ((value % by) + by) % by;

/** The zone's offset from UTC at instant `t` (ms), as Intl's time zone data says: local = t + offset. */
function offsetAt(t: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(timeZone).formatToParts(t)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const local = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return local - (t - floorMod(t, 1_000));
}

/** Milliseconds since local midnight at instant `t`. */
function timeOfDayAt(t: number, timeZone: string): number {
  return floorMod(t + offsetAt(t, timeZone), DAY);
}

function minutesOf(clock: string): number {
  const [hours, minutes] = clock.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

function within(timeOfDay: number, startMs: number, endMs: number): boolean {
  return startMs < endMs
    ? timeOfDay >= startMs && timeOfDay < endMs
    : timeOfDay >= startMs || timeOfDay < endMs;
}

/** Whether instant `now` (ms) lies inside the quiet hours: from `start` on, until before `end`. */
export function isQuietAt(now: number, window: QuietHours): boolean {
  return within(
    timeOfDayAt(now, window.timezone),
    minutesOf(window.start) * MINUTE,
    minutesOf(window.end) * MINUTE,
  );
}

/**
 * How long a send at instant `now` (ms) must wait for the quiet hours to end: 0 outside them,
 * else the milliseconds until the first instant outside (the window's `end`, wall-clock time in
 * its zone). A daylight-saving change inside the window lengthens or shortens the wait by the
 * hour it moves the clock; an `end` the clocks jump over (02:30 on a spring-forward night) ends
 * the wait at the jump. So the wait is at most a day, plus the hour a clock set back adds.
 */
export function quietHoursWaitMs(now: number, window: QuietHours): number {
  return untilOutside(now, window.timezone, minutesOf(window.start) * MINUTE, minutesOf(window.end) * MINUTE);
}

/**
 * How long until the quiet hours begin, seen from instant `now`: 0 inside them, else the
 * milliseconds until the first instant inside. A batch that starts sending outside them stops
 * there.
 */
export function msUntilQuietHours(now: number, window: QuietHours): number {
  // outside the window is the window from its end to its start
  return untilOutside(now, window.timezone, minutesOf(window.end) * MINUTE, minutesOf(window.start) * MINUTE);
}

/** Milliseconds from `now` to the first instant whose local time of day is not in [startMs, endMs). */
function untilOutside(now: number, timeZone: string, startMs: number, endMs: number): number {
  let t = now;
  for (let change = 0; change <= MAX_ZONE_CHANGES; change += 1) {
    const offset = offsetAt(t, timeZone);
    const timeOfDay = floorMod(t + offset, DAY);
    if (!within(timeOfDay, startMs, endMs)) return t - now;
    // the wall-clock time left until `end`, as the clock reads now
    const wallLeft = floorMod(endMs - timeOfDay, DAY) || DAY;
    const naive = t + wallLeft;
    const naiveOffset = offsetAt(naive, timeZone);
    if (naiveOffset === offset) return naive - now;
    // The clock is set forward or back before `end`: the clock reads `end` as much earlier or later,
    // unless it jumps over it (02:30 on a spring-forward night).
    const candidate = naive - (naiveOffset - offset);
    if (candidate > t && offsetAt(candidate, timeZone) === naiveOffset) return candidate - now;
    // It jumps over `end`: the window's time stops at the jump. Go on from there, where the clock
    // reads outside the window (or, after a jump of a whole day, inside it still).
    t = firstChangeAfter(t, naive, offset, timeZone);
  }
  // Unreachable with real time zone data (a zone changes its offset a few times a year at most).
  // A batch checks the window again when its wait ends, so a wait too short sends nothing early.
  return t - now + MINUTE;
}

/**
 * The first instant (whole second) after `from` and no later than `to` at which the zone's offset
 * is no longer `offset`: a binary search, since offsets change at whole seconds.
 */
function firstChangeAfter(from: number, to: number, offset: number, timeZone: string): number {
  let low = Math.floor(from / 1_000);
  let high = Math.ceil(to / 1_000);
  if (offsetAt(high * 1_000, timeZone) === offset) return to;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (offsetAt(middle * 1_000, timeZone) === offset) low = middle;
    else high = middle;
  }
  return high * 1_000;
}
