import type { Queue } from 'bullmq';
import { addCatalogJob } from '../job-catalog.js';
import { creditIngestCatalog, type PersistCreditBatchPayload, type RecordUserPayload } from './catalog.js';

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
