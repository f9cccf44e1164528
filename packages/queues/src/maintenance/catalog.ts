import { z } from 'zod';
import { defineQueueCatalog, FINISHED_JOB_HISTORY } from '../job-catalog.js';

/**
 * The dispatcher's own housekeeping queue. `reconcile` runs from a BullMQ job scheduler, so one
 * process runs each tick whatever the number of dispatchers: Postgres, not Redis, says what is
 * left to send, and the reconciler gives it jobs again.
 */
export const dispatcherMaintenanceCatalog = defineQueueCatalog('dispatcher-maintenance', {
  reconcile: {
    schema: z.object({}),
    options: {
      attempts: 1,
      ...FINISHED_JOB_HISTORY,
    },
  },
});

/** The job scheduler that adds a `reconcile` job every interval. */
export const RECONCILE_SCHEDULER_ID = 'reconcile';
