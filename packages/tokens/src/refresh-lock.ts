import { randomUUID } from 'node:crypto';
import type { Redis, RedisKeys } from '@minapush/queues';

// Deletes the lock only if this holder still owns it: a holder whose lease ran out must not
// release the lock that another process took after it.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** A per-app Redis lock with a lease, so a crashed holder never blocks refreshes for long. */
export function createRefreshLock(redis: Redis, keys: RedisKeys, leaseMs: number) {
  const key = keys.tokenLock;
  return {
    /** the owner id when taken, undefined when someone else holds it */
    async tryAcquire(appId: string): Promise<string | undefined> {
      const owner = randomUUID();
      const taken = await redis.set(key(appId), owner, 'PX', leaseMs, 'NX');
      return taken === 'OK' ? owner : undefined;
    },
    async release(appId: string, owner: string): Promise<void> {
      await redis.eval(RELEASE, 1, key(appId), owner);
    },
    async isHeld(appId: string): Promise<boolean> {
      return (await redis.exists(key(appId))) === 1;
    },
  };
}

export type RefreshLock = ReturnType<typeof createRefreshLock>;
