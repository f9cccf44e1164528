import type { Database } from '../create-database.js';
import type { AttemptOutcome } from '../generated/prisma/client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One call to WeChat for a message, as GET /v1/messages/:id shows it in `attemptHistory`.
 * `JSON.stringify` writes `at` as ISO-8601.
 */
export interface MessageAttemptView {
  /** when the call was recorded, just before it left */
  at: Date;
  /**
   * sent; rejected (WeChat answered an errcode: a wrong request, a dead credit, a stale token, a
   * quota; `errcode` says which, and whether the message went on); transient (WeChat unavailable,
   * e.g. -1: tried again later); unknown (no reply came back, or the call is in flight)
   */
  outcome: AttemptOutcome;
  errcode?: number;
  errmsg?: string;
}

/** Every attempt of the message, oldest first (the index on message_id). */
export async function findMessageAttempts(db: Database, messageId: string): Promise<MessageAttemptView[]> {
  if (!UUID.test(messageId)) return [];
  const rows = await db.messageAttempt.findMany({
    where: { messageId },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: { createdAt: true, outcome: true, errcode: true, errmsg: true },
  });
  return rows.map((row) => ({
    at: row.createdAt,
    outcome: row.outcome,
    ...(row.errcode === null ? {} : { errcode: row.errcode }),
    ...(row.errmsg === null ? {} : { errmsg: row.errmsg }),
  }));
}
