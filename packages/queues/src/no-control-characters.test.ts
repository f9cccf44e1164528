import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isFreeOfControlCharacters, noControlCharacters } from './no-control-characters.js';

describe('isFreeOfControlCharacters', () => {
  it('refuses exactly the control characters and unpaired surrogates of all UTF-16 code units', () => {
    const refused: number[] = [];
    for (let unit = 0; unit <= 0xffff; unit += 1) {
      if (!isFreeOfControlCharacters(`a${String.fromCharCode(unit)}b`)) refused.push(unit);
    }
    const expected = [
      ...Array.from({ length: 0x20 }, (_, i) => i),
      ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
      ...Array.from({ length: 0x800 }, (_, i) => 0xd800 + i),
    ];
    expect(refused).toEqual(expected);
  });

  it('accepts surrogate pairs, and text that is not ASCII', () => {
    for (const text of ['', '😀', 'a😀b', '订单已发货', 'e\u0301', '\u2028', '\ufeff', '\uffff']) {
      expect(isFreeOfControlCharacters(text)).toBe(true);
    }
    for (const text of ['\ud83d', '\ude00', 'a\ude00\ud83d', '😀\ud83d', '\u0000', 'line\n']) {
      expect(isFreeOfControlCharacters(text)).toBe(false);
    }
  });
});

describe('noControlCharacters', () => {
  it('is a zod check whose issue names the field', () => {
    const schema = z.object({ openid: z.string().check(noControlCharacters) });
    expect(schema.safeParse({ openid: 'o-1' }).success).toBe(true);
    const refused = schema.safeParse({ openid: 'o\u0000' });
    expect(refused.error?.issues).toMatchObject([
      { path: ['openid'], message: expect.stringContaining('control characters') },
    ]);
  });
});
