import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';
import { appFilter, nextWindow, type PurgeResult, type PurgeWindow } from './purge-window.js';
import { uuidV7Bound } from './uuid-time-bound.js';

export interface PurgedMessages extends PurgeResult<string> {
  /** attempts that went with them (the foreign key cascades) */
  attempts: number;
}

// The window walks the primary key up to the uuid of `before`: message ids are uuid v7, so the
// messages created before the cut-off are a prefix of it, and a run never reads the last
// RETENTION_DAYS of messages. No index on (status, updated_at) is needed, which would cost every
// send an index entry (the send path updates each message three times).
const STATEMENT = `WITH win AS (
    SELECT id FROM messages WHERE id > $1::uuid AND id < $2::uuid
      AND ($5::text[] IS NULL OR app_id = ANY($5::text[]))
    ORDER BY id LIMIT $3
  ), gone AS (
    DELETE FROM messages m
    WHERE m.id > $1::uuid AND m.id <= (SELECT w.id FROM win w ORDER BY w.id DESC LIMIT 1)
      AND m.status IN ('sent', 'failed', 'skipped', 'unknown', 'cancelled')
      AND m.updated_at < $4::timestamptz
      AND ($5::text[] IS NULL OR m.app_id = ANY($5::text[]))
    RETURNING m.id
  )
  SELECT (SELECT count(*) FROM gone)::int AS removed,
    (SELECT count(*) FROM message_attempts a WHERE a.message_id IN (SELECT id FROM gone))::int AS attempts,
    (SELECT count(*) FROM win)::int AS scanned,
    (SELECT w.id FROM win w ORDER BY w.id DESC LIMIT 1)::text AS last`;

/**
 * Deletes, in one window of the walk, the messages that finished (sent, failed, skipped, unknown,
 * cancelled) before `before`, with their attempts. Pending ones (queued, sending) stay whatever
 * their age.
 */
export async function purgeFinishedMessages(
  db: Database,
  request: PurgeWindow<string> & { before: Date },
): Promise<PurgedMessages> {
  const [row] = await query<{ removed: number; attempts: number; scanned: number; last: string | null }>(
    db,
    STATEMENT,
    [
      request.after,
      uuidV7Bound(request.before.getTime()),
      request.limit,
      request.before,
      appFilter(request.appIds),
    ],
  );
  return {
    removed: row?.removed ?? 0,
    attempts: row?.attempts ?? 0,
    next: nextWindow(row?.scanned ?? 0, request.limit, row?.last ?? null),
  };
}
