import {
  type Database,
  finishPushEvent,
  killRefusedTemplateCredits,
  lockPushEvent,
  lockUserLedger,
  pairPopupAccept,
  recordDeliveryReports,
  recordUser,
} from '@minapush/db';
import { pushEventSchema } from '@minapush/wechat/push';

/**
 * How many times a sent event whose msgid no message has yet is tried (the send's completion may
 * be written after WeChat's event arrives) before it is given up and counted.
 */
export const MAX_DELIVERY_REPORT_ATTEMPTS = 5;

export type AppliedPushEvent =
  /** nothing to do: applied before, or no such event */
  | { outcome: 'already_applied' | 'not_found' }
  | { outcome: 'popup'; credited: number; paired: number }
  | { outcome: 'change'; killed: number }
  | {
      outcome: 'sent';
      appId: string;
      /** the errcodes of the deliveries WeChat reports as failed */
      failedErrcodes: number[];
      /** msgIds still unknown; `retry` when the event should be tried again */
      unmatched: string[];
      retry: boolean;
    };

/** A stored payload that no longer reads as an event (it was validated when stored). */
export class UnreadablePushEventError extends Error {
  override readonly name = 'UnreadablePushEventError';
  readonly code = 'unreadable_push_event';
}

/**
 * Applies one stored push event to the ledger (docs/push-events.md), in one transaction that also
 * sets its processed_at: applying the same event twice changes the ledger once. Its row lock and
 * the user's ledger lock keep a concurrent delivery of the same job, and the client's report of the
 * same tap, from interleaving with it.
 */
export async function applyPushEvent(db: Database, eventId: bigint): Promise<AppliedPushEvent> {
  return db.$transaction(async (tx): Promise<AppliedPushEvent> => {
    const stored = await lockPushEvent(tx, eventId);
    if (!stored) return { outcome: 'not_found' };
    if (stored.processedAt !== null) return { outcome: 'already_applied' };
    const parsed = pushEventSchema.safeParse(stored.payload);
    if (!parsed.success || parsed.data.type === 'unknown') {
      throw new UnreadablePushEventError(`push event ${eventId} has a payload that is not a subscribe event`);
    }
    const event = parsed.data;
    const eventTime = stored.eventTime;
    const user = { appId: stored.appId, openid: stored.openid };

    if (event.type === 'sent') {
      const reports = event.items.map((item) => ({
        msgId: item.msgId,
        errorCode: item.errorCode,
        errorStatus: item.errorStatus,
      }));
      const { unmatched } = await recordDeliveryReports(tx, stored.appId, eventTime, reports);
      const retry = unmatched.length > 0 && stored.attempts + 1 < MAX_DELIVERY_REPORT_ATTEMPTS;
      await finishPushEvent(tx, stored.id, { processed: !retry });
      return {
        outcome: 'sent',
        appId: stored.appId,
        // counted once, on the attempt that finishes the event
        failedErrcodes: retry
          ? []
          : event.items.filter((item) => item.errorCode !== 0).map((item) => item.errorCode),
        unmatched,
        retry,
      };
    }

    if (event.type === 'popup') {
      // A user whose credits come from events alone is still one of the app's users (broadcasts to
      // `all` read them from app_users). Recorded before the ledger lock, in the order
      // storeCreditBatch takes the two, so the two paths cannot deadlock.
      await recordUser(tx, { ...user, seenAt: eventTime });
    }
    await lockUserLedger(tx, user.appId, user.openid);
    if (event.type === 'popup') {
      let credited = 0;
      let paired = 0;
      // Only `accept` gives a credit; reject, ban and filter leave the ledger as it is.
      for (const item of event.items.filter((candidate) => candidate.status === 'accept')) {
        const outcome = await pairPopupAccept(tx, {
          ...user,
          eventId: stored.id,
          templateId: item.templateId,
          eventTime,
        });
        if (outcome === 'inserted') credited += 1;
        if (outcome === 'paired') paired += 1;
      }
      await finishPushEvent(tx, stored.id, { processed: true });
      return { outcome: 'popup', credited, paired };
    }

    let killed = 0;
    for (const item of event.items.filter(
      (candidate) => candidate.status === 'reject' || candidate.status === 'ban',
    )) {
      killed += await killRefusedTemplateCredits(tx, {
        ...user,
        templateId: item.templateId,
        refusedAt: eventTime,
      });
    }
    await finishPushEvent(tx, stored.id, { processed: true });
    return { outcome: 'change', killed };
  });
}
