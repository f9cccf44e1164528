import type { Database } from '../create-database.js';
import type { AttemptOutcome } from '../generated/prisma/client.js';

/**
 * Written before the request leaves, as `unknown`: if the process dies mid-call, the record says
 * the request may have gone out with this credit.
 */
export async function recordAttemptStart(
  db: Database,
  attempt: { messageId: string; creditId: bigint | null },
): Promise<bigint> {
  const [row] = await db.$queryRaw<Array<{ id: bigint }>>`
    INSERT INTO message_attempts (message_id, credit_id, outcome)
    VALUES (${attempt.messageId}::uuid, ${attempt.creditId}::bigint, 'unknown')
    RETURNING id`;
  if (!row) throw new Error('recording the attempt returned no id');
  return row.id;
}

/** The outcome of an attempt; every attempt that reached WeChat counts in `messages.attempts`. */
export async function recordAttemptOutcome(
  db: Database,
  outcome: {
    attemptId: bigint;
    messageId: string;
    outcome: AttemptOutcome;
    errcode?: number | undefined;
    errmsg?: string | undefined;
    /** false for answers that are not a failed attempt (quota pauses) */
    counts?: boolean;
    /** WeChat's msgid of a sent message, kept with the message at once */
    msgid?: string | undefined;
    /** when a sent message went out */
    sentAt?: Date;
  },
): Promise<void> {
  const errcode = outcome.errcode ?? null;
  const errmsg = outcome.errmsg?.slice(0, 1024) ?? null;
  const sent = outcome.outcome === 'sent';
  await db.$executeRaw`
    WITH attempt AS (
      UPDATE message_attempts
      SET outcome = ${outcome.outcome}::attempt_outcome, errcode = ${errcode}::int, errmsg = ${errmsg}::varchar
      WHERE id = ${outcome.attemptId}::bigint
    )
    UPDATE messages
    SET attempts = attempts + ${outcome.counts === false ? 0 : 1}::int,
      errcode = ${errcode}::int, errmsg = ${errmsg}::varchar,
      msgid = CASE WHEN ${sent}::boolean THEN ${outcome.msgid ?? null}::varchar ELSE msgid END,
      sent_at = CASE WHEN ${sent}::boolean THEN ${outcome.sentAt ?? new Date()}::timestamptz ELSE sent_at END,
      updated_at = now()
    WHERE id = ${outcome.messageId}::uuid`;
}

/** Every call this message made so far, oldest first: what a worker taking it over must know. */
export async function listAttempts(
  db: Database,
  messageId: string,
): Promise<Array<{ creditId: bigint | null; outcome: AttemptOutcome }>> {
  return db.$queryRaw<Array<{ creditId: bigint | null; outcome: AttemptOutcome }>>`
    SELECT credit_id AS "creditId", outcome FROM message_attempts
    WHERE message_id = ${messageId}::uuid ORDER BY id`;
}
