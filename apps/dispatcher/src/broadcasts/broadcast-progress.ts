import {
  completeBroadcastIfDone,
  type Database,
  type FinalMessageStatus,
  pauseBroadcast,
} from '@minapush/db';
import type { Logger } from '@minapush/logger';
import type { Redis } from '@minapush/queues';
import { TEMPLATE_LEVEL_ERRCODES, WECHAT_ERRCODES } from '@minapush/wechat';

/** Consecutive template-level failures of one broadcast that pause it. */
export const TEMPLATE_FAILURES_TO_PAUSE = 3;
const COUNTER_TTL_SECONDS = 7 * 86_400;

export interface BroadcastProgressOptions {
  db: Database;
  redis: Redis;
  /** namespaces the failure counters */
  prefix: string;
  logger: Logger;
}

/**
 * What the send worker does after a broadcast's message finished: counts template-level failures
 * in a row (a Redis counter per broadcast, reset by any delivery) and pauses the broadcast at
 * `TEMPLATE_FAILURES_TO_PAUSE`, so a wrong template does not fail every user; then completes the
 * broadcast when nothing of it is pending.
 */
export function createBroadcastProgress(options: BroadcastProgressOptions) {
  const counterKey = (broadcastId: string) => `${options.prefix}:broadcast-template-failures:${broadcastId}`;
  return {
    async messageFinished(broadcastId: string, status: FinalMessageStatus, errcode?: number): Promise<void> {
      const log = options.logger.child({ broadcastId });
      try {
        if (status === 'sent') {
          await options.redis.del(counterKey(broadcastId));
        } else if (status === 'failed' && errcode !== undefined && TEMPLATE_LEVEL_ERRCODES.has(errcode)) {
          const key = counterKey(broadcastId);
          const failures = await options.redis.incr(key);
          await options.redis.expire(key, COUNTER_TTL_SECONDS);
          if (failures >= TEMPLATE_FAILURES_TO_PAUSE) {
            const reason = `template error ${errcode} on ${failures} consecutive sends: ${WECHAT_ERRCODES[errcode]?.meaning ?? 'the request is wrong'}`;
            if (await pauseBroadcast(options.db, broadcastId, reason))
              log.error({ errcode }, `broadcast paused: ${reason}`);
            return;
          }
        }
        await completeBroadcastIfDone(options.db, broadcastId);
      } catch (error) {
        // the message itself is finished; a completion missed here is made by a later message of the
        // broadcast, or (for its last one) stays `running` with nothing pending (README, How a broadcast is sent)
        log.warn({ err: error }, 'broadcast progress not recorded');
      }
    },
  };
}

export type BroadcastProgress = ReturnType<typeof createBroadcastProgress>;
