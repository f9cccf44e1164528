import { describe, expect, it } from 'vitest';
import { chinaDay, nextChinaMidnight } from './china-day.js';

describe('China days', () => {
  it('start at 16:00 UTC', () => {
    expect(chinaDay(Date.parse('2026-11-21T15:59:59Z'))).toBe('2026-11-21');
    expect(chinaDay(Date.parse('2026-11-21T16:00:00Z'))).toBe('2026-11-22');
  });

  it('give the next midnight in China', () => {
    expect(nextChinaMidnight(Date.parse('2026-11-21T10:00:00Z')).toISOString()).toBe(
      '2026-11-21T16:00:00.000Z',
    );
    expect(nextChinaMidnight(Date.parse('2026-11-21T16:00:00Z')).toISOString()).toBe(
      '2026-11-22T16:00:00.000Z',
    );
  });
});
