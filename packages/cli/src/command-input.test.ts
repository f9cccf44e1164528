import { describe, expect, it } from 'vitest';
import {
  parseData,
  parseOpenidList,
  parseQuietHours,
  parseSendAt,
  parseWholeNumber,
} from './command-input.js';
import { UsageError } from './errors.js';

describe('parseData', () => {
  it('takes key=value pairs, a value keeping its own = signs', () => {
    expect(parseData(['thing1=shipped', 'character_string2=a=b'])).toEqual({
      thing1: 'shipped',
      character_string2: 'a=b',
    });
  });

  it('takes JSON objects, flat or in the wire shape, and later values win per key', () => {
    expect(parseData(['{"thing1":{"value":"one"},"time2":"2026-12-01"}', 'thing1=two'])).toEqual({
      thing1: 'two',
      time2: '2026-12-01',
    });
  });

  it.each([
    [[], /missing --data/],
    [['shipped'], /neither key=value nor a JSON object/],
    [['=x'], /neither key=value/],
    [['{"thing1":'], /not valid JSON/],
    [['{}', '[1]'], /neither key=value/],
  ])('refuses %j as bad usage', (values, message) => {
    expect(() => parseData(values)).toThrow(UsageError);
    expect(() => parseData(values)).toThrow(message);
  });

  it('refuses a JSON value that is not an object', () => {
    expect(() => parseData(['{"a":1}', '{ }'])).not.toThrow();
    expect(() => parseData(['null'])).toThrow(UsageError);
  });
});

describe('parseSendAt', () => {
  it('passes an ISO time with a zone through unchanged', () => {
    expect(parseSendAt('2026-12-24T09:00:00+08:00')).toBe('2026-12-24T09:00:00+08:00');
    expect(parseSendAt('2026-12-24T01:00:00Z')).toBe('2026-12-24T01:00:00Z');
    expect(parseSendAt(undefined)).toBeUndefined();
  });

  it.each(['tomorrow', '2026-12-24 09:00', '2026-12-24T09:00:00'])('refuses %s', (value) => {
    expect(() => parseSendAt(value)).toThrow(/ISO-8601 time with a zone/);
  });
});

describe('parseQuietHours', () => {
  it('reads HH:MM-HH:MM with an optional zone', () => {
    expect(parseQuietHours('22:00-08:00', undefined)).toEqual({ start: '22:00', end: '08:00' });
    expect(parseQuietHours('22:00 - 07:30', 'Europe/Berlin')).toEqual({
      start: '22:00',
      end: '07:30',
      timezone: 'Europe/Berlin',
    });
    expect(parseQuietHours(undefined, undefined)).toBeUndefined();
  });

  it.each(['22-08', '24:00-08:00', '22:00', '22:00-08:00-09:00'])('refuses %s', (value) => {
    expect(() => parseQuietHours(value, undefined)).toThrow(UsageError);
  });

  it('refuses --timezone without --quiet-hours', () => {
    expect(() => parseQuietHours(undefined, 'Asia/Tokyo')).toThrow(/goes with --quiet-hours/);
  });
});

describe('parseWholeNumber', () => {
  it('keeps whole numbers within the bounds', () => {
    expect(parseWholeNumber('--limit', '100', 1, 100)).toBe(100);
    expect(parseWholeNumber('--limit', undefined, 1, 100)).toBeUndefined();
  });

  it.each(['0', '101', '2.5', 'ten'])('refuses %s', (value) => {
    expect(() => parseWholeNumber('--limit', value, 1, 100)).toThrow(
      /--limit must be a whole number from 1 to 100/,
    );
  });
});

describe('parseOpenidList', () => {
  it('splits on lines, commas and spaces and drops comments and blanks', () => {
    expect(parseOpenidList('o1\r\no2, o3\n\n# a comment\no4 # trailing\n')).toEqual(['o1', 'o2', 'o3', 'o4']);
  });
});
