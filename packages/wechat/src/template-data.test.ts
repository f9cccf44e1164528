import { describe, expect, it } from 'vitest';
import {
  MAX_TEMPLATE_DATA_KEYS,
  MAX_TEMPLATE_DATA_VALUE_LENGTH,
  normaliseTemplateData,
} from './template-data.js';

describe('normaliseTemplateData', () => {
  it('turns flat and wire shapes, strings and numbers, into the wire shape', () => {
    expect(
      normaliseTemplateData({ thing1: 'x', number2: 12.5, thing3: { value: 'y' }, number4: { value: 0 } }),
    ).toEqual({
      ok: true,
      data: {
        thing1: { value: 'x' },
        number2: { value: '12.5' },
        thing3: { value: 'y' },
        number4: { value: '0' },
      },
    });
  });

  it('parses the result of JSON.parse without letting __proto__ become a prototype', () => {
    const result = normaliseTemplateData(JSON.parse('{"__proto__":{"value":"x"}}'));
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(Object.getPrototypeOf(result.data)).toBe(Object.prototype);
      expect(JSON.stringify(result.data)).toBe('{"__proto__":{"value":"x"}}');
    }
  });

  it.each([
    [null, undefined],
    ['text', undefined],
    [['a'], undefined],
    [{}, undefined],
    [{ thing1: true }, 'thing1'],
    [{ thing1: null }, 'thing1'],
    [{ thing1: Number.NaN }, 'thing1'],
    [{ thing1: Number.POSITIVE_INFINITY }, 'thing1'],
    [{ thing1: ['x'] }, 'thing1'],
    [{ thing1: {} }, 'thing1'],
    [{ thing1: { value: { value: 'x' } } }, 'thing1'],
    [{ thing1: { value: 'x', color: '#173177' } }, 'thing1'],
    [{ 'thing 1': 'x' }, 'thing 1'],
    [{ thing1: 'x'.repeat(MAX_TEMPLATE_DATA_VALUE_LENGTH + 1) }, 'thing1'],
  ])('refuses %j, naming the key %s', (data, field) => {
    const result = normaliseTemplateData(data);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.field).toBe(field);
      expect(result.reason.length).toBeGreaterThan(10);
    }
  });

  it(`refuses more than ${MAX_TEMPLATE_DATA_KEYS} keys`, () => {
    const data = Object.fromEntries(
      Array.from({ length: MAX_TEMPLATE_DATA_KEYS + 1 }, (_, i) => [`thing${i}`, 'x']),
    );
    expect(normaliseTemplateData(data)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/at most 50/),
    });
  });
});
