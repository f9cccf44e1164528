import type { Redis, RedisKeys } from '@minapush/queues';
import type { HousekeepingReport } from './housekeeping-report.js';

// Compare-and-act on the lock's value (the run's id): a run that lost its lock (it froze past
// lockMs and another took over) neither extends nor releases the other's.
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;
// The report is written before the lock goes: whoever waited on the lock finds the report when
// the lock is gone.
const FINISH = `if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('set', KEYS[2], ARGV[2]) return redis.call('del', KEYS[1]) end return 0`;

/**
 * One housekeeping run at a time across every process (dispatchers, ingest APIs), whatever
 * started it: a Redis lock (`redisKeys.housekeepingLock`) with a lease that the run extends
 * after each statement. A caller that finds it held waits for that run and takes its report.
 */
export function createHousekeepingLock(redis: Redis, keys: RedisKeys, lockMs: number) {
  return {
    /** true when `runId` now holds the lock */
    async take(runId: string): Promise<boolean> {
      return (await redis.set(keys.housekeepingLock, runId, 'PX', lockMs, 'NX')) === 'OK';
    },
    /** the id of the run holding the lock, if any */
    holder: (): Promise<string | null> => redis.get(keys.housekeepingLock),
    /** extends the lease; false when the lock is no longer this run's */
    async extend(runId: string): Promise<boolean> {
      return Number(await redis.eval(EXTEND, 1, keys.housekeepingLock, runId, String(lockMs))) === 1;
    },
    /** records the run's report and releases the lock, if still held */
    async finish(runId: string, report: HousekeepingReport): Promise<void> {
      await redis.eval(
        FINISH,
        2,
        keys.housekeepingLock,
        keys.housekeepingLastRun,
        runId,
        JSON.stringify(report),
      );
    },
    /** releases the lock without a report (the run failed) */
    async release(runId: string): Promise<void> {
      await redis.eval(
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0",
        1,
        keys.housekeepingLock,
        runId,
      );
    },
    /** the report of the last run that finished */
    async lastRun(): Promise<HousekeepingReport | undefined> {
      const raw = await redis.get(keys.housekeepingLastRun);
      return raw ? (JSON.parse(raw) as HousekeepingReport) : undefined;
    },
  };
}

export type HousekeepingLock = ReturnType<typeof createHousekeepingLock>;
