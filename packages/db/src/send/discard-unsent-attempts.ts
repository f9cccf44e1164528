import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';

/**
 * Removes attempts a run recorded ahead of calls it then never made because it had lost the
 * lease. Not conditional on the lease, unlike every other write of the run: it only takes back
 * the run's own record of a call that certainly did not happen, which is true whoever holds the
 * message now, and it spares the new holder from treating a never-sent message as maybe sent.
 */
export async function discardUnsentAttempts(db: Database, attemptIds: readonly bigint[]): Promise<void> {
  if (attemptIds.length === 0) return;
  await query(db, `DELETE FROM message_attempts WHERE id = ANY($1::bigint[]) AND outcome = 'unknown'`, [
    attemptIds.map(String),
  ]);
}
