import { DEFAULT_QUEUE_PREFIX } from '../queue-prefix.js';
import type { Redis } from '../redis-connection.js';
import { bulkQueueName, ensureBatchJob, messageQueueName } from './catalog.js';
import { producerQueue } from './producer-queues.js';

/** A producer connection and the deployment's BullMQ prefix, as `enqueueMessage` takes them. */
export interface SendControlConnection {
  redis: Redis;
  /** default `minapush`; on a Redis Cluster the hash-tagged prefix the apps use */
  prefix?: string;
}

/**
 * Gives each send batch of a resumed broadcast a live job on its app's bulk lane (a finished job
 * of the batch is replaced); answers how many were added. Redis must be up: an add that fails
 * rejects, and the dispatcher's reconciler gives the batches their jobs once it is back.
 */
export async function requeueBroadcastBatches(
  connection: SendControlConnection,
  broadcast: { appId: string; broadcastId: string; batchIds: readonly string[] },
): Promise<number> {
  const queue = producerQueue(
    connection.redis,
    connection.prefix ?? DEFAULT_QUEUE_PREFIX,
    bulkQueueName(broadcast.appId),
  );
  const added = await Promise.all(
    broadcast.batchIds.map((batchId) =>
      ensureBatchJob(queue, { batchId, broadcastId: broadcast.broadcastId }),
    ),
  );
  return added.filter(Boolean).length;
}

/**
 * Takes a cancelled message's send job out of its queue, so that a message held for weeks does
 * not keep its delayed job that long. Only tidiness: the job of a cancelled message sends
 * nothing. A job being processed right now stays (BullMQ refuses to remove a locked job).
 */
export async function withdrawMessageJob(
  connection: SendControlConnection,
  message: { appId: string; messageId: string },
): Promise<boolean> {
  const queue = producerQueue(
    connection.redis,
    connection.prefix ?? DEFAULT_QUEUE_PREFIX,
    messageQueueName(message.appId),
  );
  try {
    return (await queue.remove(message.messageId)) === 1;
  } catch {
    return false;
  }
}
