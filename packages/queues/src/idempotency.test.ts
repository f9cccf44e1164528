import { describe, expect, it } from 'vitest';
import { canonicalJson, idempotencyKeySchema, requestHash } from './idempotency.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"y":2,"z":1}]},"b":1}',
    );
  });
});

describe('requestHash', () => {
  it('is the same for any key order and differs with any value', () => {
    const hash = requestHash({ a: 1, b: ['x', 'y'] });
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(requestHash({ b: ['x', 'y'], a: 1 })).toBe(hash);
    expect(requestHash({ a: 1, b: ['y', 'x'] })).not.toBe(hash);
    expect(requestHash({ a: '1', b: ['x', 'y'] })).not.toBe(hash);
  });
});

describe('idempotencyKeySchema', () => {
  it('takes 1 to 256 characters of any kind but control characters', () => {
    for (const key of ['k', 'order-42/shipped:o-1', 'with spaces', '订单-42', 'x'.repeat(256)]) {
      expect(idempotencyKeySchema.safeParse(key).success, key).toBe(true);
    }
    const refusals: Array<[string, RegExp]> = [
      ['', /must not be empty/],
      ['x'.repeat(257), /at most 256 characters/],
      ['a\u0000b', /control characters/],
      ['line\n', /control characters/],
      ['a\u0085b', /control characters/],
    ];
    for (const [key, message] of refusals) {
      const result = idempotencyKeySchema.safeParse(key);
      expect(result.error?.issues[0]?.message, JSON.stringify(key)).toMatch(message);
    }
  });
});
