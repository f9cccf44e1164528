import type { RedisTarget } from '@minapush/config';
import { Cluster, Redis as SingleRedis } from 'ioredis';

/** A connection to minapush's Redis: one server, or a Redis Cluster. */
export type Redis = SingleRedis | Cluster;

export type RedisRole = 'producer' | 'worker';

/**
 * A Redis connection for one role, to one server (a URL) or to a cluster. Producers sit in request
 * paths and must fail fast when Redis is down (no offline queue, one retry), so the caller can
 * answer 503 instead of hanging. Workers block on Redis and must retry forever (BullMQ requires
 * `maxRetriesPerRequest: null`, of every node's connection on a cluster). Whoever creates a
 * connection quits it: BullMQ does not close connections it was given.
 */
export function createRedisConnection(target: RedisTarget, role: RedisRole): Redis {
  const roleOptions =
    role === 'producer'
      ? { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000 }
      : { maxRetriesPerRequest: null };
  if (typeof target === 'string') {
    return role === 'producer'
      ? new SingleRedis(target, { ...roleOptions, enableOfflineQueue: false })
      : new SingleRedis(target, { ...roleOptions, enableReadyCheck: true });
  }
  return new Cluster(target.nodes, {
    enableOfflineQueue: role !== 'producer',
    enableReadyCheck: true,
    redisOptions: {
      ...roleOptions,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
  });
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export async function waitUntilReady(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis was not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/**
 * True when Redis answers PING. A connection not ready within `timeoutMs` counts as down: a worker
 * connection would otherwise hold the PING in its offline queue until Redis is back, and a health
 * check would hang.
 */
export async function pingRedis(redis: Redis, timeoutMs = 2_000): Promise<boolean> {
  try {
    await waitUntilReady(redis, timeoutMs);
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  }
}
