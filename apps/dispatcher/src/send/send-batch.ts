import { type QuietHours, quietHoursSchema } from '@minapush/config';
import {
  completeBroadcastIfDone,
  findBroadcastQuietHours,
  leaseMessages,
  markBroadcastWaiting,
} from '@minapush/db';
import type { Logger } from '@minapush/logger';
import type { Redis, RedisKeys, SendBatchPayload } from '@minapush/queues';
import { watchBroadcast } from '../broadcasts/broadcast-watch.js';
import { msUntilQuietHours, quietHoursWaitMs } from './quiet-hours.js';
import { type RunResult, type SendResources, sendLeased } from './send-run.js';

export interface BatchResources extends SendResources {
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  /** WeChat calls in flight per batch */
  batchSendConcurrency: number;
}

/** What the quiet hours of a batch's broadcast mean for it now. */
type QuietHoursNow =
  | { type: 'none' }
  /** inside them: the batch waits until `untilMs` (the dispatcher's clock) */
  | { type: 'wait'; untilMs: number }
  /** outside them: the batch may send, and stops if they begin at `fromMs` */
  | { type: 'send'; window: QuietHours; fromMs: number };

/**
 * The broadcast's quiet hours, read before anything is leased, so that a batch held by them holds
 * no lease and no credit while it waits; the broadcast shows the wait (`waitingUntil`) until a
 * batch of it sends again.
 */
async function quietHoursNow(r: BatchResources, broadcastId: string): Promise<QuietHoursNow> {
  const state = await findBroadcastQuietHours(r.db, broadcastId);
  // a paused or cancelled broadcast's batch goes on to its lease, which gives its messages back
  if (!state?.quietHours || state.status !== 'running') return { type: 'none' };
  const parsed = quietHoursSchema.safeParse(state.quietHours);
  if (!parsed.success) {
    // stored after the same check at creation: only a hand-edited row gets here
    r.logger.error({ broadcastId, issues: parsed.error.issues }, 'broadcast quiet hours unreadable; ignored');
    return { type: 'none' };
  }
  const window = parsed.data;
  const now = r.now();
  const wait = quietHoursWaitMs(now, window);
  if (wait > 0) {
    const untilMs = now + wait;
    await markBroadcastWaiting(r.db, broadcastId, new Date(untilMs));
    return { type: 'wait', untilMs };
  }
  if (state.waitingUntil) await markBroadcastWaiting(r.db, broadcastId, null);
  return { type: 'send', window, fromMs: now + msUntilQuietHours(now, window) };
}

/**
 * The bulk lane's use case: sends one batch of a broadcast. Inside the broadcast's quiet hours it
 * takes nothing and answers until when the job waits. Otherwise one statement leases the whole
 * batch, reads its history and claims a credit for each user; attempts are recorded in bulk ahead
 * of the calls; outcomes are written back in bulk; if the quiet hours begin meanwhile, what is
 * not sent yet is given back with its unused credits and the job waits for their end. Then the
 * broadcast completes if that was its last work.
 */
export async function sendBatch(
  r: BatchResources,
  batch: SendBatchPayload,
  options: {
    lastAttempt: boolean;
    signal?: AbortSignal;
    onProgress?: (settled: number, of: number) => Promise<void> | void;
  },
): Promise<RunResult | undefined> {
  const quiet = await quietHoursNow(r, batch.broadcastId);
  if (quiet.type === 'wait') return { finished: [], retryLater: 0, lost: 0, heldUntilMs: quiet.untilMs };
  const lease = await leaseMessages(
    r.db,
    { batchId: batch.batchId },
    {
      owner: r.settings.owner,
      leaseMs: r.settings.leaseMs,
      creditValidFrom: new Date(r.now() + r.settings.creditExpiryMarginMs),
    },
  );
  if (lease.messages.length === 0) return undefined;
  const control = await watchBroadcast(
    r,
    batch.broadcastId,
    quiet.type === 'send' ? quiet.fromMs : undefined,
  );
  const result = await sendLeased(r, lease, {
    lane: 'bulk',
    lastAttempt: options.lastAttempt,
    concurrency: r.batchSendConcurrency,
    control,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  if (result.stopped === 'quiet_hours' && quiet.type === 'send') {
    const now = r.now();
    result.heldUntilMs = now + quietHoursWaitMs(now, quiet.window);
    await markBroadcastWaiting(r.db, batch.broadcastId, new Date(result.heldUntilMs));
  }
  try {
    await completeBroadcastIfDone(r.db, batch.broadcastId);
  } catch (error) {
    // the batch itself is settled; the reconciler completes the broadcast on its next run
    r.logger.warn({ err: error, broadcastId: batch.broadcastId }, 'broadcast completion not recorded');
  }
  return result;
}
