import { describe, expect, it } from 'vitest';
import { createScrapeCache } from './scrape-cache.js';

describe('createScrapeCache', () => {
  it('shares one reading among the scrapes of maxAgeMs, and those arriving while it runs', async () => {
    let clock = 0;
    let readings = 0;
    let release: (() => void) | undefined;
    const read = createScrapeCache(
      async () => {
        readings += 1;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return readings;
      },
      { maxAgeMs: 5_000, now: () => clock },
    );
    const storm = Array.from({ length: 100 }, () => read());
    release?.();
    expect(new Set(await Promise.all(storm))).toEqual(new Set([1]));
    clock = 4_999;
    expect(await read()).toBe(1);
    clock = 5_000;
    const next = read();
    release?.();
    expect(await next).toBe(2);
    expect(readings).toBe(2);
  });

  it('keeps no failed reading: the next scrape reads again', async () => {
    let fail = true;
    const read = createScrapeCache(
      async () => {
        if (fail) throw new Error('postgres down');
        return 'counts';
      },
      { maxAgeMs: 60_000 },
    );
    await expect(read()).rejects.toThrow('postgres down');
    fail = false;
    expect(await read()).toBe('counts');
  });
});
