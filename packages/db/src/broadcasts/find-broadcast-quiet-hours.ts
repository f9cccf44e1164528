import type { Database } from '../create-database.js';
import type { BroadcastStatus } from '../generated/prisma/client.js';
import { query } from '../sql-pool.js';
import type { BroadcastQuietHours } from './broadcasts.js';

/** What a send batch needs of its broadcast before it takes any message. */
export interface BroadcastQuietState {
  appId: string;
  status: BroadcastStatus;
  /** its quiet hours (its own, or its app's when it was created); null: none */
  quietHours: BroadcastQuietHours | null;
  /** the end of the quiet hours its batches wait for, as the last batch that waited wrote it */
  waitingUntil: Date | null;
}

/**
 * A broadcast's quiet hours, status and waiting mark, by primary key: the few columns a send batch
 * reads ahead of its lease (never the audience, which may hold 100,000 openids).
 */
export async function findBroadcastQuietHours(
  db: Database,
  broadcastId: string,
): Promise<BroadcastQuietState | null> {
  const [row] = await query<{
    app_id: string;
    status: BroadcastStatus;
    quiet_hours: BroadcastQuietHours | null;
    waiting_until: Date | null;
  }>(
    db,
    'SELECT app_id, status, quiet_hours, waiting_until FROM broadcasts WHERE id = $1::uuid',
    [broadcastId],
    'minapush_find_broadcast_quiet_hours',
  );
  if (!row) return null;
  return {
    appId: row.app_id,
    status: row.status,
    quietHours: row.quiet_hours,
    waitingUntil: row.waiting_until,
  };
}
