import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';
import { type KeysetPage, keysetPage } from './keyset-page.js';

export interface QueuedBatch {
  batchId: string;
  appId: string;
  broadcastId: string;
  /** messages of the batch still queued */
  queued: number;
  /** the end of the quiet hours the broadcast's batches wait for (its job is due then); null: none */
  waitingUntil: Date | null;
}

/**
 * Send batches of running broadcasts with messages queued and untouched since `queuedBefore`, in
 * batch id order after `after`: each should have a live bulk job (a paused broadcast's batches
 * wait for its resume), delayed until `waitingUntil` while quiet hours hold the broadcast. Walks the partial index messages_pending_batch_idx,
 * which holds only messages still to send, so a finished broadcast costs nothing here.
 */
export async function findQueuedBatches(
  db: Database,
  page: { after: string; limit: number; queuedBefore: Date },
): Promise<KeysetPage<QueuedBatch>> {
  const rows = await query<{
    batch_id: string;
    app_id: string;
    broadcast_id: string;
    queued: number;
    waiting_until: Date | null;
  }>(
    db,
    `SELECT m.batch_id::text AS batch_id, min(m.app_id) AS app_id, min(m.broadcast_id::text) AS broadcast_id,
       count(*)::int AS queued, min(b.waiting_until) AS waiting_until
     FROM messages m JOIN broadcasts b ON b.id = m.broadcast_id AND b.status = 'running'
     WHERE m.status IN ('queued', 'sending') AND m.batch_id IS NOT NULL AND m.batch_id > $1::uuid
     GROUP BY m.batch_id
     HAVING bool_or(m.status = 'queued' AND m.updated_at < $3::timestamptz)
     ORDER BY m.batch_id LIMIT $2::int`,
    [page.after, page.limit, page.queuedBefore],
  );
  return keysetPage(
    rows.map((row) => ({
      batchId: row.batch_id,
      appId: row.app_id,
      broadcastId: row.broadcast_id,
      queued: row.queued,
      waitingUntil: row.waiting_until,
    })),
    page.limit,
    (row) => row.batchId,
  );
}
