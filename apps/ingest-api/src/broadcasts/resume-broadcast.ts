import { type Database, type ResumeBroadcastResult, resumeBroadcast } from '@minapush/db';
import type { Logger } from '@minapush/logger';
import {
  enqueueBroadcastFanOut,
  ensureJob,
  type Redis,
  type RedisKeys,
  requeueBroadcastBatches,
} from '@minapush/queues';
import type { Queue } from 'bullmq';

export interface ResumeBroadcastDeps {
  db: Database;
  /** a producer connection */
  redis: Redis;
  keys: RedisKeys;
  /** BullMQ prefix of the deployment */
  prefix: string;
  fanOutQueue: Queue;
  logger: Logger;
}

/** Redis is down: nothing was changed, the broadcast is still paused. */
export class ResumeUnavailableError extends Error {
  override readonly name = 'ResumeUnavailableError';
  readonly code = 'queue_unavailable';
}

/**
 * POST /v1/broadcasts/:id/resume: a paused broadcast (its template failed on consecutive sends,
 * see broadcast-watch.ts in the dispatcher) runs again. Its status goes back to `running`, the
 * count of consecutive template failures that paused it starts again from zero, and each of its
 * batches with queued messages gets a live job (a batch stopped by the pause finished its job),
 * as does its fan-out when the pause cut it short. Each user still gets at most one message: a
 * batch job only takes messages still queued, under a lease.
 *
 * A quota pause (45009/45011) is not this: it pauses the app, not a broadcast, which stays
 * `running` and goes on by itself when WeChat's window ends (resuming earlier would only meet
 * the quota again).
 *
 * Once the status is written, a job that cannot be added is not an error: the dispatcher's
 * reconciler gives a running broadcast's queued batches their jobs within its grace period.
 */
export async function resumeBroadcastSending(
  deps: ResumeBroadcastDeps,
  broadcastId: string,
): Promise<ResumeBroadcastResult> {
  if (deps.redis.status !== 'ready') {
    throw new ResumeUnavailableError(`the Redis connection is ${deps.redis.status}`);
  }
  const result = await resumeBroadcast(deps.db, broadcastId);
  if (!result.ok) return result;
  try {
    await deps.redis.del(deps.keys.broadcastTemplateFailures(broadcastId));
    // The fan-out job the pause cut short finished, and the queue keeps finished jobs for a while
    // (an add with its id would be ignored): it is replaced.
    if (!result.fannedOut) {
      await ensureJob(deps.fanOutQueue, broadcastId, () =>
        enqueueBroadcastFanOut(deps.fanOutQueue, broadcastId),
      );
    }
    const added = await requeueBroadcastBatches(
      { redis: deps.redis, prefix: deps.prefix },
      { appId: result.appId, broadcastId, batchIds: result.queuedBatchIds },
    );
    deps.logger.info(
      { broadcastId, batches: result.queuedBatchIds.length, jobsAdded: added, fanOut: !result.fannedOut },
      'broadcast resumed',
    );
  } catch (error) {
    deps.logger.warn(
      { err: error, broadcastId },
      'broadcast resumed, but its jobs were not all queued: the reconciler queues them',
    );
  }
  return result;
}
