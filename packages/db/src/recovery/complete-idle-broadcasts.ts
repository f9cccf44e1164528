import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';

/**
 * Completes, in one statement, every running or paused broadcast whose fan-out is done and that
 * has nothing queued or sending: the ones whose last batch finished while recording progress
 * failed, or raced another batch's last message (see `completeBroadcastIfDone`). Answers their ids.
 */
export async function completeIdleBroadcasts(db: Database): Promise<string[]> {
  const rows = await query<{ id: string }>(
    db,
    `UPDATE broadcasts b SET status = 'completed', finished_at = now()
     WHERE b.status IN ('running', 'paused') AND b.fanned_out_at IS NOT NULL
       AND NOT EXISTS (
         SELECT 1 FROM messages m WHERE m.broadcast_id = b.id AND m.status IN ('queued', 'sending'))
     RETURNING b.id::text AS id`,
  );
  return rows.map((row) => row.id);
}
