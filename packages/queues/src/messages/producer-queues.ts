import { Queue } from 'bullmq';
import type { Redis } from '../redis-connection.js';

const queuesByConnection = new WeakMap<Redis, Map<string, Queue>>();

/**
 * The queue `name` under `prefix` on a producer connection, made once and kept: the producers of
 * this package add to the send queues of any app without the caller holding a Queue for each.
 */
export function producerQueue(redis: Redis, prefix: string, name: string): Queue {
  let queues = queuesByConnection.get(redis);
  if (!queues) {
    queues = new Map();
    queuesByConnection.set(redis, queues);
  }
  const key = JSON.stringify([prefix, name]);
  let queue = queues.get(key);
  if (!queue) {
    queue = new Queue(name, { connection: redis, prefix });
    // The connection's owner watches its errors; a failed add rejects and is reported there.
    queue.on('error', () => undefined);
    queues.set(key, queue);
  }
  return queue;
}

/** Closes the queues the producers opened on this connection; the connection stays open. */
export async function closeMessageQueues(redis: Redis): Promise<void> {
  const queues = queuesByConnection.get(redis);
  queuesByConnection.delete(redis);
  await Promise.allSettled([...(queues?.values() ?? [])].map((queue) => queue.close()));
}
