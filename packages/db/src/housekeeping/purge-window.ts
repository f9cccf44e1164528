/**
 * One statement of a housekeeping walk: it looks at a window of at most `limit` rows of its table
 * in primary-key order, after `after`, and deletes the ones that may go. Every statement is
 * bounded by the window, however many rows the table holds; the walk goes on from `next` until a
 * window comes back short (`next` undefined).
 *
 * The statements delete by a primary-key range (`id > after AND id <= last of the window`), which
 * the planner reads as a range scan of the window only. Their reference tests (`NOT EXISTS (…
 * OFFSET 0)`) stay per-row index probes: without the OFFSET, Postgres turns them into anti-joins
 * and, on tables of some 100,000 rows, hashes the whole referencing table for every window
 * (measured: a seq scan of messages and of message_attempts per statement, against at most two
 * index probes per candidate with it).
 */
export interface PurgeWindow<K> {
  /** the key the window starts after (exclusive) */
  after: K;
  /** rows the window looks at, and so the most it deletes */
  limit: number;
  /**
   * only rows of these apps (a deployment sharing its database with others; tests); all when
   * absent. The window then counts only their rows.
   */
  appIds?: readonly string[] | undefined;
}

export interface PurgeResult<K> {
  removed: number;
  /** where the next window starts; undefined when this one reached the end */
  next: K | undefined;
}

/** The app filter of a purge statement: `null` lets every app through. */
export const appFilter = (appIds: readonly string[] | undefined) => (appIds ? [...appIds] : null);

/** The start of a walk over bigint keys. */
export const BIGINT_START = 0n;

/** Where the next window starts, from the window's last key and its size. */
export function nextWindow<K>(scanned: number, limit: number, last: K | null): K | undefined {
  return scanned < limit || last === null ? undefined : last;
}
