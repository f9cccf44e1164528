import type { Job, Queue } from 'bullmq';
import { z } from 'zod';
import { ensureJob } from '../ensure-job.js';
import { addCatalogJob, defineQueueCatalog, FINISHED_JOB_HISTORY } from '../job-catalog.js';

/** A send job names its message and nothing else: data, openid and tokens stay in Postgres. */
export const sendMessageSchema = z.object({ messageId: z.uuid() });
export type SendMessagePayload = z.infer<typeof sendMessageSchema>;

/**
 * The transactional lane: one job per single message (an order notification), served before the
 * bulk lane. `queue` is the base name: each app has its own queue, `messageQueueName(appId)`, so
 * that a quota pause stops one app only.
 */
export const messageSendCatalog = defineQueueCatalog('message-send', {
  'send-message': {
    schema: sendMessageSchema,
    options: {
      attempts: 8,
      backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
      ...FINISHED_JOB_HISTORY,
    },
  },
});

/** The transactional send queue of one app. */
export function messageQueueName(appId: string): string {
  return `${messageSendCatalog.queue}-${appId}`;
}

/**
 * Adds the send job of a stored message, delayed by `delayMs` (a message held until its sendAt).
 * The job id is the message id, so adding it again while the job waits (a replayed request, the
 * reconciler) is a no-op.
 */
export function enqueueMessageJob(queue: Queue, messageId: string, delayMs = 0): Promise<Job> {
  return addCatalogJob(
    queue,
    messageSendCatalog,
    'send-message',
    { messageId },
    { jobId: messageId, ...(delayMs > 0 ? { delay: Math.ceil(delayMs) } : {}) },
  );
}

/** A batch job names its batch (a few hundred messages of one broadcast), nothing else. */
export const sendBatchSchema = z.object({ batchId: z.uuid(), broadcastId: z.uuid() });
export type SendBatchPayload = z.infer<typeof sendBatchSchema>;

/**
 * The bulk lane: one job per send batch of a broadcast, made by its fan-out. Each job reports its
 * progress (visible in Bull Board); a finished one is kept for a while so that an operator sees
 * what went out.
 */
export const messageBulkCatalog = defineQueueCatalog('message-bulk', {
  'send-batch': {
    schema: sendBatchSchema,
    options: {
      attempts: 8,
      backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
      ...FINISHED_JOB_HISTORY,
    },
  },
});

/** The bulk send queue of one app. */
export function bulkQueueName(appId: string): string {
  return `${messageBulkCatalog.queue}-${appId}`;
}

/** The job of a send batch; its id is the batch id, so adding it twice adds it once. */
export function batchJob(payload: SendBatchPayload) {
  const { options } = messageBulkCatalog.jobs['send-batch'];
  return { name: 'send-batch' as const, data: payload, opts: { ...options, jobId: payload.batchId } };
}

/**
 * Gives a send batch a live job: adds its job unless one is alive, replacing a finished one (a
 * batch stopped by its broadcast's pause completed its job; a resume needs a new one). `delayMs`:
 * the job is due then (a batch of a broadcast its quiet hours hold).
 */
export function ensureBatchJob(queue: Queue, payload: SendBatchPayload, delayMs = 0): Promise<boolean> {
  const job = batchJob(payload);
  return ensureJob(queue, payload.batchId, () =>
    queue.add(job.name, job.data, delayMs > 0 ? { ...job.opts, delay: delayMs } : job.opts),
  );
}
