import type { RemovedRows } from './removed-rows.js';

/** Who started a run: the dispatcher's schedule, or an operator (POST /v1/housekeeping/run). */
export type HousekeepingTrigger = 'schedule' | 'manual';

/** What a finished run did; kept in Redis (JSON) for the callers that waited on it. */
export interface HousekeepingReport {
  runId: string;
  trigger: HousekeepingTrigger;
  removed: RemovedRows;
  /** ISO-8601, on the clock of the process that ran it */
  startedAt: string;
  finishedAt: string;
}
