export { createHousekeepingLock, type HousekeepingLock } from './housekeeping-lock.js';
export type { HousekeepingReport, HousekeepingTrigger } from './housekeeping-report.js';
export {
  describeRemoved,
  HOUSEKEEPING_TABLES,
  nothingRemoved,
  type RemovedRows,
  removedByTable,
} from './removed-rows.js';
export {
  DEFAULT_CHUNK_SIZE,
  DEFAULT_LOCK_MS,
  type HousekeepingOutcome,
  type HousekeepingResources,
  type HousekeepingSettings,
  runHousekeeping,
} from './run-housekeeping.js';
