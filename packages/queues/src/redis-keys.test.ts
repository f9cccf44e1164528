import { clusterQueuePrefix } from '@minapush/config';
import { describe, expect, it } from 'vitest';
import { redisKeys } from './redis-keys.js';

/** The part of a key Redis Cluster hashes: the first non-empty `{…}`, else the whole key. */
function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('redisKeys on a cluster prefix', () => {
  it('gives every key the prefix hash tag, so that all of them share one slot', () => {
    const keys = redisKeys(clusterQueuePrefix('shop-a'));
    const built = Object.values(keys).map((key) =>
      // ids with braces of their own must not change the slot: only the first tag counts
      typeof key === 'function' ? key('wx{x}', '{formId}') : key,
    );
    expect(built.length).toBe(Object.keys(keys).length);
    for (const key of built) expect(hashTagOf(key)).toBe('shop-a');
  });
});
