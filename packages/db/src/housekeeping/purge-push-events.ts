import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';
import { appFilter, nextWindow, type PurgeResult, type PurgeWindow } from './purge-window.js';

// A stored push is needed for a few minutes: to answer WeChat's retries of it (de-duplication),
// and until its ledger change is made (the sweep). Past the retention period it is only history;
// the credits it made keep their row (their push_event_id goes null with the foreign key, long
// after the 24-hour pairing window that reads it has closed).
const STATEMENT = `WITH win AS (
    SELECT id FROM wechat_push_events WHERE id > $1::bigint AND ($4::text[] IS NULL OR app_id = ANY($4::text[]))
    ORDER BY id LIMIT $2
  ), gone AS (
    DELETE FROM wechat_push_events e
    WHERE e.id > $1::bigint AND e.id <= (SELECT w.id FROM win w ORDER BY w.id DESC LIMIT 1)
      AND e.received_at < $3::timestamptz
      AND ($4::text[] IS NULL OR e.app_id = ANY($4::text[]))
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM gone)::int AS removed, (SELECT count(*) FROM win)::int AS scanned,
    (SELECT w.id FROM win w ORDER BY w.id DESC LIMIT 1)::text AS last`;

/** Deletes, in one window of the walk, the message pushes received before `before`. */
export async function purgePushEvents(
  db: Database,
  request: PurgeWindow<bigint> & { before: Date },
): Promise<PurgeResult<bigint>> {
  const [row] = await query<{ removed: number; scanned: number; last: string | null }>(db, STATEMENT, [
    request.after.toString(),
    request.limit,
    request.before,
    appFilter(request.appIds),
  ]);
  const last = row?.last ?? null;
  return {
    removed: row?.removed ?? 0,
    next: nextWindow(row?.scanned ?? 0, request.limit, last === null ? null : BigInt(last)),
  };
}
