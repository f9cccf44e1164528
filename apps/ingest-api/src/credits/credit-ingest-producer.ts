import {
  enqueueCreditBatch,
  enqueueUserSighting,
  type PersistCreditBatchPayload,
  type RecordUserPayload,
  type Redis,
} from '@minapush/queues';
import type { Queue } from 'bullmq';
import { ApiError } from '../http/api-error.js';

/**
 * Hands accepted work to the credit ingest queue. Only once Redis has the job may a client be told
 * its credits were accepted; if Redis is down the request is refused with 503, to be retried.
 * BullMQ waits for a connection that is not ready instead of failing, so that is checked first;
 * a ready connection bounds every command with its own timeout.
 */
export function createCreditIngestProducer(queue: Queue, redis: Redis) {
  async function guarded<T>(add: () => Promise<T>): Promise<T> {
    if (redis.status !== 'ready') throw queueUnavailable(new Error(`redis connection is ${redis.status}`));
    try {
      return await add();
    } catch (error) {
      throw queueUnavailable(error);
    }
  }
  return {
    enqueueBatch: (payload: PersistCreditBatchPayload) => guarded(() => enqueueCreditBatch(queue, payload)),
    enqueueSighting: (payload: RecordUserPayload) => guarded(() => enqueueUserSighting(queue, payload)),
  };
}

export type CreditIngestProducer = ReturnType<typeof createCreditIngestProducer>;

export function queueUnavailable(cause: unknown): ApiError {
  const error = new ApiError(
    503,
    'queue_unavailable',
    'Credits cannot be accepted right now (the queue is unreachable); nothing was stored, retry later.',
    undefined,
    5,
  );
  error.cause = cause;
  return error;
}
