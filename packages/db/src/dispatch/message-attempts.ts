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
  const row = await db.messageAttempt.create({
    data: { messageId: attempt.messageId, creditId: attempt.creditId, outcome: 'unknown' },
    select: { id: true },
  });
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
  await db.$transaction([
    db.messageAttempt.update({
      where: { id: outcome.attemptId },
      data: {
        outcome: outcome.outcome,
        errcode: outcome.errcode ?? null,
        errmsg: outcome.errmsg?.slice(0, 1024) ?? null,
      },
    }),
    db.message.update({
      where: { id: outcome.messageId },
      data: {
        ...(outcome.counts === false ? {} : { attempts: { increment: 1 } }),
        errcode: outcome.errcode ?? null,
        errmsg: outcome.errmsg?.slice(0, 1024) ?? null,
        ...(outcome.outcome === 'sent'
          ? { msgid: outcome.msgid ?? null, sentAt: outcome.sentAt ?? new Date() }
          : {}),
      },
    }),
  ]);
}

/** Every call this message made so far, oldest first: what a worker taking it over must know. */
export async function listAttempts(
  db: Database,
  messageId: string,
): Promise<Array<{ creditId: bigint | null; outcome: AttemptOutcome }>> {
  return db.messageAttempt.findMany({
    where: { messageId },
    select: { creditId: true, outcome: true },
    orderBy: { id: 'asc' },
  });
}
