import type { Queue } from 'bullmq';
import { ensureJob } from '../ensure-job.js';
import { addCatalogJob } from '../job-catalog.js';
import {
  type ApplyPushEventPayload,
  creditIngestCatalog,
  type PersistCreditBatchPayload,
  PUSH_EVENT_SWEEP_INTERVAL_MS,
  PUSH_EVENT_SWEEP_SCHEDULER_ID,
  type RecordUserPayload,
} from './catalog.js';

/**
 * Enqueues an accepted batch. The job id is the batch id, so enqueueing the same batch twice
 * (a retried request) yields one job; the store is idempotent besides.
 */
export function enqueueCreditBatch(queue: Queue, payload: PersistCreditBatchPayload) {
  return addCatalogJob(queue, creditIngestCatalog, 'persist-credit-batch', payload, {
    jobId: payload.batchId,
  });
}

export function enqueueUserSighting(queue: Queue, payload: RecordUserPayload) {
  return addCatalogJob(queue, creditIngestCatalog, 'record-user', payload);
}

/** The job id of a push event's job: one job per event, whoever enqueues it. */
export function pushEventJobId(eventId: string): string {
  return `push-event-${eventId}`;
}

/** Enqueues the application of a stored push event; a second add while the first is kept is ignored. */
export function enqueuePushEvent(queue: Queue, payload: ApplyPushEventPayload) {
  return addCatalogJob(queue, creditIngestCatalog, 'apply-push-event', payload, {
    jobId: pushEventJobId(payload.eventId),
  });
}

/**
 * Enqueues a stored push event again unless its job is alive (the sweep): a finished or failed job
 * of it is replaced, since the event is still unapplied. Answers whether a job was added.
 */
export function reenqueuePushEvent(queue: Queue, payload: ApplyPushEventPayload): Promise<boolean> {
  return ensureJob(queue, pushEventJobId(payload.eventId), () => enqueuePushEvent(queue, payload));
}

/** Creates (or keeps) the job scheduler of the push-event sweep on the credit-ingest queue. */
export function schedulePushEventSweep(queue: Queue, everyMs: number = PUSH_EVENT_SWEEP_INTERVAL_MS) {
  return queue.upsertJobScheduler(
    PUSH_EVENT_SWEEP_SCHEDULER_ID,
    { every: everyMs },
    { name: 'sweep-push-events', data: {}, opts: creditIngestCatalog.jobs['sweep-push-events'].options },
  );
}
