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
import { type Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Metrics } from '../metrics/metrics.js';
import { applyPushEvent } from '../push/apply-push-event.js';
import { sweepPushEvents } from '../push/sweep-push-events.js';

export interface CreditIngestWorkerOptions {
  connection: Redis;
  prefix: string;
  db: Database;
  logger: Logger;
  concurrency?: number;
  /** counts the jobs that land in the failed set for good, and what push events reported */
  metrics: Pick<Metrics, 'jobsDeadLettered' | 'deliveryFailures' | 'deliveryReportsUnmatched'>;
  /** the credit-ingest queue, where the push-event sweep enqueues events again */
  queue: Queue;
  /** how long a push event stays unapplied before the sweep enqueues it again (tests give 0) */
  pushSweepAfterMs?: number;
  now?: () => Date;
  /** the longest wait between two attempts (tests give a tiny one) */
  maxRetryDelayMs?: number;
}

/** Thrown to have BullMQ try a sent event again later: its message's msgid is not written yet. */
export class DeliveryReportPendingError extends Error {
  override readonly name = 'DeliveryReportPendingError';
  readonly code = 'delivery_report_pending';
}

/**
 * Writes accepted credit batches and user sightings to Postgres, in the order they arrive, and
 * applies stored push events to the ledger (sweeping up those whose job was never added). A job
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
      const log = options.logger.child({
        jobId: job.id,
        job: parsed.name,
        ...('appId' in parsed.payload ? { appId: parsed.payload.appId } : {}),
      });
      if (parsed.name === 'sweep-push-events') {
        const swept = await sweepPushEvents(
          options.db,
          options.queue,
          (options.now ?? (() => new Date()))(),
          options.pushSweepAfterMs,
        );
        if (swept.enqueued > 0) log.info(swept, 'push events left unapplied enqueued again');
        return swept;
      }
      if (parsed.name === 'apply-push-event') {
        const applied = await applyPushEvent(options.db, BigInt(parsed.payload.eventId));
        if (applied.outcome === 'sent') {
          if (applied.retry) {
            throw new DeliveryReportPendingError(
              `no message has msgid ${applied.unmatched.join(', ')} yet; the sent event is tried again`,
            );
          }
          for (const errcode of applied.failedErrcodes) {
            options.metrics.deliveryFailures.inc({ app: applied.appId, errcode: String(errcode) });
          }
          if (applied.unmatched.length > 0) {
            options.metrics.deliveryReportsUnmatched.inc({ app: applied.appId });
            log.warn({ msgIds: applied.unmatched }, 'sent event given up: no message has its msgid');
          }
        }
        log.debug(applied, 'push event applied');
        return applied;
      }
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
