import { z } from 'zod';

const isControl = (unit: number) => unit <= 0x1f || (unit >= 0x7f && unit <= 0x9f);
const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/**
 * True for text that Postgres can store and WeChat can show: no control character (C0: NUL to
 * U+001F, DEL, C1: U+0080 to U+009F) and no unpaired surrogate. Postgres refuses NUL in text and
 * jsonb; an unpaired surrogate cannot be written as UTF-8 (jsonb refuses its `\ud800` escape and a
 * text column would silently get U+FFFD); and no identifier or message value has any business
 * carrying a newline or a bell.
 */
export function isFreeOfControlCharacters(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    if (isControl(unit) || isLowSurrogate(unit)) return false;
    if (isHighSurrogate(unit)) {
      if (!isLowSurrogate(text.charCodeAt(index + 1))) return false;
      index += 1;
    }
  }
  return true;
}

/**
 * The check every request string that can reach Postgres or WeChat carries, e.g.
 * `z.string().max(128).check(noControlCharacters)`; the path names the field.
 */
export const noControlCharacters = z.refine<string>(isFreeOfControlCharacters, {
  message:
    'must not contain control characters (U+0000 to U+001F, U+007F to U+009F: NUL, tab, newline…) or unpaired surrogates; remove them',
});
