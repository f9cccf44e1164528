import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';
import { type KeysetPage, keysetPage } from './keyset-page.js';

export interface UnfannedBroadcast {
  id: string;
  appId: string;
  /** when its fan-out is due; null: at once */
  sendAt: Date | null;
}

/**
 * Broadcasts whose fan-out is not done (still `scheduled`, or `running` with a fan-out cut
 * short), in id order after `after`: each needs a live fan-out job. The partial index
 * broadcasts_unfanned_idx holds exactly these.
 */
export async function findUnfannedBroadcasts(
  db: Database,
  page: { after: string; limit: number },
): Promise<KeysetPage<UnfannedBroadcast>> {
  const rows = await query<{ id: string; app_id: string; send_at: Date | null }>(
    db,
    `SELECT id::text AS id, app_id, send_at FROM broadcasts
     WHERE fanned_out_at IS NULL AND status IN ('scheduled', 'running') AND id > $1::uuid
     ORDER BY id LIMIT $2::int`,
    [page.after, page.limit],
  );
  return keysetPage(
    rows.map((row) => ({ id: row.id, appId: row.app_id, sendAt: row.send_at })),
    page.limit,
    (row) => row.id,
  );
}
