import { enqueueCreditBatch, type PersistCreditBatchPayload } from '@minapush/queues';
import type { Queue } from 'bullmq';
import { ApiError } from '../http/api-error.js';

/**
 * Hands an accepted batch to the queue. Only once Redis has the job may the client be told the
 * credits were accepted: if Redis is down the whole request is refused with 503, to be retried.
 */
export async function enqueueAccepted(queue: Queue, payload: PersistCreditBatchPayload): Promise<void> {
  try {
    await enqueueCreditBatch(queue, payload);
  } catch (error) {
    throw queueUnavailable(error);
  }
}

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
