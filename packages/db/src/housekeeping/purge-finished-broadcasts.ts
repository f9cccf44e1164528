import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';
import { appFilter, nextWindow, type PurgeResult, type PurgeWindow } from './purge-window.js';
import { uuidV7Bound } from './uuid-time-bound.js';

// Broadcast ids are uuid v7, as message ids: the walk stops at the uuid of `before`. Whether a
// message is left is read from the unique (broadcast_id, openid) index; the foreign key (ON
// DELETE SET NULL) would otherwise cut a kept message off its broadcast.
const STATEMENT = `WITH win AS (
    SELECT id FROM broadcasts WHERE id > $1::uuid AND id < $2::uuid
      AND ($5::text[] IS NULL OR app_id = ANY($5::text[]))
    ORDER BY id LIMIT $3
  ), gone AS (
    DELETE FROM broadcasts b
    WHERE b.id > $1::uuid AND b.id <= (SELECT w.id FROM win w ORDER BY w.id DESC LIMIT 1)
      AND b.status IN ('completed', 'cancelled')
      AND coalesce(b.finished_at, b.created_at) < $4::timestamptz
      AND ($5::text[] IS NULL OR b.app_id = ANY($5::text[]))
      -- OFFSET 0: one index probe per broadcast of the window (see purge-window.ts)
      AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.broadcast_id = b.id OFFSET 0)
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM gone)::int AS removed, (SELECT count(*) FROM win)::int AS scanned,
    (SELECT w.id FROM win w ORDER BY w.id DESC LIMIT 1)::text AS last`;

/**
 * Deletes, in one window of the walk, the broadcasts that finished (completed, cancelled) before
 * `before` and have none of their messages left: their messages go first (purgeFinishedMessages),
 * so a broadcast goes in the same run as its last message, or the next.
 */
export async function purgeFinishedBroadcasts(
  db: Database,
  request: PurgeWindow<string> & { before: Date },
): Promise<PurgeResult<string>> {
  const [row] = await query<{ removed: number; scanned: number; last: string | null }>(db, STATEMENT, [
    request.after,
    uuidV7Bound(request.before.getTime()),
    request.limit,
    request.before,
    appFilter(request.appIds),
  ]);
  return {
    removed: row?.removed ?? 0,
    next: nextWindow(row?.scanned ?? 0, request.limit, row?.last ?? null),
  };
}
