import type { Database } from '../create-database.js';
import type { MessageStatus } from '../generated/prisma/client.js';
import { query } from '../sql-pool.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type CancelMessageResult =
  | {
      ok: true;
      /** false: it was cancelled before (a repeated cancel) */
      changed: boolean;
      appId: string;
      /** the broadcast it belongs to, which may now have nothing left to send */
      broadcastId: string | null;
    }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'not_cancellable'; status: MessageStatus };

// The row lock orders a cancel against a sender: the lease takes queued messages with SKIP LOCKED,
// so a message locked here is not taken; a message a lease took first is `sending` when the lock
// is granted, and is not cancelled. The credit use it holds (claimed by an earlier run, then held
// through a quota pause or a retry) goes back to the user, as `cancelBroadcast` does, unless a
// call with that credit may have been delivered (no reply came back) or was.
const CANCEL = `
  WITH target AS (
    SELECT id, app_id, status, credit_id, broadcast_id FROM messages WHERE id = $1::uuid FOR UPDATE
  ), unused AS (
    SELECT target.id, target.credit_id FROM target
    WHERE target.status = 'queued' AND target.credit_id IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM message_attempts a
      WHERE a.message_id = target.id AND a.credit_id = target.credit_id AND a.outcome IN ('unknown', 'sent'))
  ), returned AS (
    UPDATE send_credits c SET uses_left = c.uses_left + 1, state = 'available', updated_at = now()
    FROM unused WHERE c.id = unused.credit_id AND c.state <> 'dead'
  ), cancelled AS (
    UPDATE messages m SET status = 'cancelled', updated_at = now(), errmsg = $2,
      credit_id = CASE WHEN m.id IN (SELECT unused.id FROM unused) THEN NULL ELSE m.credit_id END
    FROM target WHERE m.id = target.id AND target.status = 'queued'
    RETURNING m.id
  )
  SELECT target.status AS before, target.app_id, target.broadcast_id::text AS broadcast_id FROM target`;

/**
 * Cancels a message that is still `queued` (waiting for its sendAt, its turn, or a quota pause's
 * end): it is never sent, and its credit use is given back. A message being sent or finished is
 * not cancellable; a cancelled one answers ok again.
 */
export async function cancelMessage(db: Database, id: string): Promise<CancelMessageResult> {
  if (!UUID.test(id)) return { ok: false, reason: 'not_found' };
  const [row] = await query<{ before: MessageStatus; app_id: string; broadcast_id: string | null }>(
    db,
    CANCEL,
    [id, 'cancelled on request (POST /v1/messages/:id/cancel)'],
  );
  if (!row) return { ok: false, reason: 'not_found' };
  const cancelled = { ok: true, appId: row.app_id, broadcastId: row.broadcast_id } as const;
  if (row.before === 'queued') return { ...cancelled, changed: true };
  if (row.before === 'cancelled') return { ...cancelled, changed: false };
  return { ok: false, reason: 'not_cancellable', status: row.before };
}
