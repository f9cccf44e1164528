import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';

/** A broadcast's messages in one status; `queued` counts the queued and the sending ones. */
export interface BroadcastMessageCount {
  broadcastId: string;
  status: string;
  count: number;
}

// Settled messages per status from messages_settled_broadcast_idx, pending ones from
// messages_pending_broadcast_idx, both index-only scans (a GROUP BY status over every message of a
// broadcast would read each row from the table). Pending ones are counted together, as `queued`:
// the view shows queued + sending as `pending`.
const COUNTS = `
  SELECT broadcast_id::text AS broadcast_id, status::text AS status, count(*)::int AS count
  FROM messages WHERE broadcast_id = ANY($1::uuid[]) AND status NOT IN ('queued', 'sending')
  GROUP BY broadcast_id, status
  UNION ALL
  SELECT broadcast_id::text, 'queued', count(*)::int
  FROM messages WHERE broadcast_id = ANY($1::uuid[]) AND status IN ('queued', 'sending')
  GROUP BY broadcast_id`;

/** The messages of each broadcast counted per status, in one statement for them all. */
export async function countBroadcastMessages(
  db: Database,
  broadcastIds: readonly string[],
): Promise<BroadcastMessageCount[]> {
  if (broadcastIds.length === 0) return [];
  const rows = await query<{ broadcast_id: string; status: string; count: number }>(
    db,
    COUNTS,
    [broadcastIds],
    'minapush_count_broadcast_messages',
  );
  return rows.map((row) => ({ broadcastId: row.broadcast_id, status: row.status, count: row.count }));
}
