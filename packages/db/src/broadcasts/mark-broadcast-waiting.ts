import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';

/**
 * Records that a broadcast's batches wait for its quiet hours to end at `until`, or (null) that
 * they send again. Every batch of a held broadcast finds the same end, so only the first one
 * writes (the view shows the mark only while the broadcast is scheduled or running).
 */
export async function markBroadcastWaiting(
  db: Database,
  broadcastId: string,
  until: Date | null,
): Promise<void> {
  await query(
    db,
    `UPDATE broadcasts SET waiting_until = $2::timestamptz
     WHERE id = $1::uuid AND waiting_until IS DISTINCT FROM $2::timestamptz`,
    [broadcastId, until],
    'minapush_mark_broadcast_waiting',
  );
}
