import type { QuietHours } from '@minapush/config';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isQuietAt, msUntilQuietHours, quietHoursWaitMs } from './quiet-hours.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const at = (iso: string) => Date.parse(iso);
const china = (start: string, end: string): QuietHours => ({ start, end, timezone: 'Asia/Shanghai' });
const berlin = (start: string, end: string): QuietHours => ({ start, end, timezone: 'Europe/Berlin' });

/**
 * The wall clock in `timeZone` at `t`, read through another path than the code under test
 * (toLocaleString in Sweden's format, "2026-03-29 03:00:00"), as ms since 1970 on that clock.
 */
function wallClock(t: number, timeZone: string): { text: string; ms: number; minuteOfDay: number } {
  const text = new Date(t).toLocaleString('sv-SE', { timeZone, hourCycle: 'h23' });
  const [date = '', time = ''] = text.split(' ');
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi, s] = time.split(':').map(Number);
  const ms = Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0) + (((t % 1000) + 1000) % 1000);
  return { text, ms, minuteOfDay: (h ?? 0) * 60 + (mi ?? 0) };
}

const minutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3));
const clock = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

describe('quietHoursWaitMs: China time', () => {
  const night = china('22:00', '08:00');

  it('waits for 08:00 through midnight', () => {
    expect(quietHoursWaitMs(at('2026-06-01T23:00:00+08:00'), night)).toBe(9 * HOUR);
    expect(quietHoursWaitMs(at('2026-06-02T00:00:00+08:00'), night)).toBe(8 * HOUR);
    expect(quietHoursWaitMs(at('2026-06-02T03:17:30.250+08:00'), night)).toBe(
      at('2026-06-02T08:00:00+08:00') - at('2026-06-02T03:17:30.250+08:00'),
    );
  });

  it('holds from the first millisecond of start to the last before end', () => {
    expect(quietHoursWaitMs(at('2026-06-01T21:59:59.999+08:00'), night)).toBe(0);
    expect(quietHoursWaitMs(at('2026-06-01T22:00:00.000+08:00'), night)).toBe(10 * HOUR);
    expect(quietHoursWaitMs(at('2026-06-02T07:59:59.999+08:00'), night)).toBe(1);
    expect(quietHoursWaitMs(at('2026-06-02T08:00:00.000+08:00'), night)).toBe(0);
    expect(quietHoursWaitMs(at('2026-06-02T12:00:00+08:00'), night)).toBe(0);
  });

  it('reads the window in China time whatever the instant says in UTC', () => {
    // 15:00 UTC is 23:00 in China
    expect(quietHoursWaitMs(at('2026-06-01T15:00:00Z'), night)).toBe(9 * HOUR);
    expect(quietHoursWaitMs(at('2026-06-01T12:00:00Z'), night)).toBe(0);
  });

  it('handles a window within one day, and one minute long or a minute short of a day', () => {
    const lunch = china('12:00', '14:00');
    expect(quietHoursWaitMs(at('2026-06-01T11:59:00+08:00'), lunch)).toBe(0);
    expect(quietHoursWaitMs(at('2026-06-01T12:00:00+08:00'), lunch)).toBe(2 * HOUR);
    expect(quietHoursWaitMs(at('2026-06-01T13:30:00+08:00'), lunch)).toBe(30 * MINUTE);
    expect(quietHoursWaitMs(at('2026-06-01T14:00:00+08:00'), lunch)).toBe(0);
    expect(quietHoursWaitMs(at('2026-06-01T23:00:00+08:00'), lunch)).toBe(0);

    const oneMinute = china('23:59', '00:00');
    expect(quietHoursWaitMs(at('2026-06-01T23:59:00+08:00'), oneMinute)).toBe(MINUTE);
    expect(quietHoursWaitMs(at('2026-06-02T00:00:00+08:00'), oneMinute)).toBe(0);
    const almostAllDay = china('00:00', '23:59');
    expect(quietHoursWaitMs(at('2026-06-01T00:00:00+08:00'), almostAllDay)).toBe(DAY - MINUTE);
    expect(quietHoursWaitMs(at('2026-06-01T23:59:00+08:00'), almostAllDay)).toBe(0);
  });
});

describe('msUntilQuietHours', () => {
  it('answers 0 inside, else the time until start', () => {
    const night = china('22:00', '08:00');
    expect(msUntilQuietHours(at('2026-06-01T21:00:00+08:00'), night)).toBe(HOUR);
    expect(msUntilQuietHours(at('2026-06-01T21:59:59.999+08:00'), night)).toBe(1);
    expect(msUntilQuietHours(at('2026-06-01T23:00:00+08:00'), night)).toBe(0);
    expect(msUntilQuietHours(at('2026-06-02T08:00:00+08:00'), night)).toBe(14 * HOUR);
  });
});

describe('quietHoursWaitMs: a zone with daylight saving time (Europe/Berlin)', () => {
  const night = berlin('22:00', '08:00');

  it('reads the window in that zone', () => {
    const afternoon = berlin('09:00', '17:00');
    // 13:00 UTC in July: 15:00 in Berlin (quiet), 21:00 in China
    expect(isQuietAt(at('2026-07-01T13:00:00Z'), afternoon)).toBe(true);
    expect(isQuietAt(at('2026-07-01T13:00:00Z'), china('09:00', '17:00'))).toBe(false);
    expect(quietHoursWaitMs(at('2026-07-01T13:00:00Z'), afternoon)).toBe(2 * HOUR);
  });

  it('waits an hour less across the spring-forward night', () => {
    // 2026-03-29 02:00 CET becomes 03:00 CEST: 23:00 to 08:00 is 8 hours
    expect(quietHoursWaitMs(at('2026-03-28T23:00:00+01:00'), night)).toBe(8 * HOUR);
    expect(new Date(at('2026-03-28T23:00:00+01:00') + 8 * HOUR).toISOString()).toBe(
      '2026-03-29T06:00:00.000Z',
    );
  });

  it('waits an hour more across the fall-back night', () => {
    // 2026-10-25 03:00 CEST becomes 02:00 CET: 23:00 to 08:00 is 10 hours
    expect(quietHoursWaitMs(at('2026-10-24T23:00:00+02:00'), night)).toBe(10 * HOUR);
  });

  it('ends at the jump when the clocks skip the end of the window', () => {
    // 02:30 does not exist on 2026-03-29 in Berlin: at 01:00 UTC the clock goes from 02:00 to 03:00
    const window = berlin('23:00', '02:30');
    const now = at('2026-03-29T01:00:00+01:00');
    const wait = quietHoursWaitMs(now, window);
    expect(new Date(now + wait).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(wallClock(now + wait, 'Europe/Berlin').text).toBe('2026-03-29 03:00:00');
    expect(isQuietAt(now + wait, window)).toBe(false);
    expect(isQuietAt(now + wait - 1, window)).toBe(true);
  });

  it('waits into the next day when a jump skips all the time outside the window', () => {
    // São Paulo's clock went from 00:00 to 01:00 on 2018-11-04: 00:08 never came that day, and at
    // 01:00 the 00:09–00:08 window holds again, so the first minute outside is 00:08 on 2018-11-05
    const window: QuietHours = { start: '00:09', end: '00:08', timezone: 'America/Sao_Paulo' };
    const now = at('2018-11-03T22:06:59.999-03:00');
    const wait = quietHoursWaitMs(now, window);
    expect(new Date(now + wait).toISOString()).toBe('2018-11-05T02:08:00.000Z');
    expect(wallClock(now + wait, 'America/Sao_Paulo').text).toBe('2018-11-05 00:08:00');
  });

  it('holds through the repeated hour of the fall-back night as often as the clock shows it', () => {
    const window = berlin('02:00', '02:30');
    // first 02:10 (CEST, +02:00): until the first 02:30
    expect(quietHoursWaitMs(at('2026-10-25T00:10:00Z'), window)).toBe(20 * MINUTE);
    // 02:45 CEST: outside; then the clock goes back and reads 02:10 again (CET, +01:00)
    expect(quietHoursWaitMs(at('2026-10-25T00:45:00Z'), window)).toBe(0);
    expect(quietHoursWaitMs(at('2026-10-25T01:10:00Z'), window)).toBe(20 * MINUTE);
  });
});

describe('quietHoursWaitMs: properties', () => {
  // China (no DST), zones with an hour of DST, Lord Howe (half an hour), São Paulo (DST began at
  // midnight until 2019, so midnight was skipped), India and Chatham (offsets not in whole hours)
  const zones = [
    'Asia/Shanghai',
    'Europe/Berlin',
    'America/New_York',
    'Australia/Lord_Howe',
    'America/Sao_Paulo',
    'Asia/Kolkata',
    'Pacific/Chatham',
  ];
  const windowArb = fc
    .record({
      start: fc.integer({ min: 0, max: 1439 }),
      end: fc.integer({ min: 0, max: 1439 }),
      timezone: fc.constantFrom(...zones),
    })
    .filter((w) => w.start !== w.end)
    .map((w): QuietHours => ({ start: clock(w.start), end: clock(w.end), timezone: w.timezone }));
  const nowArb = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) });
  // instants near the DST changes of the sample zones, where the arithmetic is hardest
  const nearChange = fc
    .record({
      base: fc.constantFrom(
        at('2026-03-29T01:00:00Z'),
        at('2026-10-25T01:00:00Z'),
        at('2026-03-08T07:00:00Z'),
        at('2026-11-01T06:00:00Z'),
        at('2018-11-04T03:00:00Z'),
        at('2019-02-17T02:00:00Z'),
        at('2026-04-04T15:00:00Z'),
      ),
      delta: fc.integer({ min: -26 * HOUR, max: 26 * HOUR }),
    })
    .map(({ base, delta }) => base + delta);
  const anyNow = fc.oneof(nowArb, nearChange);
  const params = { numRuns: 3_000 };

  it('is inside exactly when the wall clock in the zone reads a minute of the window', () => {
    fc.assert(
      fc.property(anyNow, windowArb, (now, window) => {
        const minute = wallClock(now, window.timezone).minuteOfDay;
        const [s, e] = [minutes(window.start), minutes(window.end)];
        const expected = s < e ? minute >= s && minute < e : minute >= s || minute < e;
        expect(isQuietAt(now, window)).toBe(expected);
        expect(quietHoursWaitMs(now, window) > 0).toBe(expected);
      }),
      params,
    );
  });

  it('ends the wait at the first instant outside the window, no later than a day (and a DST hour)', () => {
    fc.assert(
      fc.property(anyNow, windowArb, fc.double({ min: 0, max: 1, noNaN: true }), (now, window, f) => {
        const wait = quietHoursWaitMs(now, window);
        expect(wait).toBeGreaterThanOrEqual(0);
        expect(Number.isInteger(wait)).toBe(true);
        // a clock set back inside the window lengthens it by the hour it repeats
        // elsewhere a clock change inside the wait adds its hour, and a window that ends on a skipped
        // minute ends at the jump: a minute of slack over a day and an hour (fast-check found 1 ms).
        // When the time outside the window is an hour or less, a jump can skip all of it, and the
        // first instant outside is the next day's (fast-check: 00:09–00:08 in São Paulo on
        // 2018-11-04, whose clock went from 00:00 to 01:00: 25 h 1 min)
        const outsideMinutes = (minutes(window.start) - minutes(window.end) + 24 * 60) % (24 * 60);
        const longest = outsideMinutes <= 60 ? 2 * DAY + HOUR : DAY + HOUR + 60_000;
        expect(wait).toBeLessThanOrEqual(window.timezone === 'Asia/Shanghai' ? DAY : longest);
        expect(isQuietAt(now + wait, window)).toBe(false);
        if (wait > 0) {
          expect(isQuietAt(now + wait - 1, window)).toBe(true);
          expect(isQuietAt(now + Math.min(wait - 1, Math.floor(f * wait)), window)).toBe(true);
          // it ends at `end` on the zone's clock, or where the clock jumped over it
          const after = wallClock(now + wait, window.timezone);
          const before = wallClock(now + wait - 1_000, window.timezone);
          const jumped = after.ms - before.ms !== 1_000;
          expect(after.text.endsWith(`${window.end}:00`) || jumped).toBe(true);
        }
      }),
      params,
    );
  });

  it('in China time, never waits a day or more', () => {
    fc.assert(
      fc.property(nowArb, windowArb, (now, window) => {
        expect(quietHoursWaitMs(now, { ...window, timezone: 'Asia/Shanghai' })).toBeLessThan(DAY);
      }),
      params,
    );
  });

  it('msUntilQuietHours reaches the first instant inside', () => {
    fc.assert(
      fc.property(anyNow, windowArb, (now, window) => {
        const until = msUntilQuietHours(now, window);
        expect(until).toBeGreaterThanOrEqual(0);
        // a window the clocks skip that day (São Paulo's midnight in 2018) comes the next day
        expect(until).toBeLessThanOrEqual(2 * DAY);
        expect(isQuietAt(now + until, window)).toBe(true);
        if (until > 0) expect(isQuietAt(now + until - 1, window)).toBe(false);
      }),
      params,
    );
  });
});
