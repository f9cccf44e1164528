import { completeBroadcastIfDone, leaseMessages } from '@minapush/db';
import type { Logger } from '@minapush/logger';
import type { Redis, RedisKeys, SendBatchPayload } from '@minapush/queues';
import { watchBroadcast } from '../broadcasts/broadcast-watch.js';
import { type RunResult, type SendResources, sendLeased } from './send-run.js';

export interface BatchResources extends SendResources {
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  /** WeChat calls in flight per batch */
  batchSendConcurrency: number;
}

/**
 * The bulk lane's use case: sends one batch of a broadcast. One statement leases the whole batch,
 * reads its history and claims a credit for each user; attempts are recorded in bulk ahead of the
 * calls; outcomes are written back in bulk. Then the broadcast completes if that was its last work.
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
  const control = await watchBroadcast(r, batch.broadcastId);
  const result = await sendLeased(r, lease, {
    lane: 'bulk',
    lastAttempt: options.lastAttempt,
    concurrency: r.batchSendConcurrency,
    control,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  try {
    await completeBroadcastIfDone(r.db, batch.broadcastId);
  } catch (error) {
    // the batch itself is settled; the reconciler completes the broadcast on its next run
    r.logger.warn({ err: error, broadcastId: batch.broadcastId }, 'broadcast completion not recorded');
  }
  return result;
}
