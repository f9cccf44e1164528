/**
 * The value rules WeChat applies to subscribe-message data, per key prefix (`thing1` → `thing`).
 * Lengths count Unicode characters (code points), as WeChat counts Chinese characters as one.
 */

export const SUBSCRIBE_VALUE_PREFIXES = [
  'thing',
  'number',
  'letter',
  'symbol',
  'character_string',
  'time',
  'date',
  'amount',
  'phone_number',
  'car_number',
  'name',
  'phrase',
] as const;

export type SubscribeValuePrefix = (typeof SUBSCRIBE_VALUE_PREFIXES)[number];

// Line and paragraph separators break a notification's layout just like newlines.
const CONTROL_CHARACTER = /[\p{Cc}\u2028\u2029]/u;
const NUMBER = /^\d+(\.\d+)?$/;
const LETTERS = /^[A-Za-z]{1,32}$/;
const SYMBOLS = /^[\p{P}\p{S}]{1,5}$/u;
const CHARACTER_STRING = /^[A-Za-z0-9\p{P}\p{S}]{1,32}$/u;
const AMOUNT = /^\p{Sc}\d+(\.\d+)?元?$/u;
const PHONE_NUMBER = /^[0-9\p{P}\p{S}]{1,17}$/u;
const CHINESE_NAME = /^\p{Script=Han}+(?:·\p{Script=Han}+)*$/u;
const LATIN_NAME = /^[A-Za-z]+(?:[ .'-]+[A-Za-z]+)*\.?$/;
const PHRASE = /^\p{Script=Han}{1,5}$/u;

function length(value: string): number {
  return [...value].length;
}

function countDigits(value: string): number {
  return value.replace(/\D/g, '').length;
}

function isValidClockTime(text: string): boolean {
  const match = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!match) return false;
  const [, hours, minutes, seconds] = match;
  return Number(hours) <= 23 && Number(minutes) <= 59 && (seconds === undefined || Number(seconds) <= 59);
}

function isValidCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

const DASHED_DATE = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:\s+(.+))?$/;
const CHINESE_DATE = /^(\d{4})年(\d{1,2})月(\d{1,2})日\s*(.*)$/;
const ENDS_WITH_TIME = /\d:\d{2}$/;

/** `2026-01-01`, `2026/1/1`, `2026.01.01` or `2026年1月1日`, each with an optional time after it. */
function isDateWithOptionalTime(text: string): boolean {
  const dashed = DASHED_DATE.exec(text);
  const chinese = dashed ? null : CHINESE_DATE.exec(text);
  let year: string | undefined;
  let month: string | undefined;
  let day: string | undefined;
  let time: string | undefined;
  if (dashed) [, year, , month, day, time] = dashed;
  else if (chinese) [, year, month, day, time] = chinese;
  else return false;
  if (!isValidCalendarDate(Number(year), Number(month), Number(day))) return false;
  return time === undefined || time === '' || isValidClockTime(time);
}

function isTimeWithOptionalDate(text: string): boolean {
  return isValidClockTime(text) || (isDateWithOptionalTime(text) && ENDS_WITH_TIME.test(text));
}

/** A value, or a range of two joined by `~`. */
function rangeParts(value: string): string[] | undefined {
  const parts = value.split('~').map((part) => part.trim());
  return parts.length <= 2 && parts.every((part) => part !== '') ? parts : undefined;
}

function isTimeValue(value: string): boolean {
  return rangeParts(value)?.every(isTimeWithOptionalDate) ?? false;
}

/** Dates, each with an optional time; `2026-01-01 10:00~12:00` ends on a bare time the same day. */
function isDateValue(value: string): boolean {
  const parts = rangeParts(value);
  if (!parts) return false;
  const [start, end] = parts as [string, string | undefined];
  if (!isDateWithOptionalTime(start)) return false;
  if (end === undefined || isDateWithOptionalTime(end)) return true;
  return ENDS_WITH_TIME.test(start) && isValidClockTime(end);
}

const RULES: Record<SubscribeValuePrefix, (value: string) => boolean> = {
  thing: (value) => length(value) <= 20,
  number: (value) => NUMBER.test(value) && countDigits(value) <= 32,
  letter: (value) => LETTERS.test(value),
  symbol: (value) => SYMBOLS.test(value),
  character_string: (value) => CHARACTER_STRING.test(value),
  time: isTimeValue,
  date: isDateValue,
  amount: (value) => AMOUNT.test(value) && countDigits(value) <= 10,
  phone_number: (value) => PHONE_NUMBER.test(value),
  car_number: (value) => length(value) <= 8,
  // `阿沛·阿旺晋美` or `John Smith`: Chinese names count characters, others letters.
  name: (value) =>
    (CHINESE_NAME.test(value) && length(value) <= 10) || (LATIN_NAME.test(value) && value.length <= 20),
  phrase: (value) => PHRASE.test(value),
};

/** `thing1` → `thing`, `character_string02` → `character_string`; undefined for unknown keys. */
export function subscribeKeyPrefix(key: string): SubscribeValuePrefix | undefined {
  const match = /^([a-z_]+?)\d+$/.exec(key);
  const prefix = match?.[1];
  return SUBSCRIBE_VALUE_PREFIXES.find((known) => known === prefix);
}

/** Whether WeChat accepts `value` under the data key `key`. */
export function isValidSubscribeValue(key: string, value: string): boolean {
  const prefix = subscribeKeyPrefix(key);
  if (!prefix || value === '' || CONTROL_CHARACTER.test(value)) return false;
  return RULES[prefix](value);
}

export type SubscribeDataCheck = { ok: true } | { ok: false; field: string };

/**
 * Checks a subscribe message's `data` (`{"thing1":{"value":"…"}}`); the first bad entry is named
 * the way WeChat names it in errmsg: `data.thing1.value`.
 */
export function checkSubscribeData(data: Record<string, unknown>): SubscribeDataCheck {
  const keys = Object.keys(data);
  if (keys.length === 0) return { ok: false, field: 'data' };
  for (const key of keys) {
    const entry = data[key];
    const value =
      typeof entry === 'object' && entry !== null && 'value' in entry
        ? (entry as { value: unknown }).value
        : undefined;
    const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
    if (typeof text !== 'string' || !isValidSubscribeValue(key, text)) {
      return { ok: false, field: `data.${key}.value` };
    }
  }
  return { ok: true };
}
