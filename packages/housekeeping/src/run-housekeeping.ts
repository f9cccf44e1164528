import { randomUUID } from 'node:crypto';
import {
  BIGINT_START,
  type Database,
  KEYSET_START,
  type PurgeResult,
  purgeFinishedBroadcasts,
  purgeFinishedMessages,
  purgePushEvents,
  purgeTokenHistory,
  purgeUnusableCredits,
} from '@minapush/db';
import type { Logger } from '@minapush/logger';
import type { Redis, RedisKeys } from '@minapush/queues';
import { createHousekeepingLock, type HousekeepingLock } from './housekeeping-lock.js';
import type { HousekeepingReport, HousekeepingTrigger } from './housekeeping-report.js';
import { describeRemoved, nothingRemoved, type RemovedRows } from './removed-rows.js';

const DAY_MS = 86_400_000;

export const DEFAULT_CHUNK_SIZE = 5_000;
export const DEFAULT_LOCK_MS = 5 * 60_000;

export interface HousekeepingSettings {
  /** finished messages (with their attempts), finished broadcasts and token history older than this go */
  retentionDays: number;
  /** rows each statement looks at, and so the most it deletes (default 5,000) */
  chunkSize?: number;
  /** the run's lease on its lock, extended after each statement (default 5 minutes) */
  lockMs?: number;
  /** how often a caller that waits on another process's run looks whether it ended (default 250 ms) */
  waitPollMs?: number;
  /** only these apps' rows (a deployment that shares its database, tests); every app's when absent */
  appIds?: readonly string[] | undefined;
}

export interface HousekeepingResources {
  db: Database;
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  settings: HousekeepingSettings;
  now: () => number;
  /** what each run of this process removed, for its metric */
  onRemoved?: (removed: RemovedRows) => void;
  /** aborted when the process shuts down: the run stops after its current statement */
  signal?: AbortSignal;
}

export type HousekeepingOutcome =
  /** `ranHere` false: another process's run was in progress, and this is its report */
  | { ok: true; ranHere: boolean; report: HousekeepingReport }
  /** the run stopped part-way (shutdown, or its lock ran out); the next run takes up the rest */
  | { ok: false; reason: 'stopped' | 'lock_lost'; removed: RemovedRows };

/**
 * Deletes what is no longer needed, in bounded statements, one run at a time across every process:
 * 1. finished messages (sent, failed, skipped, unknown, cancelled) that last changed more than
 *    `retentionDays` ago, with their attempts;
 * 2. finished broadcasts (completed, cancelled) older than that with none of their messages left;
 * 3. credits that expired, were spent or died, that no message or attempt points at (a pending
 *    message keeps its credit; the credits of the messages step 1 deleted go now);
 * 4. token history older than `retentionDays`, but never an app's newest fetch;
 * 5. WeChat's message pushes received more than `retentionDays` ago.
 * Whoever finds a run in progress (a schedule tick, an operator) waits for it and answers its
 * report instead of starting a second one.
 */
export async function runHousekeeping(
  r: HousekeepingResources,
  trigger: HousekeepingTrigger,
): Promise<HousekeepingOutcome> {
  const lock = createHousekeepingLock(r.redis, r.keys, r.settings.lockMs ?? DEFAULT_LOCK_MS);
  for (;;) {
    const runId = randomUUID();
    if (await lock.take(runId)) {
      try {
        return await runHoldingLock(r, lock, runId, trigger);
      } catch (error) {
        await lock.release(runId).catch(() => undefined);
        throw error;
      }
    }
    const holder = await lock.holder();
    if (holder === null) continue;
    const report = await waitForRun(r, lock, holder);
    if (report) return { ok: true, ranHere: false, report };
    // the run ended without a report (it failed, or its process died and its lease ran out): go on
  }
}

async function waitForRun(
  r: HousekeepingResources,
  lock: HousekeepingLock,
  holder: string,
): Promise<HousekeepingReport | undefined> {
  const pollMs = r.settings.waitPollMs ?? 250;
  while ((await lock.holder()) === holder) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const last = await lock.lastRun();
  return last?.runId === holder ? last : undefined;
}

async function runHoldingLock(
  r: HousekeepingResources,
  lock: HousekeepingLock,
  runId: string,
  trigger: HousekeepingTrigger,
): Promise<HousekeepingOutcome> {
  const started = r.now();
  const now = new Date(started);
  const before = new Date(started - r.settings.retentionDays * DAY_MS);
  const window = { limit: r.settings.chunkSize ?? DEFAULT_CHUNK_SIZE, appIds: r.settings.appIds };
  const removed = nothingRemoved();
  let statements = 0;
  let stop: 'stopped' | 'lock_lost' | undefined;

  /** Runs a walk's statements until its last window, or until the run must stop. */
  async function walk<K>(start: K, step: (after: K) => Promise<PurgeResult<K>>): Promise<void> {
    for (let after: K | undefined = start; after !== undefined && !stop; ) {
      const result = await step(after);
      statements += 1;
      after = result.next;
      if (r.signal?.aborted) stop = 'stopped';
      else if (!(await lock.extend(runId))) stop = 'lock_lost';
    }
  }

  await walk(KEYSET_START, async (after) => {
    const result = await purgeFinishedMessages(r.db, { ...window, after, before });
    removed.messages += result.removed;
    removed.attempts += result.attempts;
    return result;
  });
  await walk(KEYSET_START, async (after) => {
    const result = await purgeFinishedBroadcasts(r.db, { ...window, after, before });
    removed.broadcasts += result.removed;
    return result;
  });
  await walk(BIGINT_START, async (after) => {
    const result = await purgeUnusableCredits(r.db, { ...window, after, now });
    removed.credits += result.removed;
    return result;
  });
  await walk(BIGINT_START, async (after) => {
    const result = await purgeTokenHistory(r.db, { ...window, after, before });
    removed.tokenFetches += result.removed;
    return result;
  });
  await walk(BIGINT_START, async (after) => {
    const result = await purgePushEvents(r.db, { ...window, after, before });
    removed.pushEvents += result.removed;
    return result;
  });

  r.onRemoved?.(removed);
  const finishedAt = new Date(r.now()).toISOString();
  const context = { runId, trigger, removed, statements, retentionDays: r.settings.retentionDays };
  if (stop) {
    await lock.release(runId);
    r.logger.warn(
      { ...context, reason: stop },
      `housekeeping stopped part-way (${stop === 'stopped' ? 'shutdown' : 'its lock ran out'}) after removing ${describeRemoved(removed)}; the next run takes up the rest`,
    );
    return { ok: false, reason: stop, removed };
  }
  const report: HousekeepingReport = {
    runId,
    trigger,
    removed,
    startedAt: now.toISOString(),
    finishedAt,
  };
  await lock.finish(runId, report);
  r.logger.info(
    { ...context, startedAt: report.startedAt, finishedAt },
    `housekeeping removed ${describeRemoved(removed)}`,
  );
  return { ok: true, ranHere: true, report };
}
