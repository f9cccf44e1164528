import type { Job, Queue } from 'bullmq';
import { z } from 'zod';
import { addCatalogJob, defineQueueCatalog } from '../job-catalog.js';

/** A send job names its message and nothing else: data, openid and tokens stay in Postgres. */
export const sendMessageSchema = z.object({ messageId: z.uuid() });
export type SendMessagePayload = z.infer<typeof sendMessageSchema>;

/**
 * The dispatcher's send queue. `queue` is the base name: each app has its own queue,
 * `messageQueueName(appId)`, because BullMQ rate-limits per queue and WeChat per app.
 */
export const messageSendCatalog = defineQueueCatalog('message-send', {
  'send-message': {
    schema: sendMessageSchema,
    options: {
      attempts: 8,
      backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
      removeOnComplete: true,
      removeOnFail: { count: 10_000 },
    },
  },
});

/** The send queue of one app. */
export function messageQueueName(appId: string): string {
  return `${messageSendCatalog.queue}-${appId}`;
}

/**
 * Adds the send job of a stored message. The job id is the message id, so adding it again while
 * the job waits (a replayed request, the sweeper) is a no-op.
 */
export function enqueueMessageJob(queue: Queue, messageId: string): Promise<Job> {
  return addCatalogJob(queue, messageSendCatalog, 'send-message', { messageId }, { jobId: messageId });
}
