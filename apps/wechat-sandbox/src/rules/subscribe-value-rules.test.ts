import { describe, expect, it } from 'vitest';
import {
  checkSubscribeData,
  isValidSubscribeValue,
  SUBSCRIBE_VALUE_PREFIXES,
  subscribeKeyPrefix,
} from './subscribe-value-rules.js';

const cases: Record<string, { valid: string[]; invalid: string[] }> = {
  thing1: {
    valid: ['订单已发货', 'Order #12 shipped!', '一二三四五六七八九十一二三四五六七八九十', 'a'.repeat(20)],
    invalid: ['a'.repeat(21), '一二三四五六七八九十一二三四五六七八九十一', 'line\nbreak'],
  },
  number01: {
    valid: ['0', '42', '3.14', '1'.repeat(32), `${'1'.repeat(16)}.${'2'.repeat(16)}`],
    invalid: ['1'.repeat(33), '-5', '1,000', '3.', '.5', 'abc', '1e5'],
  },
  letter2: {
    valid: ['abc', 'ABCdef', 'x'.repeat(32)],
    invalid: ['x'.repeat(33), 'abc1', 'a b', '中文'],
  },
  symbol3: {
    valid: ['%', '!?', '#$%&*', '￥'],
    invalid: ['%%%%%%', 'a!', '1', ' '],
  },
  character_string4: {
    valid: ['TX-2026-0001', 'abc123', 'A'.repeat(32), '#1:2'],
    invalid: ['A'.repeat(33), '订单123', 'has space'],
  },
  time5: {
    valid: [
      '15:01',
      '09:30:59',
      '2026-01-01 15:01',
      '2019年10月1日 15:01',
      '2019年10月1日15:01',
      '15:01~16:00',
      '2026-01-01 10:00 ~ 2026-01-01 12:00',
    ],
    invalid: ['25:00', '12:60', '3pm', '2026-01-01', '15:01~', '15:01~16:00~17:00', 'noon'],
  },
  date6: {
    valid: [
      '2026-01-01',
      '2026/1/1',
      '2026.01.31',
      '2026年1月1日',
      '2026-01-01 15:01',
      '2026年1月1日 15:01:30',
      '2026-01-01~2026-01-03',
      '2026-01-01 10:00~12:00',
      '2024-02-29',
    ],
    invalid: [
      '2026-13-01',
      '2026-02-30',
      '2025-02-29',
      '01/01/2026',
      '2026-01/01',
      'tomorrow',
      '2026-01-01 25:00',
      '2026-01-01~12:00',
    ],
  },
  amount7: {
    valid: ['¥100', '$9.99', '￥1234567890', '¥100元', '¥100.50元', '€0.5'],
    invalid: ['¥12345678901', '¥¥100', '100元', '88.00', '¥100 元', '-¥5', '¥1,000', '元'],
  },
  phone_number8: {
    valid: ['13800138000', '+86-10-12345678', '(010)1234', '1'.repeat(17)],
    invalid: ['1'.repeat(18), '138 0013 8000', 'call me', '138abc'],
  },
  car_number9: {
    valid: ['粤A12345', '京AD12345', '粤B1234学', 'AB-123'],
    invalid: ['粤A123456学', 'ABCDEFGHI'],
  },
  name10: {
    valid: [
      '张三',
      '欧阳娜娜',
      '阿沛·阿旺晋美',
      'John',
      'John Smith',
      "O'Neil Jr.",
      'a'.repeat(20),
      '一二三四五六七八九十',
    ],
    invalid: ['一二三四五六七八九十一', 'a'.repeat(21), 'R2D2', '张三3', '张三 Li', '·张三'],
  },
  phrase11: {
    valid: ['已发货', '配送中', '一二三四五'],
    invalid: ['一二三四五六', 'shipped', '已发货!', '已 发货'],
  },
};

describe('subscribe value rules', () => {
  it('covers every prefix of the rules table', () => {
    const covered = Object.keys(cases).map((key) => subscribeKeyPrefix(key));
    expect(new Set(covered)).toEqual(new Set(SUBSCRIBE_VALUE_PREFIXES));
  });

  for (const [key, { valid, invalid }] of Object.entries(cases)) {
    it.each(valid)(`${key} accepts %j`, (value) => {
      expect(isValidSubscribeValue(key, value)).toBe(true);
    });
    it.each(invalid)(`${key} rejects %j`, (value) => {
      expect(isValidSubscribeValue(key, value)).toBe(false);
    });
    it(`${key} rejects an empty value and control characters`, () => {
      expect(isValidSubscribeValue(key, '')).toBe(false);
      const firstValid = valid[0] ?? '';
      expect(isValidSubscribeValue(key, `${firstValid}\t`)).toBe(false);
      expect(isValidSubscribeValue(key, `\n${firstValid}`)).toBe(false);
      expect(isValidSubscribeValue(key, `${firstValid}\u2028`)).toBe(false);
    });
  }

  it('reads the prefix from keys with any number suffix and rejects unknown keys', () => {
    expect(subscribeKeyPrefix('thing1')).toBe('thing');
    expect(subscribeKeyPrefix('character_string02')).toBe('character_string');
    expect(subscribeKeyPrefix('phone_number12')).toBe('phone_number');
    expect(subscribeKeyPrefix('thing')).toBeUndefined();
    expect(subscribeKeyPrefix('keyword1')).toBeUndefined();
    expect(isValidSubscribeValue('keyword1', 'hello')).toBe(false);
  });
});

describe('checkSubscribeData', () => {
  it('accepts good data, numbers included', () => {
    expect(checkSubscribeData({ thing1: { value: '已发货' }, number2: { value: 12.5 } })).toEqual({
      ok: true,
    });
  });

  it('names the first bad field the way WeChat does', () => {
    expect(checkSubscribeData({ thing1: { value: 'ok' }, time2: { value: 'noon' } })).toEqual({
      ok: false,
      field: 'data.time2.value',
    });
    expect(checkSubscribeData({ thing1: 'not wrapped' })).toEqual({ ok: false, field: 'data.thing1.value' });
    expect(checkSubscribeData({ thing1: { value: null } })).toEqual({
      ok: false,
      field: 'data.thing1.value',
    });
    expect(checkSubscribeData({})).toEqual({ ok: false, field: 'data' });
  });
});
