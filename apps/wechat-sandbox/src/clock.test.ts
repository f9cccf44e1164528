import { describe, expect, it } from 'vitest';
import { AppClock, chinaDay, minuteOf } from './clock.js';

describe('chinaDay', () => {
  it('starts the day at 00:00 UTC+8', () => {
    expect(chinaDay(Date.parse('2026-03-01T15:59:59.999Z'))).toBe('2026-03-01');
    expect(chinaDay(Date.parse('2026-03-01T16:00:00.000Z'))).toBe('2026-03-02');
  });
});

describe('minuteOf', () => {
  it('changes on the calendar minute', () => {
    expect(minuteOf(Date.parse('2026-03-01T10:00:59.999Z'))).toBe(
      minuteOf(Date.parse('2026-03-01T10:00:00Z')),
    );
    expect(minuteOf(Date.parse('2026-03-01T10:01:00Z'))).toBe(
      minuteOf(Date.parse('2026-03-01T10:00:00Z')) + 1,
    );
  });
});

describe('AppClock', () => {
  it('follows the base clock plus its own offset', () => {
    let base = 1_000;
    const clock = new AppClock(() => base);
    clock.advance(500);
    expect(clock.now()).toBe(1_500);
    base = 2_000;
    expect(clock.now()).toBe(2_500);
    clock.set(10_000);
    expect(clock.now()).toBe(10_000);
    base = 11_000;
    expect(clock.now()).toBe(19_000);
  });
});
