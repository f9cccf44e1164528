import { z } from 'zod';
import { UsageError } from './errors.js';

/**
 * Turns what the user typed into request fields. Everything here is pure and throws UsageError
 * (exit 2) with a message naming the option and how to write it.
 */

/**
 * `--data` values: each is a JSON object (`'{"thing1":"shipped"}'`, flat or WeChat's wire shape)
 * or a `key=value` pair (`thing1=shipped`; the value may contain `=`). Later values win per key.
 */
export function parseData(values: readonly string[]): Record<string, unknown> {
  if (values.length === 0) {
    throw new UsageError(
      'missing --data: give the template\'s fields as key=value (-d thing1=shipped) or JSON (-d \'{"thing1":"shipped"}\')',
    );
  }
  const data: Record<string, unknown> = {};
  for (const raw of values) {
    const value = raw.trim();
    if (value.startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch (error) {
        throw new UsageError(`--data ${JSON.stringify(raw)} is not valid JSON (${(error as Error).message})`);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new UsageError(`--data ${JSON.stringify(raw)} must be a JSON object`);
      }
      Object.assign(data, parsed);
      continue;
    }
    const equals = raw.indexOf('=');
    if (equals <= 0) {
      throw new UsageError(
        `--data ${JSON.stringify(raw)} is neither key=value nor a JSON object; e.g. -d thing1=shipped`,
      );
    }
    data[raw.slice(0, equals).trim()] = raw.slice(equals + 1);
  }
  return data;
}

const isoWithOffset = z.iso.datetime({ offset: true });

/** `--send-at`: ISO-8601 with a zone (`2026-12-24T09:00:00+08:00`, `…Z`), as the API takes it. */
export function parseSendAt(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!isoWithOffset.safeParse(value).success) {
    throw new UsageError(
      `--send-at ${JSON.stringify(value)} is not an ISO-8601 time with a zone; e.g. 2026-12-24T09:00:00+08:00`,
    );
  }
  return value;
}

const CLOCK_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** `--quiet-hours 22:00-08:00` (China time unless `--timezone` names another IANA zone). */
export function parseQuietHours(
  value: string | undefined,
  timezone: string | undefined,
): { start: string; end: string; timezone?: string } | undefined {
  if (value === undefined) {
    if (timezone !== undefined) throw new UsageError('--timezone goes with --quiet-hours');
    return undefined;
  }
  const [start, end, extra] = value.split('-').map((part) => part.trim());
  if (extra !== undefined || !start || !end || !CLOCK_TIME.test(start) || !CLOCK_TIME.test(end)) {
    throw new UsageError(`--quiet-hours ${JSON.stringify(value)} must be HH:MM-HH:MM, e.g. 22:00-08:00`);
  }
  return { start, end, ...(timezone === undefined ? {} : { timezone }) };
}

/** A whole number option within [min, max]. */
export function parseWholeNumber(option: string, value: string | undefined, min: number, max: number) {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new UsageError(
      `${option} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`,
    );
  }
  return number;
}

/** The openids of a file or of stdin: separated by new lines, commas or spaces; `#` starts a comment. */
export function parseOpenidList(text: string): string[] {
  const openids: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const content = line.replace(/#.*$/, '');
    for (const openid of content.split(/[\s,]+/)) if (openid !== '') openids.push(openid);
  }
  return openids;
}
