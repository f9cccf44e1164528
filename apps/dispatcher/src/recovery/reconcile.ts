import { randomUUID } from 'node:crypto';
import {
  completeIdleBroadcasts,
  type Database,
  findExpiredLeases,
  findQueuedBatches,
  findQueuedSingleMessages,
  findUnfannedBroadcasts,
  KEYSET_START,
  type KeysetPage,
} from '@minapush/db';
import type { Logger } from '@minapush/logger';
import {
  enqueueBroadcastFanOut,
  enqueueMessageJob,
  ensureBatchJob,
  ensureJob,
  type Redis,
  type RedisKeys,
} from '@minapush/queues';
import type { DispatcherQueues } from '../queues.js';

export interface ReconcileResources {
  db: Database;
  redis: Redis;
  keys: RedisKeys;
  queues: DispatcherQueues;
  logger: Logger;
  settings: {
    /** a queued message or batch untouched this long without a live job is queued again */
    graceMs: number;
    /** rows each keyset walk looks at per run */
    pageSize: number;
    /** how long a run may hold the lock (then another process may run) */
    lockMs: number;
  };
  now: () => number;
}

export interface ReconcileReport {
  /** another process's run held the lock */
  skipped?: boolean;
  fanOuts: number;
  /** jobs given back to messages whose lease ran out (a batch counts once) */
  expiredLeases: number;
  singleMessages: number;
  batches: number;
  completedBroadcasts: number;
}

/**
 * Postgres drives recovery: what it says is still to do gets a live job again, whatever Redis
 * lost (a restart without persistence, a FLUSHDB, a failover) or a worker dropped (crash, freeze).
 * One run at a time across every dispatcher process (a Redis lock; the run is started by a BullMQ
 * job scheduler), each walk bounded per run and going on from a keyset cursor kept in Redis, so
 * that a broadcast of a million messages cannot starve the others:
 * - broadcasts still to fan out (scheduled, or running with an unfinished fan-out): a fan-out job,
 *   delayed until sendAt;
 * - messages whose lease ran out: their single-message or batch job;
 * - queued single messages and queued batches that sat past the grace period: their job (a
 *   message held until its sendAt: delayed until then; a batch of a broadcast held by quiet
 *   hours: delayed until their end, as the batch left it);
 * - running broadcasts with nothing left to send: completed.
 */
export async function reconcile(r: ReconcileResources): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    fanOuts: 0,
    expiredLeases: 0,
    singleMessages: 0,
    batches: 0,
    completedBroadcasts: 0,
  };
  const owner = randomUUID();
  const locked = await r.redis.set(r.keys.reconcileLock, owner, 'PX', r.settings.lockMs, 'NX');
  if (locked !== 'OK') return { ...report, skipped: true };
  try {
    const queuedBefore = new Date(r.now() - r.settings.graceMs);
    report.fanOuts = await walk(
      r,
      'fan-outs',
      (after, limit) => findUnfannedBroadcasts(r.db, { after, limit }),
      async (b) =>
        ensureJob(r.queues.fanOut, b.id, () =>
          enqueueBroadcastFanOut(r.queues.fanOut, b.id, Math.max(0, (b.sendAt?.getTime() ?? 0) - r.now())),
        ),
    );
    // A batch's messages expire together: its job is checked once, not once per message (checks
    // of one job side by side would each find it gone and each add it).
    const batchesSeen = new Set<string>();
    report.expiredLeases = await walk(
      r,
      'expired-leases',
      (after, limit) => findExpiredLeases(r.db, { after, limit }),
      async (m) => {
        if (m.batchId && m.broadcastId) {
          if (batchesSeen.has(m.batchId)) return false;
          batchesSeen.add(m.batchId);
          return requeueBatch(r, m.appId, m.batchId, m.broadcastId);
        }
        const queue = r.queues.transactional(m.appId);
        return queue ? ensureJob(queue, m.messageId, () => enqueueMessageJob(queue, m.messageId)) : false;
      },
    );
    report.singleMessages = await walk(
      r,
      'single-messages',
      (after, limit) => findQueuedSingleMessages(r.db, { after, limit, queuedBefore }),
      async (m) => {
        const queue = r.queues.transactional(m.appId);
        // a message held until its sendAt gets its job back delayed until then
        const delayMs = Math.max(0, (m.sendAt?.getTime() ?? 0) - r.now());
        return queue
          ? ensureJob(queue, m.messageId, () => enqueueMessageJob(queue, m.messageId, delayMs))
          : false;
      },
    );
    report.batches = await walk(
      r,
      'batches',
      (after, limit) => findQueuedBatches(r.db, { after, limit, queuedBefore }),
      (b) => requeueBatch(r, b.appId, b.batchId, b.broadcastId, b.waitingUntil),
    );
    report.completedBroadcasts = (await completeIdleBroadcasts(r.db)).length;
  } finally {
    await r.redis.eval(
      "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0",
      1,
      r.keys.reconcileLock,
      owner,
    );
  }
  return report;
}

function requeueBatch(
  r: ReconcileResources,
  appId: string,
  batchId: string,
  broadcastId: string,
  waitingUntil?: Date | null,
) {
  const queue = r.queues.bulk(appId);
  if (!queue) return Promise.resolve(false);
  // the batch would only find its quiet hours again; its job is due when they end (the batch
  // checks them anyway, so a job added without the delay would still send nothing early)
  const delay = waitingUntil ? Math.max(0, waitingUntil.getTime() - r.now()) : 0;
  return ensureBatchJob(queue, { batchId, broadcastId }, delay);
}

/** One page of a keyset walk, from where the last run stopped; answers how many rows it acted on. */
async function walk<T>(
  r: ReconcileResources,
  name: string,
  page: (after: string, limit: number) => Promise<KeysetPage<T>>,
  act: (row: T) => Promise<boolean>,
): Promise<number> {
  const cursorKey = r.keys.reconcileCursor(name);
  const after = (await r.redis.get(cursorKey)) ?? KEYSET_START;
  const { rows, next } = await page(after, r.settings.pageSize);
  // job checks go out together: one round trip's wait for the page, not one per row
  const acted = await Promise.all(rows.map(act));
  if (next) await r.redis.set(cursorKey, next);
  else await r.redis.del(cursorKey);
  return acted.filter(Boolean).length;
}
