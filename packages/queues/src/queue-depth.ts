import type { Queue } from 'bullmq';
import { createScrapeCache } from './scrape-cache.js';

/** The job states a queue's depth is read in: what waits, what runs, what waits for a later time, what failed for good. */
export const QUEUE_DEPTH_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;
export type QueueDepthState = (typeof QUEUE_DEPTH_STATES)[number];

/** Which send lane a queue is; `none` for the queues that are not one (fan-out, ingest, maintenance). */
export type QueueLane = 'transactional' | 'bulk' | 'none';

export interface WatchedQueue {
  queue: Queue;
  lane: QueueLane;
}

export interface QueueDepth {
  /** the queue's name, without the prefix: one of a fixed set (each app's lanes, the shared queues) */
  queue: string;
  lane: QueueLane;
  state: QueueDepthState;
  jobs: number;
}

/**
 * Reads the depth of every watched queue (BullMQ's job counts per state) for a metrics scrape, at
 * most once per `maxAgeMs` (see createScrapeCache). A queue whose counts cannot be read (Redis
 * down) is left out of the answer rather than reported as empty.
 */
export function createQueueDepthReader(
  watched: readonly WatchedQueue[],
  options: { maxAgeMs: number; now?: () => number },
): () => Promise<QueueDepth[]> {
  return createScrapeCache(async () => {
    const counted = await Promise.all(
      watched.map(async ({ queue, lane }) => {
        try {
          const counts = await queue.getJobCounts(...QUEUE_DEPTH_STATES);
          return QUEUE_DEPTH_STATES.map((state) => ({
            queue: queue.name,
            lane,
            state,
            jobs: counts[state] ?? 0,
          }));
        } catch {
          return [];
        }
      }),
    );
    return counted.flat();
  }, options);
}
