import type { Database } from '../create-database.js';
import type { BroadcastStatus, CreditState, MessageKind, MessageStatus } from '../generated/prisma/client.js';

// The send path runs these statements for every message, so they are single raw statements:
// one round trip each, and none of the query compiler's work (several times the CPU of raw SQL).

/** A message taken for sending, with the credit it holds from an earlier run, if any. */
export interface LeasedMessage {
  id: string;
  appId: string;
  openid: string;
  kind: MessageKind;
  templateId: string;
  /** WeChat's wire shape: {"thing1":{"value":"…"}} */
  data: Record<string, { value: string }>;
  page: string | null;
  emphasisKeyword: string | null;
  miniprogramState: string | null;
  lang: string | null;
  credit: { id: bigint; formId: string | null; state: CreditState } | null;
  /** the broadcast the message belongs to, and that broadcast's status when the lease was taken */
  broadcastId: string | null;
  broadcastStatus: BroadcastStatus | null;
}

interface LeasedRow {
  id: string;
  app_id: string;
  openid: string;
  kind: MessageKind;
  template_id: string;
  data: Record<string, { value: string }>;
  page: string | null;
  emphasis_keyword: string | null;
  miniprogram_state: string | null;
  lang: string | null;
  credit_id: bigint | null;
  credit_form_id: string | null;
  credit_state: CreditState | null;
  broadcast_id: string | null;
  broadcast_status: BroadcastStatus | null;
}

/**
 * Takes a message for sending: only a queued message, or one whose sender's lease ran out (it
 * crashed or stalled), and only one worker at a time. The message row, not the job, decides.
 */
export async function takeMessageLease(
  db: Database,
  lease: { messageId: string; owner: string; leaseMs: number; now: Date },
): Promise<LeasedMessage | undefined> {
  const until = new Date(lease.now.getTime() + lease.leaseMs);
  const rows = await db.$queryRaw<LeasedRow[]>`
    WITH taken AS (
      UPDATE messages
      SET status = 'sending', lease_owner = ${lease.owner}::uuid, lease_until = ${until}, updated_at = now()
      WHERE id = ${lease.messageId}::uuid AND status IN ('queued', 'sending')
        AND (lease_until IS NULL OR lease_until < ${lease.now})
      RETURNING id, app_id, openid, kind, template_id, data, page, emphasis_keyword, miniprogram_state, lang, credit_id, broadcast_id
    )
    SELECT taken.id::text AS id, taken.app_id, taken.openid, taken.kind, taken.template_id, taken.data, taken.page,
      taken.emphasis_keyword, taken.miniprogram_state, taken.lang, taken.credit_id,
      c.form_id AS credit_form_id, c.state AS credit_state,
      taken.broadcast_id::text AS broadcast_id, b.status AS broadcast_status
    FROM taken LEFT JOIN send_credits c ON c.id = taken.credit_id
      LEFT JOIN broadcasts b ON b.id = taken.broadcast_id`;
  const [row] = rows;
  if (!row) return undefined;
  return {
    id: row.id,
    appId: row.app_id,
    openid: row.openid,
    kind: row.kind,
    templateId: row.template_id,
    data: row.data,
    page: row.page,
    emphasisKeyword: row.emphasis_keyword,
    miniprogramState: row.miniprogram_state,
    lang: row.lang,
    credit:
      row.credit_id === null || row.credit_state === null
        ? null
        : { id: row.credit_id, formId: row.credit_form_id, state: row.credit_state },
    broadcastId: row.broadcast_id,
    broadcastStatus: row.broadcast_status,
  };
}

/** Gives a message back to the queue, to be retried later; the credit it holds stays with it. */
export async function releaseMessageLease(
  db: Database,
  release: { messageId: string; owner: string; errcode?: number | null; errmsg?: string | null },
): Promise<void> {
  if (release.errcode === undefined && release.errmsg === undefined) {
    await db.$executeRaw`
      UPDATE messages SET status = 'queued', lease_owner = NULL, lease_until = NULL, updated_at = now()
      WHERE id = ${release.messageId}::uuid AND lease_owner = ${release.owner}::uuid`;
    return;
  }
  await db.$executeRaw`
    UPDATE messages SET status = 'queued', lease_owner = NULL, lease_until = NULL, updated_at = now(),
      errcode = ${release.errcode ?? null}::int, errmsg = ${release.errmsg?.slice(0, 1024) ?? null}::varchar
    WHERE id = ${release.messageId}::uuid AND lease_owner = ${release.owner}::uuid`;
}

export type FinalMessageStatus = Extract<
  MessageStatus,
  'sent' | 'failed' | 'skipped' | 'unknown' | 'cancelled'
>;

/** Records a message's final status; only the lease owner may, so a late worker changes nothing. */
export async function finishMessage(
  db: Database,
  finish: {
    messageId: string;
    owner: string;
    status: FinalMessageStatus;
    errcode?: number | null;
    errmsg?: string | null;
    sentAt?: Date;
  },
): Promise<boolean> {
  const changed = await db.$executeRaw`
    UPDATE messages
    SET status = ${finish.status}::message_status, lease_owner = NULL, lease_until = NULL, updated_at = now(),
      errcode = ${finish.errcode ?? null}::int, errmsg = ${finish.errmsg?.slice(0, 1024) ?? null}::varchar,
      sent_at = COALESCE(${finish.sentAt ?? null}::timestamptz, sent_at)
    WHERE id = ${finish.messageId}::uuid AND lease_owner = ${finish.owner}::uuid AND status = 'sending'`;
  return changed === 1;
}

/**
 * Messages that need a job again: queued ones nobody picked up for a while (their enqueue was
 * lost) and sending ones whose lease ran out (their worker died).
 */
export async function findStrandedMessages(
  db: Database,
  query: { appIds: readonly string[]; queuedBefore: Date; now: Date; limit: number },
): Promise<Array<{ id: string; appId: string }>> {
  return db.message.findMany({
    where: {
      appId: { in: [...query.appIds] },
      OR: [
        { status: 'queued', updatedAt: { lt: query.queuedBefore } },
        { status: 'sending', leaseUntil: { lt: query.now } },
      ],
    },
    select: { id: true, appId: true },
    orderBy: { createdAt: 'asc' },
    take: query.limit,
  });
}
