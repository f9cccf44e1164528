import { type Job, UnrecoverableError, Worker, type WorkerOptions } from 'bullmq';
import type { JobNameOf, JobPayloadOf, QueueCatalog } from './job-catalog.js';
import { parseCatalogJob } from './job-catalog.js';
import { cappedBackoffStrategy } from './retry-policy.js';

/** One handler per job name of a catalog, each given its parsed, typed payload. */
export type CatalogHandlers<C extends QueueCatalog> = {
  /** `token` is the job's lock token, for the handler that moves its own job (moveToDelayed) */
  [N in JobNameOf<C>]: (payload: JobPayloadOf<C, N>, job: Job, token: string | undefined) => Promise<unknown>;
};

export interface CatalogWorkerOptions<C extends QueueCatalog> extends WorkerOptions {
  catalog: C;
  /** the queue's name when it is not the catalog's own (one queue per app) */
  queueName?: string;
  handlers: CatalogHandlers<C>;
}

/**
 * A BullMQ worker bound to its catalog, as trigger.dev's redis-worker binds name → schema →
 * handler: every job is parsed against its name's schema and handed to that name's handler. A job
 * whose name or payload the catalog does not know fails at once, without retries. Capped
 * backoff (`retry-policy.ts`) is computed by this worker unless `settings` say otherwise.
 */
export function createCatalogWorker<C extends QueueCatalog>(options: CatalogWorkerOptions<C>): Worker {
  const { catalog, queueName, handlers, ...workerOptions } = options;
  return new Worker(
    queueName ?? catalog.queue,
    async (job, token) => {
      let parsed: ReturnType<typeof parseCatalogJob<C>>;
      try {
        parsed = parseCatalogJob(catalog, job);
      } catch (error) {
        throw new UnrecoverableError((error as Error).message);
      }
      const handler = handlers[parsed.name] as (
        payload: unknown,
        job: Job,
        token: string | undefined,
      ) => Promise<unknown>;
      return handler(parsed.payload, job, token);
    },
    // jobs of a catalog with capped backoff need the strategy on every worker that takes them
    { ...workerOptions, settings: { backoffStrategy: cappedBackoffStrategy(), ...workerOptions.settings } },
  );
}
