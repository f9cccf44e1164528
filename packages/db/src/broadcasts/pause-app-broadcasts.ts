import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';

const PAUSE = `
  UPDATE broadcasts SET status = 'paused', paused_reason = $2
  WHERE app_id = $1 AND status = 'running'
  RETURNING id::text AS id`;

/**
 * Pauses every running broadcast of an app with the reason (WeChat banned the app's sending):
 * their senders leave their messages queued, and `POST /v1/broadcasts/:id/resume` goes on with
 * each. Answers the ids it paused; one already paused keeps its first reason.
 */
export async function pauseAppBroadcasts(db: Database, appId: string, reason: string): Promise<string[]> {
  const rows = await query<{ id: string }>(
    db,
    PAUSE,
    [appId, reason.slice(0, 1024)],
    'minapush_pause_app_broadcasts',
  );
  return rows.map((row) => row.id);
}
