import { describe, expect, it } from 'vitest';
import { uuidV7Bound } from './uuid-time-bound.js';

/** a v7 uuid of `ms` with the given random tail, as Postgres and Prisma make them */
const v7 = (ms: number, tail: string) => {
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${tail.slice(0, 3)}-8${tail.slice(3, 6)}-${tail.slice(6, 18)}`;
};

describe('uuidV7Bound', () => {
  it('sorts above every uuid v7 of earlier milliseconds and below those of its own and later ones', () => {
    const at = Date.UTC(2026, 11, 2, 3, 0, 0);
    const bound = uuidV7Bound(at);
    expect(bound).toBe(
      `${at.toString(16).padStart(12, '0').slice(0, 8)}-${at.toString(16).slice(-4)}-0000-0000-000000000000`,
    );
    expect(v7(at - 1, 'ffffffffffffffffff') < bound).toBe(true);
    expect(v7(at, '000000000000000000') > bound).toBe(true);
    expect(v7(at + 86_400_000, '123456789abcdef012') > bound).toBe(true);
  });

  it('refuses a time a uuid v7 cannot hold', () => {
    expect(() => uuidV7Bound(-1)).toThrow(RangeError);
    expect(() => uuidV7Bound(2 ** 48)).toThrow(RangeError);
    expect(() => uuidV7Bound(1.5)).toThrow(RangeError);
  });
});
