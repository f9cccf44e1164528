import type { Redis, RedisKeys } from '@minapush/queues';
import { chinaDay } from './china-day.js';

export interface BudgetPolicy {
  /** WeChat's daily fetch limit for the app's token mode */
  dailyLimit: number;
  /** share of the limit that automatic (scheduled) fetches may use; the rest is kept for passive refreshes */
  automaticShare: number;
}

export type FetchKind = 'automatic' | 'passive';

/** Counts token fetches per app and China day, and says whether another one is allowed. */
export function createFetchBudget(redis: Redis, keys: RedisKeys) {
  const key = (appId: string, nowMs: number) => keys.tokenFetches(appId, chinaDay(nowMs));
  return {
    async used(appId: string, nowMs: number): Promise<number> {
      return Number((await redis.get(key(appId, nowMs))) ?? 0);
    },
    allows(used: number, kind: FetchKind, policy: BudgetPolicy): boolean {
      const ceiling =
        kind === 'automatic' ? Math.floor(policy.dailyLimit * policy.automaticShare) : policy.dailyLimit;
      return used < ceiling;
    },
    async count(appId: string, nowMs: number): Promise<number> {
      const counter = key(appId, nowMs);
      const [[, used] = []] =
        (await redis
          .multi()
          .incr(counter)
          .expire(counter, 2 * 86_400)
          .exec()) ?? [];
      return Number(used ?? 0);
    },
  };
}

export type FetchBudget = ReturnType<typeof createFetchBudget>;
