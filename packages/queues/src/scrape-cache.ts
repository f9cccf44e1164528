/**
 * A reading for metrics scrapes, taken at most once per `maxAgeMs`: scrapes within that time, or
 * arriving while a reading is under way, share it, so that a scrape storm costs what it reads
 * (Redis, Postgres) one reading per `maxAgeMs`. A failed reading is not kept: the next scrape tries again.
 */
export function createScrapeCache<T>(
  read: () => Promise<T>,
  options: { maxAgeMs: number; now?: () => number },
): () => Promise<T> {
  const now = options.now ?? Date.now;
  let last: { at: number; value: T } | undefined;
  let reading: Promise<T> | undefined;
  return () => {
    if (last && now() - last.at < options.maxAgeMs) return Promise.resolve(last.value);
    reading ??= read()
      .then((value) => {
        last = { at: now(), value };
        return value;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
}
