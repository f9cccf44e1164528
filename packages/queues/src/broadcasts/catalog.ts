import type { Job, Queue } from 'bullmq';
import { z } from 'zod';
import { addCatalogJob, defineQueueCatalog, FINISHED_JOB_HISTORY } from '../job-catalog.js';
import { noControlCharacters } from '../no-control-characters.js';

/** Most openids one broadcast may name; larger audiences are recorded users (`{"type":"all"}`). */
export const MAX_BROADCAST_OPENIDS = 100_000;

/** Who a broadcast goes to. A repeated openid is one recipient: each user gets one message. */
export const broadcastAudienceSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('all') }),
  z.strictObject({
    type: z.literal('openids'),
    openids: z.array(z.string().min(1).max(128).check(noControlCharacters)).min(1).max(MAX_BROADCAST_OPENIDS),
  }),
]);
export type BroadcastAudienceInput = z.infer<typeof broadcastAudienceSchema>;

/** A fan-out job names its broadcast and nothing else: audience and data stay in Postgres. */
export const fanOutBroadcastSchema = z.object({ broadcastId: z.uuid() });
export type FanOutBroadcastPayload = z.infer<typeof fanOutBroadcastSchema>;

/**
 * One queue for every app: a fan-out only writes message rows and adds send jobs to the app's
 * own send queue, where the app's rate limit applies. Fan-out is idempotent, so retries are safe.
 */
export const broadcastFanOutCatalog = defineQueueCatalog('broadcast-fanout', {
  'fan-out-broadcast': {
    schema: fanOutBroadcastSchema,
    options: {
      attempts: 10,
      backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
      ...FINISHED_JOB_HISTORY,
    },
  },
});

/** The fan-out queue, shared by all apps. */
export function broadcastQueueName(): string {
  return broadcastFanOutCatalog.queue;
}

/**
 * Adds the fan-out job of a stored broadcast, delayed until its sendAt. The job id is the
 * broadcast id, so adding it again while the job waits is a no-op.
 */
export function enqueueBroadcastFanOut(queue: Queue, broadcastId: string, delayMs = 0): Promise<Job> {
  return addCatalogJob(
    queue,
    broadcastFanOutCatalog,
    'fan-out-broadcast',
    { broadcastId },
    { jobId: broadcastId, ...(delayMs > 0 ? { delay: Math.ceil(delayMs) } : {}) },
  );
}
