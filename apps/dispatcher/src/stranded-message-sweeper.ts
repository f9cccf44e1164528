import { type Database, findStrandedMessages } from '@minapush/db';
import type { Logger } from '@minapush/logger';
import { enqueueMessageJob } from '@minapush/queues';
import type { Queue } from 'bullmq';
import type { DispatcherMetrics } from './metrics.js';

const LIVE_JOB_STATES = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);

/**
 * Gives a job back to messages that lost theirs: queued rows whose enqueue failed (Redis was down
 * after the row was written) and sending rows whose worker died (lease expired). A message whose
 * job is still alive is left alone; the lease makes a second job harmless anyway.
 */
export async function requeueStrandedMessages(options: {
  db: Database;
  queues: ReadonlyMap<string, Queue>;
  now: Date;
  /** queued rows untouched for this long are considered stranded */
  queuedGraceMs: number;
  limit?: number;
}): Promise<Array<{ id: string; appId: string }>> {
  const stranded = await findStrandedMessages(options.db, {
    appIds: [...options.queues.keys()],
    queuedBefore: new Date(options.now.getTime() - options.queuedGraceMs),
    now: options.now,
    limit: options.limit ?? 500,
  });
  const requeued: Array<{ id: string; appId: string }> = [];
  for (const { id, appId } of stranded) {
    const queue = options.queues.get(appId);
    if (!queue) continue;
    const job = await queue.getJob(id);
    if (job) {
      if (LIVE_JOB_STATES.has(await job.getState())) continue;
      await job.remove();
    }
    await enqueueMessageJob(queue, id);
    requeued.push({ id, appId });
  }
  return requeued;
}

/** Runs the sweep every `intervalMs` until stopped. */
export function startStrandedMessageSweeper(options: {
  db: Database;
  queues: ReadonlyMap<string, Queue>;
  intervalMs: number;
  queuedGraceMs: number;
  logger: Logger;
  metrics: DispatcherMetrics;
}) {
  let running: Promise<void> | undefined;
  const sweep = async () => {
    try {
      const requeued = await requeueStrandedMessages({ ...options, now: new Date() });
      for (const { appId } of requeued) options.metrics.strandedRequeued.inc({ app: appId });
      if (requeued.length > 0)
        options.logger.info({ requeued: requeued.length }, 'stranded messages queued again');
    } catch (error) {
      options.logger.warn({ err: error }, 'stranded message sweep failed');
    }
  };
  const timer = setInterval(() => {
    running ??= sweep().finally(() => {
      running = undefined;
    });
  }, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
