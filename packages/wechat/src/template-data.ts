/** One value of a template message's `data`, as WeChat expects it on the wire. */
export interface TemplateDataValue {
  value: string;
}

/** `data` as WeChat expects it: `{"thing1":{"value":"x"}}`. */
export type WireTemplateData = Record<string, TemplateDataValue>;

/** `data` as callers may give it: `{"thing1":"x"}`, `{"thing1":{"value":"x"}}`, numbers allowed. */
export type TemplateDataInput = Record<string, string | number | { value: string | number }>;

export type TemplateDataResult =
  | { ok: true; data: WireTemplateData }
  | { ok: false; field?: string | undefined; reason: string };

export const MAX_TEMPLATE_DATA_KEYS = 50;
export const MAX_TEMPLATE_DATA_KEY_LENGTH = 64;
export const MAX_TEMPLATE_DATA_VALUE_LENGTH = 1000;

const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function wireValue(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  return undefined;
}

/**
 * Puts template or subscribe message data into WeChat's wire shape. Accepts `{"k":"x"}` and
 * `{"k":{"value":"x"}}` (strings or finite numbers); anything else is refused with the key at fault.
 */
export function normaliseTemplateData(data: unknown): TemplateDataResult {
  if (!isPlainObject(data)) {
    return { ok: false, reason: 'data must be an object such as {"thing1":{"value":"…"}}' };
  }
  const keys = Object.keys(data);
  if (keys.length === 0) return { ok: false, reason: 'data must have at least one key' };
  if (keys.length > MAX_TEMPLATE_DATA_KEYS) {
    return {
      ok: false,
      reason: `data has ${keys.length} keys; at most ${MAX_TEMPLATE_DATA_KEYS} are allowed`,
    };
  }
  const entries: [string, TemplateDataValue][] = [];
  for (const key of keys) {
    if (key.length > MAX_TEMPLATE_DATA_KEY_LENGTH || !KEY_PATTERN.test(key)) {
      return {
        ok: false,
        field: key.slice(0, MAX_TEMPLATE_DATA_KEY_LENGTH),
        reason: `keys are letters, digits and _ (up to ${MAX_TEMPLATE_DATA_KEY_LENGTH}), such as thing1`,
      };
    }
    const entry = data[key];
    let value: string | undefined;
    if (isPlainObject(entry)) {
      const extra = Object.keys(entry).filter((name) => name !== 'value');
      if (extra.length > 0) {
        return { ok: false, field: key, reason: `only "value" is allowed inside ${key}, not "${extra[0]}"` };
      }
      value = wireValue(entry.value);
    } else {
      value = wireValue(entry);
    }
    if (value === undefined) {
      return {
        ok: false,
        field: key,
        reason: `${key} must be a string or a number, or {"value": string or number}`,
      };
    }
    if (value.length > MAX_TEMPLATE_DATA_VALUE_LENGTH) {
      return {
        ok: false,
        field: key,
        reason: `${key} is ${value.length} characters long; at most ${MAX_TEMPLATE_DATA_VALUE_LENGTH} are allowed`,
      };
    }
    entries.push([key, { value }]);
  }
  // fromEntries defines own properties, so a key such as __proto__ stays a plain key
  return { ok: true, data: Object.fromEntries(entries) };
}
