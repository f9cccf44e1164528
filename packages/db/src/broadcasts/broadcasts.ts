import type { Database } from '../create-database.js';
import type { Broadcast, BroadcastStatus, MessageKind } from '../generated/prisma/client.js';
import { insertUnlessKeyTaken } from '../insert-unless-key-taken.js';
import { countBroadcastMessages } from './count-broadcast-messages.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A daily window of wall-clock time in `timezone` (an IANA name) in which a broadcast sends
 * nothing: from `start` (HH:MM) until before `end`, across midnight when `end` comes first.
 */
export interface BroadcastQuietHours {
  start: string;
  end: string;
  timezone: string;
}

/** Who a broadcast goes to: every recorded user of the app, or a list of openids. */
export type BroadcastAudience = { type: 'all' } | { type: 'openids'; openids: string[] };

export interface BroadcastToCreate {
  appId: string;
  kind: MessageKind;
  templateId: string;
  /** WeChat's wire shape, `{"thing1":{"value":"…"}}` */
  data: Record<string, { value: string }>;
  page?: string | undefined;
  audience: BroadcastAudience;
  sendAt?: Date | undefined;
  /** the broadcast's own quiet hours, or its app's; absent: it sends at any hour */
  quietHours?: BroadcastQuietHours | undefined;
  /** unique per app: a second create with the same key returns the first broadcast */
  idempotencyKey?: string | undefined;
  /** sha256 hex of the normalised request, to tell a replay from a conflicting reuse of the key */
  requestHash?: string | undefined;
}

/** What the caller of createBroadcast needs of the stored broadcast. */
export interface StoredBroadcast {
  id: string;
  status: BroadcastStatus;
  sendAt: Date | null;
  requestHash: string | null;
}

export type CreatedBroadcast = { created: boolean; broadcast: StoredBroadcast };

interface StoredBroadcastRow {
  id: string;
  status: BroadcastStatus;
  send_at: Date | null;
  request_hash: string | null;
}

// Raw SQL: Prisma's create cannot say ON CONFLICT … DO NOTHING against a partial unique index.
const INSERT = `
  INSERT INTO broadcasts (id, app_id, kind, template_id, data, page, audience, send_at,
    idempotency_key, request_hash, quiet_hours)
  VALUES (minapush_uuid_v7(), $1, $2::message_kind, $3, $4::jsonb, $5, $6::jsonb, $7::timestamptz, $8, $9,
    $10::jsonb)
  ON CONFLICT (app_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id::text AS id, status, send_at, request_hash`;
const FIND_BY_KEY = `
  SELECT id::text AS id, status, send_at, request_hash FROM broadcasts
  WHERE app_id = $1 AND idempotency_key = $2 AND idempotency_key IS NOT NULL`;

/**
 * Stores a broadcast as `scheduled`; its fan-out job creates its messages. With an idempotency
 * key it is idempotent, as `createMessage` is: when the app already has a broadcast under that
 * key, nothing is written and that broadcast is returned as it is now (`created: false`), for the
 * caller to compare its `requestHash`; concurrent creates with one key store one row.
 */
export async function createBroadcast(db: Database, input: BroadcastToCreate): Promise<CreatedBroadcast> {
  const values = [
    input.appId,
    input.kind,
    input.templateId,
    JSON.stringify(input.data),
    input.page ?? null,
    JSON.stringify(input.audience),
    input.sendAt ?? null,
    input.idempotencyKey ?? null,
    input.requestHash ?? null,
    input.quietHours === undefined ? null : JSON.stringify(input.quietHours),
  ];
  const { created, row } = await insertUnlessKeyTaken<StoredBroadcastRow>(db, {
    insert: { text: INSERT, values, name: 'minapush_create_broadcast' },
    findByKey: {
      text: FIND_BY_KEY,
      values: [input.appId, input.idempotencyKey],
      name: 'minapush_find_broadcast_by_key',
    },
    names: `a broadcast of app ${input.appId}`,
  });
  return {
    created,
    broadcast: { id: row.id, status: row.status, sendAt: row.send_at, requestHash: row.request_hash },
  };
}

/** Removes a broadcast that was never fanned out (its job could not be queued). */
export async function deleteUnstartedBroadcast(db: Database, id: string): Promise<void> {
  await db.broadcast.deleteMany({ where: { id, status: 'scheduled', startedAt: null } });
}

/** The broadcast with this id, or null; an id that is not a UUID names no broadcast. */
export async function findBroadcast(db: Database, id: string): Promise<Broadcast | null> {
  if (!UUID.test(id)) return null;
  return db.broadcast.findUnique({ where: { id } });
}

export interface BroadcastView {
  id: string;
  appId: string;
  status: BroadcastStatus;
  /** sent + failed + skipped + unknown + pending; messages cancelled with the broadcast are not counted */
  total: number;
  sent: number;
  failed: number;
  skipped: number;
  unknown: number;
  /** queued or sending */
  pending: number;
  cancelled: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  pausedReason: string | null;
  /** the quiet hours it keeps (its own, or its app's when it was created) */
  quietHours: BroadcastQuietHours | null;
  /** the end of the quiet hours its batches wait for, while they wait */
  waitingUntil: Date | null;
}

/** A broadcast and its messages counted per status (from the indexes alone). */
export async function findBroadcastView(db: Database, id: string): Promise<BroadcastView | null> {
  const broadcast = await findBroadcast(db, id);
  if (!broadcast) return null;
  return broadcastView(broadcast, await countBroadcastMessages(db, [id]));
}

/** A broadcast's view from its row and its messages counted per status. */
export function broadcastView(
  broadcast: Broadcast,
  rows: ReadonlyArray<{ status: string; count: number }>,
): BroadcastView {
  const count = (status: string) => rows.find((row) => row.status === status)?.count ?? 0;
  const view = {
    sent: count('sent'),
    failed: count('failed'),
    skipped: count('skipped'),
    unknown: count('unknown'),
    pending: count('queued') + count('sending'),
    cancelled: count('cancelled'),
  };
  return {
    id: broadcast.id,
    appId: broadcast.appId,
    status: broadcast.status,
    total: view.sent + view.failed + view.skipped + view.unknown + view.pending,
    ...view,
    createdAt: broadcast.createdAt,
    startedAt: broadcast.startedAt,
    finishedAt: broadcast.finishedAt,
    pausedReason: broadcast.pausedReason,
    quietHours: broadcast.quietHours as BroadcastQuietHours | null,
    waitingUntil: broadcast.waitingUntil,
  };
}

/** scheduled → running; a broadcast already past scheduled is left as it is. Answers its status now. */
export async function startBroadcast(db: Database, id: string): Promise<BroadcastStatus | undefined> {
  const rows = await db.$queryRaw<Array<{ status: BroadcastStatus }>>`
    UPDATE broadcasts SET status = CASE WHEN status = 'scheduled' THEN 'running'::broadcast_status ELSE status END,
      started_at = CASE WHEN status = 'scheduled' THEN now() ELSE started_at END
    WHERE id = ${id}::uuid RETURNING status`;
  return rows[0]?.status;
}

/**
 * Marks the fan-out done: from now on the broadcast completes once nothing of it is pending
 * (an audience of nobody, or of users without credits, completes at once).
 */
export async function finishBroadcastFanOut(db: Database, id: string): Promise<void> {
  await db.$executeRaw`
    UPDATE broadcasts SET fanned_out_at = now() WHERE id = ${id}::uuid AND fanned_out_at IS NULL`;
  await completeBroadcastIfDone(db, id);
}

export type CancelBroadcastResult =
  | { ok: true; status: 'cancelled' }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'finished'; status: BroadcastStatus };

/**
 * Cancels a broadcast and every message of it not yet taken by a sender; a message being sent
 * right now finishes, and the send path cancels any message it takes later. A cancelled message
 * gives back the credit use it held (claimed by an earlier run that was then paused by a quota,
 * or given back to the queue after -1) unless a call with that credit may have been delivered:
 * a call that got no reply.
 */
export async function cancelBroadcast(db: Database, id: string): Promise<CancelBroadcastResult> {
  if (!UUID.test(id)) return { ok: false, reason: 'not_found' };
  const rows = await db.$queryRaw<Array<{ status: BroadcastStatus }>>`
    WITH target AS (SELECT id, status AS before FROM broadcasts WHERE id = ${id}::uuid FOR UPDATE)
    UPDATE broadcasts b SET
      status = CASE WHEN target.before = 'completed' THEN b.status ELSE 'cancelled'::broadcast_status END,
      finished_at = CASE WHEN target.before IN ('completed', 'cancelled') THEN b.finished_at ELSE now() END
    FROM target WHERE b.id = target.id RETURNING b.status`;
  const [row] = rows;
  if (!row) return { ok: false, reason: 'not_found' };
  if (row.status !== 'cancelled') return { ok: false, reason: 'finished', status: row.status };
  // A broadcast has one message per user, so each credit is held by one of them; the uses are
  // counted per credit all the same, since Postgres updates a row once per statement.
  await db.$executeRaw`
    WITH target AS (
      SELECT m.id, m.credit_id FROM messages m
      WHERE m.broadcast_id = ${id}::uuid AND m.status = 'queued'
      FOR UPDATE OF m
    ), unused AS (
      SELECT target.id, target.credit_id FROM target
      WHERE target.credit_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM message_attempts a
        WHERE a.message_id = target.id AND a.credit_id = target.credit_id AND a.outcome IN ('unknown', 'sent'))
    ), returned AS (
      UPDATE send_credits c
      SET uses_left = c.uses_left + uses.n, state = 'available', updated_at = now()
      FROM (SELECT credit_id, count(*)::int AS n FROM unused GROUP BY credit_id) uses
      WHERE c.id = uses.credit_id AND c.state <> 'dead'
    )
    UPDATE messages m SET status = 'cancelled', updated_at = now(), errmsg = 'the broadcast was cancelled',
      credit_id = CASE WHEN m.id IN (SELECT unused.id FROM unused) THEN NULL ELSE m.credit_id END
    FROM target WHERE m.id = target.id`;
  return { ok: true, status: 'cancelled' };
}

/** Pauses a running broadcast with the reason; its senders leave its messages queued. */
export async function pauseBroadcast(db: Database, id: string, reason: string): Promise<boolean> {
  const changed = await db.$executeRaw`
    UPDATE broadcasts SET status = 'paused', paused_reason = ${reason.slice(0, 1024)}
    WHERE id = ${id}::uuid AND status IN ('scheduled', 'running')`;
  return changed === 1;
}

/**
 * running or paused → completed once the fan-out is done (see `finishBroadcastFanOut`) and no
 * message is queued or sending, whichever message finished last: also the send that paused the
 * broadcast (its pausedReason stays, saying why the last sends failed). A pause that left messages
 * queued keeps the broadcast paused. Cheap: the (broadcast_id, status) index answers "anything pending?".
 */
export async function completeBroadcastIfDone(db: Database, id: string): Promise<boolean> {
  const changed = await db.$executeRaw`
    UPDATE broadcasts SET status = 'completed', finished_at = now()
    WHERE id = ${id}::uuid AND status IN ('running', 'paused') AND fanned_out_at IS NOT NULL
      AND NOT EXISTS (
        SELECT 1 FROM messages WHERE broadcast_id = ${id}::uuid AND status IN ('queued', 'sending')
      )`;
  return changed === 1;
}
