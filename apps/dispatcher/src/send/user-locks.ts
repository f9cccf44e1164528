import type { Redis, RedisKeys } from '@minapush/queues';

/** Deletes a user's lock only while it is still the holder's (it may have expired and been retaken). */
const RELEASE_IF_HELD = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

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
 * user at once. Before its calls leave, a run takes each user's lock, a whole block of users in
 * one pipelined round trip (`SET NX PX`); a user whose lock is held elsewhere is not called now.
 * Each lock is released as soon as its call is answered (the releases of a moment in one
 * pipeline). The locks only order the calls: the lease and its fencing token, not these, keep a
 * message from being sent twice, so a lock that expires early (or is released late) costs at most
 * a 43108, which the send path answers by sending again shortly.
 */
export function createUserLocks(options: UserLocksOptions) {
  const { redis, keys, ttlMs } = options;
  const pending: Array<[key: string, holder: string]> = [];
  let scheduled = false;
  return {
    /** Takes the locks of `openids` for `holder`; answers the openids it took. */
    async take(appId: string, openids: readonly string[], holder: string): Promise<Set<string>> {
      const taken = new Set<string>();
      if (openids.length === 0) return taken;
      const pipeline = redis.pipeline();
      for (const openid of openids)
        pipeline.set(keys.sendingToUser(appId, openid), holder, 'PX', ttlMs, 'NX');
      const replies = (await pipeline.exec()) ?? [];
      replies.forEach(([error, reply], index) => {
        const openid = openids[index];
        if (!error && reply === 'OK' && openid !== undefined) taken.add(openid);
      });
      return taken;
    },

    /**
     * Gives the user's lock back, soon: the releases of one turn of the event loop go out together
     * in one pipeline, on the same connection as the run's next `take`, which Redis serves after
     * them. A release that fails leaves the lock to expire (its TTL).
     */
    release(appId: string, openid: string, holder: string): void {
      pending.push([keys.sendingToUser(appId, openid), holder]);
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        const pipeline = redis.pipeline();
        for (const [key, value] of pending.splice(0)) pipeline.eval(RELEASE_IF_HELD, 1, key, value);
        pipeline.exec().catch(() => undefined);
      });
    },
  };
}

export type UserLocks = ReturnType<typeof createUserLocks>;
