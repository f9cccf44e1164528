import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';

/** Longest failure reason kept (the column's size). */
const MAX_FAILURE_LENGTH = 500;

/**
 * Records that an app's template list could not be read; its stored templates stay as they were,
 * but the registry counts as unreadable until a sync succeeds again.
 */
export async function recordTemplateSyncFailure(
  db: Database,
  appId: string,
  failure: string,
  failedAt: Date,
): Promise<void> {
  await query(
    db,
    `INSERT INTO template_syncs (app_id, failed_at, failure) VALUES ($1, $2, $3)
     ON CONFLICT (app_id) DO UPDATE SET failed_at = EXCLUDED.failed_at, failure = EXCLUDED.failure`,
    [appId, failedAt, failure.slice(0, MAX_FAILURE_LENGTH)],
  );
}
