import { type Database, recordUser, storeCreditBatch } from '@minapush/db';
import type { Logger } from '@minapush/logger';
import { creditIngestCatalog, parseCatalogJob, type Redis, UnknownJobError } from '@minapush/queues';
import { UnrecoverableError, Worker } from 'bullmq';

export interface CreditIngestWorkerOptions {
  connection: Redis;
  prefix: string;
  db: Database;
  logger: Logger;
  concurrency?: number;
}

/** Writes accepted credit batches and user sightings to Postgres, in the order they arrive. */
export function createCreditIngestWorker(options: CreditIngestWorkerOptions): Worker {
  return new Worker(
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
    { connection: options.connection, prefix: options.prefix, concurrency: options.concurrency ?? 4 },
  );
}
