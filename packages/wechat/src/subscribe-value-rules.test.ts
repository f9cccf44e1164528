import { describe, expect, it } from 'vitest';
import { subscribeKeyPrefix, validateSubscribeData } from './subscribe-value-rules.js';

const accepted = (key: string, value: string | number) => validateSubscribeData({ [key]: { value } }).ok;

/** [key, values that must pass, values that must fail] per prefix of docs/wechat-platform.md. */
const CASES: [key: string, valid: (string | number)[], invalid: string[]][] = [
  [
    'thing1',
    ['订单已发货', 'a'.repeat(20), '二'.repeat(20), 'Order #12 shipped!'],
    ['a'.repeat(21), '二'.repeat(21)],
  ],
  [
    'number01',
    ['0', '12', '12.5', 3.25, '1'.repeat(32), `${'1'.repeat(16)}.${'2'.repeat(16)}`],
    ['1'.repeat(33), '-1', '1,000', '1.', '.5', 'abc', '1e5'],
  ],
  ['letter2', ['abc', 'ABCxyz', 'a'.repeat(32)], ['a'.repeat(33), 'ab1', 'ab c', 'äb']],
  ['symbol3', ['!', '%$#@&', '。，'], ['!!!!!!', 'a!', '1', '! !']],
  [
    'character_string4',
    ['ORDER-2026_0001', 'abc123', 'A/B#1', 'x'.repeat(32)],
    ['x'.repeat(33), 'ab c', '订单12'],
  ],
  [
    'time5',
    [
      '15:01',
      '9:05',
      '23:59:59',
      '2026-01-01 15:01',
      '2026年1月1日 15:01',
      '2026年1月1日15:01',
      '10:00~12:00',
      '2026-01-01 10:00 ~ 2026-01-02 12:00',
    ],
    ['24:00', '12:60', '3:01 PM', '2026-01-01', '15:01~', '10:00~11:00~12:00', '1501', '2026-02-30 10:00'],
  ],
  [
    'date6',
    [
      '2026-01-01',
      '2026/1/1',
      '2026.01.31',
      '2026年1月1日',
      '2026-01-01 15:01',
      '2026年12月31日 23:59',
      '2026-01-01~2026-01-05',
      '2026-01-01 10:00~12:00',
      '2024-02-29',
    ],
    [
      '2026-13-01',
      '2026-02-29',
      '2026-01-32',
      '2026-01/01',
      '15:01',
      '01-01-2026',
      '2026-01-01~',
      '2026-01-01~12:00',
      'tomorrow',
    ],
  ],
  [
    'amount7',
    ['¥12.50', '￥100', '$9.99', '€1', '¥100元', '¥1234567890', '¥12345678.90'],
    ['12.50', '100元', '¥', '¥12345678901', '¥-5', '¥1,000', '¥¥5', '¥5 元', '5¥'],
  ],
  [
    'phone_number8',
    ['13800138000', '+86-10-12345678', '(010)1234', '1'.repeat(17)],
    ['1'.repeat(18), '138 0013 8000', '138abc'],
  ],
  ['car_number9', ['粤A12345', '粤A8Z888挂', 'ABCDEFGH'], ['粤A1234567']],
  [
    'name10',
    ['张三', '欧阳修文', '阿卜杜·热西提', '张'.repeat(10), 'John', 'John Smith', "O'Brien", 'a'.repeat(20)],
    ['张'.repeat(11), 'a'.repeat(21), '张三John', 'J0hn', '张 三'],
  ],
  ['phrase11', ['已发货', '配送中', '五个汉字啊'], ['六个汉字不行', 'done', '已 发']],
];

describe('validateSubscribeData', () => {
  describe.each(CASES)('%s', (key, valid, invalid) => {
    it.each(valid.map((v) => [v]))('accepts %j', (value) => {
      expect(validateSubscribeData({ [key]: { value } })).toEqual({ ok: true });
    });
    it.each(invalid.map((v) => [v]))('refuses %j, naming the key', (value) => {
      const verdict = validateSubscribeData({ [key]: { value } });
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) {
        expect(verdict.field).toBe(key);
        expect(verdict.reason).toContain(key);
      }
    });
  });

  it('refuses control characters in every kind of value', () => {
    for (const [key, [valid]] of CASES) {
      for (const control of ['\n', '\r', '\t', '\u0000', '\u007f', '\u2028']) {
        const verdict = validateSubscribeData({ [key]: `${String(valid).slice(0, 1)}${control}` });
        expect(verdict).toMatchObject({
          ok: false,
          field: key,
          reason: expect.stringMatching(/control characters/),
        });
      }
    }
  });

  it('refuses empty values', () => {
    expect(validateSubscribeData({ thing1: '' })).toMatchObject({
      ok: false,
      field: 'thing1',
      reason: 'thing1 must not be empty',
    });
  });

  it('takes the whole prefix before the number: phone_number and car_number are not number', () => {
    expect(subscribeKeyPrefix('phone_number3')).toBe('phone_number');
    expect(subscribeKeyPrefix('car_number1')).toBe('car_number');
    expect(subscribeKeyPrefix('number01')).toBe('number');
    expect(subscribeKeyPrefix('character_string2')).toBe('character_string');
    // a value that only the number rule would take is refused under the phone_number rule, and back
    expect(accepted('phone_number1', '+86-10-1')).toBe(true);
    expect(accepted('number1', '+86-10-1')).toBe(false);
    expect(accepted('car_number1', '粤A12345')).toBe(true);
    expect(accepted('number1', '粤A12345')).toBe(false);
  });

  it('refuses keys that are not a known prefix plus a number', () => {
    for (const key of ['thing', 'keyword1', 'Thing1', 'thing_1', 'string1', 'first']) {
      expect(validateSubscribeData({ [key]: 'x' })).toMatchObject({ ok: false, field: key });
    }
  });

  it('reports the first bad key among several, and accepts flat and wire shapes alike', () => {
    expect(validateSubscribeData({ thing1: 'ok', number2: { value: 3 }, date3: '2026-01-01' })).toEqual({
      ok: true,
    });
    expect(validateSubscribeData({ thing1: 'ok', number2: 'three', date3: 'x' })).toMatchObject({
      ok: false,
      field: 'number2',
    });
  });

  it('refuses data that is not an object of strings and numbers', () => {
    expect(validateSubscribeData(null)).toMatchObject({ ok: false, field: 'data' });
    expect(validateSubscribeData([])).toMatchObject({ ok: false, field: 'data' });
    expect(validateSubscribeData({ thing1: { value: null } })).toMatchObject({ ok: false, field: 'thing1' });
  });
});
