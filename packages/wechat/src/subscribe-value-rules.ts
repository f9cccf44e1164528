import { normaliseTemplateData } from './template-data.js';

export type SubscribeKeyPrefix =
  | 'thing'
  | 'number'
  | 'letter'
  | 'symbol'
  | 'character_string'
  | 'time'
  | 'date'
  | 'amount'
  | 'phone_number'
  | 'car_number'
  | 'name'
  | 'phrase';

export type SubscribeDataVerdict = { ok: true } | { ok: false; field: string; reason: string };

interface ValueRule {
  /** the rule in words, quoted in every refusal so the caller knows how to fix the value */
  rule: string;
  accepts: (value: string) => boolean;
}

const characters = (value: string): number => [...value].length;
const digits = (value: string): number => value.replace(/\D/g, '').length;

const CONTROL_CHARACTER = /[\p{Cc}\u2028\u2029]/u;
const DECIMAL = /^\d+(?:\.\d+)?$/;
const LETTERS = /^[A-Za-z]+$/;
const SYMBOLS = /^[\p{P}\p{S}]+$/u;
const CHARACTER_STRING = /^[A-Za-z0-9\p{P}\p{S}]+$/u;
const PHONE_NUMBER = /^[0-9\p{P}\p{S}]+$/u;
const AMOUNT = /^\p{Sc}(\d+(?:\.\d+)?)元?$/u;
const HAN_NAME = /^\p{Script=Han}+(?:·\p{Script=Han}+)*$/u;
const LATIN_NAME = /^[A-Za-z]+(?:[ .'-]+[A-Za-z]+)*\.?$/;
const PHRASE = /^\p{Script=Han}+$/u;

const TIME = /^(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$/;
const NUMERIC_DATE = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/;
const CHINESE_DATE = /^(\d{4})年(\d{1,2})月(\d{1,2})日$/;
const CHINESE_DATE_AND_TIME = /^(\d{4}年\d{1,2}月\d{1,2}日)\s*(\S+)$/;
const DATE_AND_TIME = /^(\S+)\s+(\S+)$/;

function isCalendarDate(text: string): boolean {
  const match = NUMERIC_DATE.exec(text);
  const parts = match ? [match[1], match[3], match[4]] : CHINESE_DATE.exec(text)?.slice(1, 4);
  if (!parts) return false;
  const [year, month, day] = parts.map(Number) as [number, number, number];
  if (month < 1 || month > 12 || day < 1) return false;
  // day 0 of the next month is the last day of this one
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

interface Moment {
  hasDate: boolean;
  hasTime: boolean;
}

/** A date, a time, or a date then a time (`2026-01-01 15:01`, `2026年1月1日15:01`). */
function parseMoment(raw: string): Moment | undefined {
  const text = raw.trim();
  if (TIME.test(text)) return { hasDate: false, hasTime: true };
  if (isCalendarDate(text)) return { hasDate: true, hasTime: false };
  const both = CHINESE_DATE_AND_TIME.exec(text) ?? DATE_AND_TIME.exec(text);
  if (both && isCalendarDate(both[1]!) && TIME.test(both[2]!)) return { hasDate: true, hasTime: true };
  return undefined;
}

/** One moment, or two joined by `~`. */
function parseRange(value: string): Moment[] | undefined {
  const parts = value.split('~');
  if (parts.length > 2) return undefined;
  const moments = parts.map(parseMoment);
  return moments.every((moment) => moment !== undefined) ? (moments as Moment[]) : undefined;
}

function isTimeValue(value: string): boolean {
  return parseRange(value)?.every((moment) => moment.hasTime) ?? false;
}

function isDateValue(value: string): boolean {
  const moments = parseRange(value);
  if (!moments) return false;
  const [first, second] = moments as [Moment, Moment | undefined];
  if (!first.hasDate) return false;
  // `2026-01-01 10:00~12:00`: the end may be a bare time on the same day
  return !second || second.hasDate || (second.hasTime && first.hasTime);
}

/** The value rules of docs/wechat-platform.md, by key prefix. */
export const SUBSCRIBE_VALUE_RULES: Readonly<Record<SubscribeKeyPrefix, ValueRule>> = {
  thing: { rule: 'at most 20 characters', accepts: (v) => characters(v) <= 20 },
  number: {
    rule: 'at most 32 digits, decimals allowed (e.g. 12.5)',
    accepts: (v) => DECIMAL.test(v) && digits(v) <= 32,
  },
  letter: { rule: 'at most 32 letters A-Z or a-z', accepts: (v) => LETTERS.test(v) && v.length <= 32 },
  symbol: { rule: 'at most 5 symbols', accepts: (v) => SYMBOLS.test(v) && characters(v) <= 5 },
  character_string: {
    rule: 'at most 32 digits, letters or symbols (no spaces, no Chinese)',
    accepts: (v) => CHARACTER_STRING.test(v) && characters(v) <= 32,
  },
  time: {
    rule: 'a 24-hour time (15:01) with an optional date before it (2026-01-01 15:01); two joined by ~ for a range',
    accepts: isTimeValue,
  },
  date: {
    rule: 'a date (2026-01-01, 2026/01/01, 2026.01.01 or 2026年1月1日) with an optional time (2026-01-01 15:01); two joined by ~ for a range',
    accepts: isDateValue,
  },
  amount: {
    rule: 'one currency symbol then at most 10 digits, decimals allowed, optionally ending in 元 (e.g. ¥12.50)',
    accepts: (v) => {
      const amount = AMOUNT.exec(v)?.[1];
      return amount !== undefined && digits(amount) <= 10;
    },
  },
  phone_number: {
    rule: 'at most 17 digits or symbols (e.g. +86-10-12345678)',
    accepts: (v) => PHONE_NUMBER.test(v) && characters(v) <= 17,
  },
  car_number: { rule: 'at most 8 characters', accepts: (v) => characters(v) <= 8 },
  name: {
    rule: 'at most 10 Chinese characters, or at most 20 letters',
    accepts: (v) => (HAN_NAME.test(v) && characters(v) <= 10) || (LATIN_NAME.test(v) && v.length <= 20),
  },
  phrase: { rule: 'at most 5 Chinese characters', accepts: (v) => PHRASE.test(v) && characters(v) <= 5 },
};

const KEY = /^([a-z_]+)(\d+)$/;

/**
 * The prefix of a subscribe data key: the letters before its number (`phone_number3` → `phone_number`,
 * never `number`). Undefined when the key is not a known prefix plus a number.
 */
export function subscribeKeyPrefix(key: string): SubscribeKeyPrefix | undefined {
  const prefix = KEY.exec(key)?.[1];
  return prefix !== undefined && Object.hasOwn(SUBSCRIBE_VALUE_RULES, prefix)
    ? (prefix as SubscribeKeyPrefix)
    : undefined;
}

/**
 * Checks subscribe message data against WeChat's value rules before a send, so the API can refuse
 * it (naming the key) before a credit is spent. Accepts the shapes normaliseTemplateData accepts.
 */
export function validateSubscribeData(data: unknown): SubscribeDataVerdict {
  const normalised = normaliseTemplateData(data);
  if (!normalised.ok) return { ok: false, field: normalised.field ?? 'data', reason: normalised.reason };
  for (const [key, { value }] of Object.entries(normalised.data)) {
    const prefix = subscribeKeyPrefix(key);
    if (!prefix) {
      return {
        ok: false,
        field: key,
        reason: `${key} is not a subscribe data key: use a prefix (${Object.keys(SUBSCRIBE_VALUE_RULES).join(', ')}) followed by a number, such as thing1`,
      };
    }
    if (value.length === 0) return { ok: false, field: key, reason: `${key} must not be empty` };
    if (CONTROL_CHARACTER.test(value)) {
      return { ok: false, field: key, reason: `${key} must not contain control characters such as newlines` };
    }
    const { rule, accepts } = SUBSCRIBE_VALUE_RULES[prefix];
    if (!accepts(value)) return { ok: false, field: key, reason: `${key} must be ${rule}` };
  }
  return { ok: true };
}
