import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';
import { type KeysetPage, keysetPage } from './keyset-page.js';

export interface ExpiredLease {
  messageId: string;
  appId: string;
  /** the message's send batch, whose job sends it again; null: its own job does */
  batchId: string | null;
  broadcastId: string | null;
}

/**
 * Messages whose sender's lease ran out (it died, froze or lost Postgres), in id order after
 * `after`. The partial index messages_sending_lease_idx holds only messages being sent.
 */
export async function findExpiredLeases(
  db: Database,
  page: { after: string; limit: number },
): Promise<KeysetPage<ExpiredLease>> {
  const rows = await query<{
    id: string;
    app_id: string;
    batch_id: string | null;
    broadcast_id: string | null;
  }>(
    db,
    `SELECT id::text AS id, app_id, batch_id::text AS batch_id, broadcast_id::text AS broadcast_id FROM messages
     WHERE status = 'sending' AND lease_until < now() AND id > $1::uuid
     ORDER BY id LIMIT $2::int`,
    [page.after, page.limit],
  );
  return keysetPage(
    rows.map((row) => ({
      messageId: row.id,
      appId: row.app_id,
      batchId: row.batch_id,
      broadcastId: row.broadcast_id,
    })),
    page.limit,
    (row) => row.messageId,
  );
}
