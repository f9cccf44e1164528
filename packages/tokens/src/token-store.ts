import type { Redis, RedisKeys } from '@minapush/queues';

export interface CentralToken {
  accessToken: string;
  /** epoch ms */
  expiresAt: number;
  /** epoch ms */
  fetchedAt: number;
  mode: 'stable' | 'classic';
}

/** The current token of each app, in Redis, expiring with the token itself. */
export function createTokenStore(redis: Redis, keys: RedisKeys) {
  const key = keys.token;
  return {
    async read(appId: string): Promise<CentralToken | undefined> {
      const raw = await redis.get(key(appId));
      return raw ? (JSON.parse(raw) as CentralToken) : undefined;
    },
    async write(appId: string, token: CentralToken, nowMs: number): Promise<void> {
      const ttl = Math.max(1, token.expiresAt - nowMs);
      await redis.set(key(appId), JSON.stringify(token), 'PX', ttl);
    },
  };
}

export type TokenStore = ReturnType<typeof createTokenStore>;
