import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';
import { type KeysetPage, keysetPage } from './keyset-page.js';

export interface QueuedSingleMessage {
  messageId: string;
  appId: string;
  /** held until then (POST /v1/messages `sendAt`): its job is delayed until then; null: at once */
  sendAt: Date | null;
}

/**
 * Single (non-broadcast) messages queued and untouched since `queuedBefore`, in id order after
 * `after`: each should have a live job (delayed until its sendAt). The partial index
 * messages_queued_single_idx holds only queued single messages.
 */
export async function findQueuedSingleMessages(
  db: Database,
  page: { after: string; limit: number; queuedBefore: Date },
): Promise<KeysetPage<QueuedSingleMessage>> {
  const rows = await query<{ id: string; app_id: string; send_at: Date | null }>(
    db,
    `SELECT id::text AS id, app_id, send_at FROM messages
     WHERE status = 'queued' AND batch_id IS NULL AND id > $1::uuid AND updated_at < $3::timestamptz
     ORDER BY id LIMIT $2::int`,
    [page.after, page.limit, page.queuedBefore],
  );
  return keysetPage(
    rows.map((row) => ({ messageId: row.id, appId: row.app_id, sendAt: row.send_at })),
    page.limit,
    (row) => row.messageId,
  );
}
