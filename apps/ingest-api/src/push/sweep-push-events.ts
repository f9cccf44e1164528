import { type Database, findUnappliedPushEvents } from '@minapush/db';
import { PUSH_EVENT_SWEEP_INTERVAL_MS, reenqueuePushEvent } from '@minapush/queues';
import type { Queue } from 'bullmq';

/** Most events one sweep enqueues again; the next tick takes the rest. */
export const PUSH_EVENT_SWEEP_LIMIT = 500;

/**
 * Enqueues again every push event stored more than a sweep interval ago and still unapplied: its
 * job was never added (Redis was down when WeChat pushed it) or was lost with Redis. An event
 * whose job is waiting or retrying keeps that job. Answers how many were enqueued.
 */
export async function sweepPushEvents(
  db: Database,
  queue: Queue,
  now: Date,
  olderThanMs: number = PUSH_EVENT_SWEEP_INTERVAL_MS,
): Promise<{ enqueued: number }> {
  const eventIds = await findUnappliedPushEvents(db, {
    receivedBefore: new Date(now.getTime() - olderThanMs),
    limit: PUSH_EVENT_SWEEP_LIMIT,
  });
  let enqueued = 0;
  for (const eventId of eventIds) {
    if (await reenqueuePushEvent(queue, { eventId })) enqueued += 1;
  }
  return { enqueued };
}
