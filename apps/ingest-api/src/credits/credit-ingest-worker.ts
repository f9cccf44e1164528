import { type Database, recordUser, storeCreditBatch } from '@minapush/db';
import type { Logger } from '@minapush/logger';
import {
  cappedBackoffStrategy,
  creditIngestCatalog,
  isDeadLettered,
  MAX_RETRY_DELAY_MS,
  parseCatalogJob,
  type Redis,
  UnknownJobError,
} from '@minapush/queues';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Metrics } from '../metrics/metrics.js';

export interface CreditIngestWorkerOptions {
  connection: Redis;
  prefix: string;
  db: Database;
  logger: Logger;
  concurrency?: number;
  /** counts the jobs that land in the failed set for good */
  metrics: Pick<Metrics, 'jobsDeadLettered'>;
  /** the longest wait between two attempts (tests give a tiny one) */
  maxRetryDelayMs?: number;
}

/**
 * Writes accepted credit batches and user sightings to Postgres, in the order they arrive. A job
 * that keeps failing (Postgres down) is retried with capped backoff for about a day, then kept in
 * the failed set, the dead letters, and counted in `minapush_jobs_dead_lettered_total`.
 */
export function createCreditIngestWorker(options: CreditIngestWorkerOptions): Worker {
  const worker = new Worker(
    creditIngestCatalog.queue,
    async (job) => {
      let parsed: ReturnType<typeof parseCatalogJob<typeof creditIngestCatalog>>;
      try {
        parsed = parseCatalogJob(creditIngestCatalog, job);
      } catch (error) {
        if (error instanceof UnknownJobError) throw new UnrecoverableError(error.message);
        throw error;
      }
      const log = options.logger.child({ jobId: job.id, job: parsed.name, appId: parsed.payload.appId });
      if (parsed.name === 'record-user') {
        const { appId, openid, unionid, seenAt } = parsed.payload;
        await recordUser(options.db, { appId, openid, unionid, seenAt: new Date(seenAt) });
        return { recorded: true };
      }
      const batch = parsed.payload;
      const result = await storeCreditBatch(options.db, {
        ...batch,
        seenAt: new Date(batch.seenAt),
        credits: batch.credits.map((credit) => ({
          ...credit,
          capturedAt: new Date(credit.capturedAt),
          expiresAt: credit.expiresAt === null ? null : new Date(credit.expiresAt),
        })),
      });
      log.debug({ stored: result.stored, offered: batch.credits.length }, 'credit batch stored');
      return result;
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 4,
      settings: { backoffStrategy: cappedBackoffStrategy(options.maxRetryDelayMs ?? MAX_RETRY_DELAY_MS) },
    },
  );
  worker.on('failed', (job) => {
    if (job && isDeadLettered(job)) options.metrics.jobsDeadLettered.inc({ queue: worker.name });
  });
  return worker;
}
