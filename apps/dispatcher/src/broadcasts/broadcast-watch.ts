import { type Database, findBroadcast, pauseBroadcast } from '@minapush/db';
import type { Logger } from '@minapush/logger';
import type { Redis, RedisKeys } from '@minapush/queues';
import { WECHAT_ERRCODES } from '@minapush/wechat';
import type { RunControl } from '../send/send-run.js';

/** Consecutive template-level failures of one broadcast that pause it. */
export const TEMPLATE_FAILURES_TO_PAUSE = 3;
const COUNTER_TTL_SECONDS = 7 * 86_400;
/** How often a running batch reads its broadcast's status (a cancel or pause made elsewhere). */
const STATUS_POLL_MS = 500;

export interface BroadcastWatchDeps {
  db: Database;
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  now: () => number;
}

/**
 * The control a broadcast's batch runs under. It stops the batch when the broadcast is cancelled
 * or paused elsewhere (read every STATUS_POLL_MS), and counts template-level failures in a row (a
 * Redis counter per broadcast, shared by every batch and process, reset by any delivery): at
 * TEMPLATE_FAILURES_TO_PAUSE it pauses the broadcast with the reason, so that a wrong template does
 * not fail every user, and stops the batch at once. With `quietFromMs` (the dispatcher's clock) it
 * stops the batch when the broadcast's quiet hours begin.
 */
export async function watchBroadcast(
  deps: BroadcastWatchDeps,
  broadcastId: string,
  quietFromMs?: number,
): Promise<RunControl> {
  const key = deps.keys.broadcastTemplateFailures(broadcastId);
  const log = deps.logger.child({ broadcastId });
  // Only a run that saw the counter set, or set it, spends a DEL on each delivery.
  let counterMaySet = (await deps.redis.get(key)) !== null;
  let stop: ReturnType<RunControl['stopReason']>;
  let readAt = Date.now();
  let reading: Promise<void> | undefined;

  const readStatus = () => {
    reading ??= findBroadcast(deps.db, broadcastId)
      .then((broadcast) => {
        if (broadcast?.status === 'cancelled') stop ??= 'broadcast_cancelled';
        if (broadcast?.status === 'paused') stop ??= 'broadcast_paused';
      })
      .catch((error: unknown) => log.warn({ err: error }, 'broadcast status not read'))
      .finally(() => {
        readAt = Date.now();
        reading = undefined;
      });
  };

  return {
    stopReason() {
      // a clock reading per call only for a broadcast that has quiet hours
      if (!stop && quietFromMs !== undefined && deps.now() >= quietFromMs) stop = 'quiet_hours';
      if (!stop && !reading && Date.now() - readAt >= STATUS_POLL_MS) readStatus();
      return stop;
    },
    async recordFinish(decision) {
      if (decision.status === 'sent') {
        if (counterMaySet) {
          counterMaySet = false;
          await deps.redis.del(key);
        }
        return;
      }
      if (decision.status !== 'failed' || !decision.templateFailure) return;
      counterMaySet = true;
      const failures = await deps.redis.incr(key);
      await deps.redis.expire(key, COUNTER_TTL_SECONDS);
      if (failures < TEMPLATE_FAILURES_TO_PAUSE) return;
      stop ??= 'broadcast_paused';
      const meaning = decision.errcode === undefined ? undefined : WECHAT_ERRCODES[decision.errcode]?.meaning;
      const reason = `template error ${decision.errcode} on ${failures} consecutive sends: ${meaning ?? 'the request is wrong'}`;
      if (await pauseBroadcast(deps.db, broadcastId, reason)) {
        log.error({ errcode: decision.errcode }, `broadcast paused: ${reason}`);
      }
    },
  };
}
