import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';
import { appFilter, nextWindow, type PurgeResult, type PurgeWindow } from './purge-window.js';

// The newest fetch of each app is never deleted: the audit of its token stays, however long ago
// it was fetched. "A newer fetch exists" is an index probe on (app_id, fetched_at); fetches of
// one app in the same millisecond all stay until a later one exists.
const STATEMENT = `WITH win AS (
    SELECT id FROM access_token_fetches WHERE id > $1::bigint AND ($4::text[] IS NULL OR app_id = ANY($4::text[]))
    ORDER BY id LIMIT $2
  ), gone AS (
    DELETE FROM access_token_fetches f
    WHERE f.id > $1::bigint AND f.id <= (SELECT w.id FROM win w ORDER BY w.id DESC LIMIT 1)
      AND f.fetched_at < $3::timestamptz
      AND ($4::text[] IS NULL OR f.app_id = ANY($4::text[]))
      -- OFFSET 0: one index probe per candidate of the window (see purge-window.ts)
      AND EXISTS (
        SELECT 1 FROM access_token_fetches newer
        WHERE newer.app_id = f.app_id AND newer.fetched_at > f.fetched_at OFFSET 0)
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM gone)::int AS removed, (SELECT count(*) FROM win)::int AS scanned,
    (SELECT w.id FROM win w ORDER BY w.id DESC LIMIT 1)::text AS last`;

/** Deletes, in one window of the walk, the token fetches made before `before`, but never an app's newest. */
export async function purgeTokenHistory(
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
