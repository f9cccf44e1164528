import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';
import { appFilter, nextWindow, type PurgeResult, type PurgeWindow } from './purge-window.js';

// Whether a credit is spent or dead is not indexed (a claim changes it, and an index on it would
// cost the send path its HOT updates), so the walk reads the whole table, a window at a time. A
// credit that a message or an attempt still points at stays: a pending message holds its credit,
// and a kept message or attempt is the evidence of what it used. The foreign keys would not stop
// the delete (they are ON DELETE SET NULL: the message would silently lose its credit), so these
// tests are what keeps them; messages_credit_id_idx and message_attempts_credit_id_idx answer
// them, and the foreign keys' own look-up on each deleted credit.
const STATEMENT = `WITH win AS (
    SELECT id FROM send_credits WHERE id > $1::bigint AND ($4::text[] IS NULL OR app_id = ANY($4::text[]))
    ORDER BY id LIMIT $2
  ), gone AS (
    DELETE FROM send_credits c
    WHERE c.id > $1::bigint AND c.id <= (SELECT w.id FROM win w ORDER BY w.id DESC LIMIT 1)
      AND (c.state IN ('spent', 'dead') OR c.expires_at < $3::timestamptz)
      AND ($4::text[] IS NULL OR c.app_id = ANY($4::text[]))
      -- OFFSET 0: one index probe per candidate of the window (see purge-window.ts)
      AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.credit_id = c.id OFFSET 0)
      AND NOT EXISTS (SELECT 1 FROM message_attempts a WHERE a.credit_id = c.id OFFSET 0)
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM gone)::int AS removed, (SELECT count(*) FROM win)::int AS scanned,
    (SELECT w.id FROM win w ORDER BY w.id DESC LIMIT 1)::text AS last`;

/**
 * Deletes, in one window of the walk, the credits that can never be used again: expired at `now`,
 * spent or dead, and pointed at by no message and no attempt. A credit cannot be claimed once it
 * is any of those (claims take available credits valid past now plus a margin), so no claim races
 * this delete.
 */
export async function purgeUnusableCredits(
  db: Database,
  request: PurgeWindow<bigint> & { now: Date },
): Promise<PurgeResult<bigint>> {
  const [row] = await query<{ removed: number; scanned: number; last: string | null }>(db, STATEMENT, [
    request.after.toString(),
    request.limit,
    request.now,
    appFilter(request.appIds),
  ]);
  const last = row?.last ?? null;
  return {
    removed: row?.removed ?? 0,
    next: nextWindow(row?.scanned ?? 0, request.limit, last === null ? null : BigInt(last)),
  };
}
