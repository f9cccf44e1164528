import { z } from 'zod';
import { defineQueueCatalog, FINISHED_JOB_HISTORY } from '../job-catalog.js';

/**
 * The dispatcher's own maintenance queue. Its jobs run from BullMQ job schedulers, so one process
 * runs each tick whatever the number of dispatchers:
 * - `reconcile`: Postgres, not Redis, says what is left to send, and the reconciler gives it jobs again;
 * - `housekeeping`: deletes what is no longer needed (unusable credits, finished messages,
 *   broadcasts and token history past RETENTION_DAYS), daily; a Redis lock keeps it from
 *   overlapping a run started by POST /v1/housekeeping/run;
 * - `template-sync`: reads every app's subscribe templates from WeChat into the template registry
 *   (packages/templates), every TEMPLATE_SYNC_CRON tick.
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
  'template-sync': {
    schema: z.object({}),
    options: {
      // a failed sync is recorded and counted by the registry itself; the next tick tries again
      attempts: 1,
      ...FINISHED_JOB_HISTORY,
    },
  },
});

/** The job scheduler that adds a `reconcile` job every interval. */
export const RECONCILE_SCHEDULER_ID = 'reconcile';

/** The job scheduler that adds a `housekeeping` job on its cron pattern (HOUSEKEEPING_CRON). */
export const HOUSEKEEPING_SCHEDULER_ID = 'housekeeping';

/** The job scheduler that adds a `template-sync` job on its cron pattern (TEMPLATE_SYNC_CRON). */
export const TEMPLATE_SYNC_SCHEDULER_ID = 'template-sync';

/** The time zone housekeeping's cron pattern is read in: China time, as WeChat's days are. */
export const HOUSEKEEPING_TIMEZONE = 'Asia/Shanghai';
