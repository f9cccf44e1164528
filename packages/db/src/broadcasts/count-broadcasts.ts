import type { Database } from '../create-database.js';
import type { BroadcastStatus } from '../generated/prisma/client.js';
import { query } from '../sql-pool.js';

/** The broadcasts of one app in one status, and how far the unfinished ones have got. */
export interface BroadcastCount {
  appId: string;
  status: BroadcastStatus;
  broadcasts: number;
  /** running and paused broadcasts only: their messages (sent, failed, skipped, unknown or pending) */
  messages: number;
  /** running and paused broadcasts only: their messages still queued or being sent */
  pending: number;
  /** scheduled and running broadcasts whose batches wait for the end of quiet hours */
  waitingForQuietHours: number;
}

/**
 * Broadcasts counted per app and status, with the progress of the unfinished ones, in one
 * statement for the metrics scrape. Cheap: the broadcasts table holds only RETENTION_DAYS of
 * them, and the pending messages are counted (for running and paused broadcasts alone) in the
 * partial index messages_pending_broadcast_idx, which holds only messages still to send.
 */
export async function countBroadcasts(db: Database): Promise<BroadcastCount[]> {
  const rows = await query<{
    app_id: string;
    status: BroadcastStatus;
    broadcasts: number;
    messages: string;
    pending: string;
    waiting: number;
  }>(
    db,
    `SELECT b.app_id, b.status, count(*)::int AS broadcasts,
       coalesce(sum(b.total) FILTER (WHERE b.status IN ('running', 'paused')), 0)::text AS messages,
       coalesce(sum(p.pending), 0)::text AS pending,
       (count(*) FILTER (WHERE b.waiting_until IS NOT NULL AND b.status IN ('scheduled', 'running')))::int AS waiting
     FROM broadcasts b
     LEFT JOIN LATERAL (
       SELECT count(*) AS pending FROM messages m
       WHERE b.status IN ('running', 'paused') AND m.broadcast_id = b.id AND m.status IN ('queued', 'sending')
     ) p ON true
     GROUP BY b.app_id, b.status`,
    [],
    'minapush_count_broadcasts',
  );
  return rows.map((row) => ({
    appId: row.app_id,
    status: row.status,
    broadcasts: row.broadcasts,
    messages: Number(row.messages),
    pending: Number(row.pending),
    waitingForQuietHours: row.waiting,
  }));
}
