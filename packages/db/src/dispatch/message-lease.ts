import type { Database } from '../create-database.js';
import type { Message, MessageStatus, SendCredit } from '../generated/prisma/client.js';

export type LeasedMessage = Message & { credit: SendCredit | null };

/**
 * Takes a message for sending: only a queued message, or one whose sender's lease ran out (it
 * crashed or stalled), and only one worker at a time. The message row, not the job, decides.
 */
export async function takeMessageLease(
  db: Database,
  lease: { messageId: string; owner: string; leaseMs: number; now: Date },
): Promise<LeasedMessage | undefined> {
  const taken = await db.message.updateMany({
    where: {
      id: lease.messageId,
      status: { in: ['queued', 'sending'] },
      OR: [{ leaseUntil: null }, { leaseUntil: { lt: lease.now } }],
    },
    data: {
      status: 'sending',
      leaseOwner: lease.owner,
      leaseUntil: new Date(lease.now.getTime() + lease.leaseMs),
    },
  });
  if (taken.count === 0) return undefined;
  return (
    (await db.message.findUnique({ where: { id: lease.messageId }, include: { credit: true } })) ?? undefined
  );
}

/** Gives a message back to the queue, to be retried later; the credit it holds stays with it. */
export async function releaseMessageLease(
  db: Database,
  release: { messageId: string; owner: string; errcode?: number | null; errmsg?: string | null },
): Promise<void> {
  await db.message.updateMany({
    where: { id: release.messageId, leaseOwner: release.owner },
    data: {
      status: 'queued',
      leaseOwner: null,
      leaseUntil: null,
      ...(release.errcode === undefined ? {} : { errcode: release.errcode }),
      ...(release.errmsg === undefined ? {} : { errmsg: release.errmsg?.slice(0, 1024) ?? null }),
    },
  });
}

export type FinalMessageStatus = Extract<MessageStatus, 'sent' | 'failed' | 'skipped' | 'unknown'>;

/** Records a message's final status; only the lease owner may, so a late worker changes nothing. */
export async function finishMessage(
  db: Database,
  finish: {
    messageId: string;
    owner: string;
    status: FinalMessageStatus;
    errcode?: number | null;
    errmsg?: string | null;
    msgid?: string | null;
    sentAt?: Date;
  },
): Promise<boolean> {
  const result = await db.message.updateMany({
    where: { id: finish.messageId, leaseOwner: finish.owner, status: 'sending' },
    data: {
      status: finish.status,
      leaseOwner: null,
      leaseUntil: null,
      errcode: finish.errcode ?? null,
      errmsg: finish.errmsg?.slice(0, 1024) ?? null,
      ...(finish.msgid ? { msgid: finish.msgid } : {}),
      ...(finish.sentAt ? { sentAt: finish.sentAt } : {}),
    },
  });
  return result.count === 1;
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
