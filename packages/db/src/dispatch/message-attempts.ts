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
      },
    }),
  ]);
}

/** Whether this message already called WeChat with this credit and never learnt the outcome. */
export async function hadUnknownAttempt(
  db: Database,
  query: { messageId: string; creditId?: bigint | null },
): Promise<boolean> {
  const found = await db.messageAttempt.findFirst({
    where: {
      messageId: query.messageId,
      outcome: 'unknown',
      ...(query.creditId === undefined ? {} : { creditId: query.creditId }),
    },
    select: { id: true },
  });
  return found !== null;
}
