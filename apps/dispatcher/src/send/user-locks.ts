import type { Redis, RedisKeys } from '@minapush/queues';

// One command for a whole block of users, and one for a whole batch of releases: a command per
// message would cost the send path more than the lock saves (every key shares the prefix's hash
// tag, so a cluster runs each script on one node).
/** Takes each free lock (KEYS) for ARGV[1], for ARGV[2] ms; answers the 1-based indexes it took. */
const TAKE_FREE = `local taken = {}
for i, key in ipairs(KEYS) do
  if redis.call('set', key, ARGV[1], 'PX', ARGV[2], 'NX') then taken[#taken + 1] = i end
end
return taken`;
/** Deletes each lock (KEYS[i]) only while it is its holder's (ARGV[i]): it may have expired and been retaken. */
const RELEASE_IF_HELD = `local released = 0
for i, key in ipairs(KEYS) do
  if redis.call('get', key) == ARGV[i] then released = released + redis.call('del', key) end
end
return released`;

export interface UserLocksOptions {
  redis: Redis;
  keys: RedisKeys;
  /**
   * how long a lock outlives a holder that never releases it (a crash): long enough for a call
   * to be made and answered, short enough that the user is not held up for long
   */
  ttlMs: number;
}

/**
 * WeChat answers 43108 to a second send to one user while the first is in flight, and several
 * runs (single messages, broadcast batches, other dispatcher processes) can hold messages for one
 * user at once. Before its calls leave, a run takes each user's lock (`SET NX PX`), a whole block
 * of users in one command; a user whose lock is held elsewhere is not called now. Each lock is
 * released as soon as its call is answered (the releases of a moment in one command). The locks
 * only order the calls: the lease and its fencing token, not these, keep a message from being
 * sent twice, so a lock that expires early (or is released late) costs at most a 43108, which the
 * send path answers by sending again shortly.
 */
export function createUserLocks(options: UserLocksOptions) {
  const { redis, keys, ttlMs } = options;
  const pending: Array<[key: string, holder: string]> = [];
  let scheduled = false;
  return {
    /** Takes the locks of `openids` for `holder`; answers the openids it took. */
    async take(appId: string, openids: readonly string[], holder: string): Promise<Set<string>> {
      if (openids.length === 0) return new Set();
      const lockKeys = openids.map((openid) => keys.sendingToUser(appId, openid));
      const taken = (await redis.eval(TAKE_FREE, lockKeys.length, ...lockKeys, holder, ttlMs)) as number[];
      return new Set(taken.map((index) => openids[index - 1] as string));
    },

    /**
     * Gives the user's lock back, soon: the releases of one turn of the event loop go out together
     * in one command, on the same connection as the run's next `take`, which Redis serves after
     * them. A release that fails leaves the lock to expire (its TTL).
     */
    release(appId: string, openid: string, holder: string): void {
      pending.push([keys.sendingToUser(appId, openid), holder]);
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        const batch = pending.splice(0);
        redis
          .eval(
            RELEASE_IF_HELD,
            batch.length,
            ...batch.map(([key]) => key),
            ...batch.map(([, value]) => value),
          )
          .catch(() => undefined);
      });
    },
  };
}

export type UserLocks = ReturnType<typeof createUserLocks>;
