import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';

export interface UnappliedPushEventsQuery {
  /** events received before this and still unprocessed are answered */
  receivedBefore: Date;
  limit: number;
}

/**
 * Events stored but not applied for a while: their job was never enqueued (Redis was down when
 * WeChat pushed) or was lost. The sweep enqueues them again; oldest first, ids as strings.
 */
export async function findUnappliedPushEvents(
  db: Database,
  request: UnappliedPushEventsQuery,
): Promise<string[]> {
  const rows = await query<{ id: string }>(
    db,
    `SELECT id::text AS id FROM wechat_push_events
      WHERE processed_at IS NULL AND received_at < $1::timestamptz
      ORDER BY received_at, id LIMIT $2`,
    [request.receivedBefore, request.limit],
  );
  return rows.map((row) => row.id);
}
