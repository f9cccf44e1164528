import { type Redis, redisKeys } from '@minapush/queues';
import { CREDIT_LIFETIME_MS } from './form-id-intake.js';

/**
 * Remembers, for the 7 days a formId can live, which formIds were already accepted, so a repeat
 * is answered `duplicate` at once. It is only a fast answer: Postgres' unique (app, formId)
 * is what guarantees one credit per formId, also for repeats this set did not see.
 */
export function createSeenFormIds(redis: Redis, keyPrefix: string) {
  const key = redisKeys(keyPrefix).seenFormId;

  return {
    /** which of these formIds were accepted before */
    async findSeen(appId: string, formIds: readonly string[]): Promise<Set<string>> {
      if (formIds.length === 0) return new Set();
      const values = await redis.mget(...formIds.map((formId) => key(appId, formId)));
      return new Set(formIds.filter((_, index) => values[index] !== null));
    },
    async markSeen(appId: string, formIds: readonly string[]): Promise<void> {
      if (formIds.length === 0) return;
      const pipeline = redis.pipeline();
      for (const formId of formIds) pipeline.set(key(appId, formId), '1', 'PX', CREDIT_LIFETIME_MS);
      await pipeline.exec();
    },
  };
}

export type SeenFormIds = ReturnType<typeof createSeenFormIds>;
