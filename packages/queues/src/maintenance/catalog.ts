import { z } from 'zod';
import { defineQueueCatalog, FINISHED_JOB_HISTORY } from '../job-catalog.js';

/**
 * The dispatcher's own maintenance queue. Its jobs run from BullMQ job schedulers, so one process
 * runs each tick whatever the number of dispatchers:
 * - `reconcile`: Postgres, not Redis, says what is left to send, and the reconciler gives it jobs again;
 * - `housekeeping`: deletes what is no longer needed (unusable credits, finished messages,
 *   broadcasts and token history past RETENTION_DAYS), daily; a Redis lock keeps it from
 *   overlapping a run started by POST /v1/housekeeping/run.
 */
export const dispatcherMaintenanceCatalog = defineQueueCatalog('dispatcher-maintenance', {
  reconcile: {
    schema: z.object({}),
    options: {
      attempts: 1,
      ...FINISHED_JOB_HISTORY,
    },
  },
  housekeeping: {
    schema: z.object({}),
    options: {
      // a failed run is not retried at once: the next tick (or an operator) runs it again, and
      // every run takes up whatever the last one left
      attempts: 1,
      removeOnComplete: { count: 100, age: 86_400 },
      removeOnFail: { count: 100 },
    },
  },
});

/** The job scheduler that adds a `reconcile` job every interval. */
export const RECONCILE_SCHEDULER_ID = 'reconcile';

/** The job scheduler that adds a `housekeeping` job on its cron pattern (HOUSEKEEPING_CRON). */
export const HOUSEKEEPING_SCHEDULER_ID = 'housekeeping';

/** The time zone housekeeping's cron pattern is read in: China time, as WeChat's days are. */
export const HOUSEKEEPING_TIMEZONE = 'Asia/Shanghai';
