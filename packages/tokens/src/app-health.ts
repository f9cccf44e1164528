import type { Redis, RedisKeys } from '@minapush/queues';

export type AppTokenHealth =
  | { healthy: true }
  | {
      healthy: false;
      reason: 'misconfigured';
      errcode: number | undefined;
      code: string;
      since: number;
      retryAt: number;
    };

/**
 * Whether an app's credentials work, shared by every process through Redis. A misconfigured app
 * (bad secret, IP not whitelisted…) is not retried until `retryAt`, so it cannot storm WeChat.
 */
export function createAppHealth(redis: Redis, keys: RedisKeys) {
  const key = keys.tokenHealth;
  return {
    async read(appId: string): Promise<AppTokenHealth> {
      const raw = await redis.get(key(appId));
      return raw ? (JSON.parse(raw) as AppTokenHealth) : { healthy: true };
    },
    async markMisconfigured(
      appId: string,
      health: Extract<AppTokenHealth, { healthy: false }>,
    ): Promise<void> {
      await redis.set(key(appId), JSON.stringify(health), 'PX', 7 * 86_400_000);
    },
    async markHealthy(appId: string): Promise<void> {
      await redis.del(key(appId));
    },
  };
}

export type AppHealth = ReturnType<typeof createAppHealth>;
