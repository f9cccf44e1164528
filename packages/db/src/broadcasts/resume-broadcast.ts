import type { Database } from '../create-database.js';
import type { BroadcastStatus } from '../generated/prisma/client.js';
import { query } from '../sql-pool.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type ResumeBroadcastResult =
  | {
      ok: true;
      appId: string;
      /** false: the pause cut its fan-out short, which must run again to create the rest */
      fannedOut: boolean;
      /** its send batches with messages still queued: each needs a live job again */
      queuedBatchIds: string[];
    }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'not_paused'; status: BroadcastStatus };

const RESUME = `
  WITH target AS (SELECT id, status FROM broadcasts WHERE id = $1::uuid FOR UPDATE),
  resumed AS (
    UPDATE broadcasts b SET status = 'running', paused_reason = NULL,
      started_at = coalesce(b.started_at, now())
    FROM target WHERE b.id = target.id AND target.status = 'paused'
    RETURNING b.app_id, b.fanned_out_at IS NOT NULL AS fanned_out
  )
  SELECT target.status AS before, resumed.app_id, resumed.fanned_out FROM target LEFT JOIN resumed ON true`;
// The queued messages of the broadcast (the index (broadcast_id, status, id)), by batch.
const QUEUED_BATCHES = `
  SELECT DISTINCT batch_id::text AS batch_id FROM messages
  WHERE broadcast_id = $1::uuid AND status = 'queued' AND batch_id IS NOT NULL`;

/**
 * paused → running, the pause's reason cleared. While it was paused its batches left their
 * messages queued and ended (and the reconciler leaves a paused broadcast's batches alone): the
 * answer names the batches that still have queued messages, for the caller to give each a live
 * job again, and tells whether the fan-out was cut short. Sending a message twice is impossible
 * here as everywhere: a batch job only takes messages still queued, under a lease.
 */
export async function resumeBroadcast(db: Database, id: string): Promise<ResumeBroadcastResult> {
  if (!UUID.test(id)) return { ok: false, reason: 'not_found' };
  const [row] = await query<{ before: BroadcastStatus; app_id: string | null; fanned_out: boolean | null }>(
    db,
    RESUME,
    [id],
  );
  if (!row) return { ok: false, reason: 'not_found' };
  if (row.app_id === null) return { ok: false, reason: 'not_paused', status: row.before };
  const batches = await query<{ batch_id: string }>(db, QUEUED_BATCHES, [id]);
  return {
    ok: true,
    appId: row.app_id,
    fannedOut: row.fanned_out === true,
    queuedBatchIds: batches.map((batch) => batch.batch_id),
  };
}
