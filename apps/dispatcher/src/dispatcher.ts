import { randomUUID } from 'node:crypto';
import type { WechatAppConfig } from '@minapush/config';
import { type Database, pauseAppBroadcasts } from '@minapush/db';
import { removedByTable, runHousekeeping } from '@minapush/housekeeping';
import type { Logger } from '@minapush/logger';
import {
  broadcastFanOutCatalog,
  bulkQueueName,
  createCatalogWorker,
  dispatcherMaintenanceCatalog,
  HOUSEKEEPING_SCHEDULER_ID,
  HOUSEKEEPING_TIMEZONE,
  isDeadLettered,
  messageBulkCatalog,
  messageQueueName,
  messageSendCatalog,
  RECONCILE_SCHEDULER_ID,
  type Redis,
  redisKeys,
  TEMPLATE_SYNC_SCHEDULER_ID,
} from '@minapush/queues';
import type { TemplateRegistryService } from '@minapush/templates';
import type { TokenService } from '@minapush/tokens';
import { DelayedError, type Job, RateLimitError, type Worker } from 'bullmq';
import { fanOutBroadcast } from './broadcasts/fan-out-broadcast.js';
import { type DispatcherMetrics, errcodeLabel } from './metrics.js';
import type { DispatcherQueues } from './queues.js';
import { reconcile } from './recovery/reconcile.js';
import type { SendingClient } from './send/call-wechat.js';
import { type BatchResources, sendBatch } from './send/send-batch.js';
import { createSendGate, type SendLane } from './send/send-gate.js';
import { type RunResult, USER_BUSY_RETRY_MS } from './send/send-run.js';
import { sendSingleMessage } from './send/send-single-message.js';
import { createUserLocks } from './send/user-locks.js';

/** Thrown so that BullMQ retries the job with backoff; its messages were put back to `queued`. */
export class SendRetryError extends Error {
  override readonly name = 'SendRetryError';
  readonly code = 'send_retry';
}

/** Why a 43107 paused a broadcast, as its `pausedReason` says. */
export const SENDING_BANNED_REASON =
  "sending banned by WeChat (43107): the app's subscribe-message capability or the template is banned; resume once the ban is lifted in WeChat's console";

/**
 * BullMQ honours a queue-wide pause (`queue.rateLimit`, which stops every worker from fetching
 * that app's jobs during a quota pause) only on workers that have a limiter. This one never binds:
 * the send rate is counted in messages by the send gate, not in jobs.
 */
const PAUSE_ONLY_LIMITER = { max: 1_000_000_000, duration: 1_000 };

export interface DispatcherOptions {
  apps: readonly WechatAppConfig[];
  db: Database;
  /** a worker connection (maxRetriesPerRequest: null), shared by the workers and the send gate */
  connection: Redis;
  queues: DispatcherQueues;
  prefix: string;
  wechat: SendingClient;
  tokens: Pick<TokenService, 'getToken' | 'refreshTokenIfStale'>;
  logger: Logger;
  metrics: DispatcherMetrics;
  /** single messages in flight per app (transactional lane) */
  concurrency: number;
  /** broadcast batches in flight per app (bulk lane) */
  batchConcurrency: number;
  /** WeChat calls in flight per batch */
  batchSendConcurrency: number;
  /** messages per batch, when a broadcast fans out */
  batchSize: number;
  leaseMs: number;
  creditExpiryMarginMs: number;
  /** the WeChat client's timeout */
  callTimeoutMs: number;
  reconcileIntervalMs: number;
  reconcileGraceMs: number;
  sendRateRecoveryMs: number;
  housekeeping: {
    /** when it runs: a cron pattern read in China time */
    cron: string;
    retentionDays: number;
    /** only these apps' rows (a test, a database shared with other deployments); every app's when absent */
    appIds?: readonly string[];
  };
  /**
   * the template registry's syncs: every app's at start and on `cron` (TEMPLATE_SYNC_CRON, China
   * time); no syncs when absent
   */
  templateSync?: {
    cron: string;
    registry: Pick<TemplateRegistryService, 'sync'>;
    /** how long to wait before trying a start-up sync again while there is no token yet (default 10 s) */
    startRetryMs?: number;
  };
  lockDurationMs?: number;
  now?: () => number;
}

/** Start-up syncs tried while the token-refresher has not stored a token yet: about a minute. */
const START_SYNC_ATTEMPTS = 6;

/** What one dispatcher process runs: both lanes of every app, fan-outs, the reconciler and housekeeping. */
export function startDispatcher(options: DispatcherOptions) {
  const { queues, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const keys = redisKeys(options.prefix);
  const gate = createSendGate({
    redis: options.connection,
    keys,
    apps: options.apps,
    recoveryMs: options.sendRateRecoveryMs,
    now,
  });
  // Aborted when the process shuts down: batches stop calling and give back what they did not send.
  const shutdown = new AbortController();

  const pauseQueues = (appId: string, untilMs: number) => {
    const ms = Math.max(1, Math.ceil(untilMs - now()));
    return Promise.all(
      [queues.transactional(appId), queues.bulk(appId)].map((queue) => queue?.rateLimit(ms)),
    );
  };

  const send: BatchResources = {
    db: options.db,
    wechat: options.wechat,
    tokens: options.tokens,
    gate,
    async pauseApp(appId, untilMs, window) {
      await gate.pause(appId, untilMs, window);
      await pauseQueues(appId, untilMs);
      metrics.quotaPauses.inc({ app: appId, window });
      metrics.sendRate.set({ app: appId }, await gate.currentRate(appId));
      const until = new Date(untilMs).toISOString();
      if (window === 'daily') {
        logger.error(
          { appId, until },
          `daily send quota of ${appId} reached (45009): sending paused until 00:00 China time`,
        );
      } else {
        logger.warn(
          { appId, until, sendRatePerSecond: await gate.currentRate(appId) },
          `per-minute quota of ${appId} reached (45011): sending paused until the next minute, then slower`,
        );
      }
    },
    // a lock outlives its call's timeout, and the lease check before it, with room to spare
    userLocks: createUserLocks({ redis: options.connection, keys, ttlMs: 2 * options.callTimeoutMs + 1_000 }),
    async sendingBanned(appId, errmsg) {
      const paused = await pauseAppBroadcasts(options.db, appId, SENDING_BANNED_REASON);
      metrics.sendingBanned.inc({ app: appId });
      logger.error(
        { appId, errcode: 43107, errmsg, pausedBroadcasts: paused },
        `WeChat banned the sending of ${appId} or its template (43107): its running broadcasts are paused (${paused.length}); single messages fail with 43107 until the ban is lifted`,
      );
    },
    observeAnswer(appId, answer) {
      metrics.wechatAnswers.inc({ app: appId, errcode: errcodeLabel(answer) });
    },
    settings: {
      owner: randomUUID(),
      leaseMs: options.leaseMs,
      creditExpiryMarginMs: options.creditExpiryMarginMs,
      callTimeoutMs: options.callTimeoutMs,
    },
    now,
    redis: options.connection,
    keys,
    logger,
    batchSendConcurrency: options.batchSendConcurrency,
  };

  /** What a run's result means for its job: done, retried with backoff, paused, or set aside. */
  async function settleJob(
    job: Job,
    token: string | undefined,
    appId: string,
    lane: SendLane,
    result?: RunResult,
  ) {
    if (!result) return { status: 'not_taken' };
    for (const finished of result.finished) {
      metrics.messagesFinished.inc({ app: appId, lane, status: finished.status });
      if (finished.latencyMs !== undefined) {
        metrics.sendLatency.observe({ app: appId, lane }, Math.max(0, finished.latencyMs) / 1000);
      }
    }
    if (result.lost > 0) {
      metrics.leasesLost.inc({ app: appId }, result.lost);
      logger.warn(
        { appId, jobId: job.id, lost: result.lost },
        'lease lost: another dispatcher took these messages over; none of them was sent from here',
      );
    }
    if (result.heldUntilMs !== undefined) {
      // back to the queue when the quiet hours end, without counting an attempt: the job holds
      // no lease and no credit meanwhile, and its delay is the dispatcher's clock's wait
      await job.moveToDelayed(Date.now() + Math.max(1, result.heldUntilMs - now()), token);
      throw new DelayedError();
    }
    if (result.paused) {
      await pauseQueues(appId, result.paused.untilMs);
      // back to the queue without counting an attempt: a quota is not a failure
      throw new RateLimitError();
    }
    if (result.stopped === 'shutdown') {
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    if (result.retryLater > 0) {
      metrics.sendRetries.inc({ app: appId, lane }, result.retryLater);
      throw new SendRetryError(`${result.retryLater} message(s) given back for a later attempt`);
    }
    if (result.userBusy) {
      // users still busy with other sends: again shortly, without counting an attempt
      await job.moveToDelayed(Date.now() + USER_BUSY_RETRY_MS, token);
      throw new DelayedError();
    }
    return { finished: result.finished.length, ...(result.stopped ? { stopped: result.stopped } : {}) };
  }

  const lastAttempt = (job: Job) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  const lock = options.lockDurationMs
    ? { lockDuration: options.lockDurationMs, stalledInterval: options.lockDurationMs }
    : {};
  const base = { connection: options.connection, prefix: options.prefix, ...lock };

  const workers: Worker[] = [];
  for (const app of options.apps) {
    const appId = app.appId;
    workers.push(
      createCatalogWorker({
        ...base,
        catalog: messageSendCatalog,
        queueName: messageQueueName(appId),
        concurrency: options.concurrency,
        limiter: PAUSE_ONLY_LIMITER,
        handlers: {
          'send-message': async (payload, job, token) => {
            // no shutdown signal: one message in flight finishes its call (within the WeChat timeout)
            const result = await sendSingleMessage(send, payload.messageId, {
              lastAttempt: lastAttempt(job),
            });
            return settleJob(job, token, appId, 'transactional', result);
          },
        },
      }),
      createCatalogWorker({
        ...base,
        catalog: messageBulkCatalog,
        queueName: bulkQueueName(appId),
        concurrency: options.batchConcurrency,
        limiter: PAUSE_ONLY_LIMITER,
        handlers: {
          'send-batch': async (payload, job, token) => {
            const started = performance.now();
            const result = await sendBatch(send, payload, {
              lastAttempt: lastAttempt(job),
              signal: shutdown.signal,
              onProgress: (settled, of) => job.updateProgress({ settled, of }),
            });
            // a batch held by quiet hours (before its lease, or cut short when they began) is not timed
            if (result && result.heldUntilMs === undefined) {
              metrics.batchSeconds.observe({ app: appId }, (performance.now() - started) / 1000);
            }
            return settleJob(job, token, appId, 'bulk', result);
          },
        },
      }),
    );
  }

  workers.push(
    createCatalogWorker({
      ...base,
      catalog: broadcastFanOutCatalog,
      concurrency: 2,
      handlers: {
        'fan-out-broadcast': async (payload, job) => {
          const result = await fanOutBroadcast(
            {
              db: options.db,
              queues,
              settings: { batchSize: options.batchSize, creditExpiryMarginMs: options.creditExpiryMarginMs },
              now,
            },
            payload.broadcastId,
            (progress) => job.updateProgress(progress),
          );
          logger.info({ broadcastId: payload.broadcastId, ...result }, 'broadcast fan-out done');
          return result;
        },
      },
    }),
    createCatalogWorker({
      ...base,
      catalog: dispatcherMaintenanceCatalog,
      // a housekeeping run can take minutes: the reconciler's ticks go on beside it (each kind
      // keeps to one run at a time across processes with its own lock)
      concurrency: 2,
      handlers: {
        housekeeping: async () => {
          const outcome = await runHousekeeping(
            {
              db: options.db,
              redis: options.connection,
              keys,
              logger,
              settings: {
                retentionDays: options.housekeeping.retentionDays,
                appIds: options.housekeeping.appIds,
              },
              now,
              onRemoved: (removed) => {
                for (const [table, count] of removedByTable(removed))
                  metrics.housekeepingRemoved.inc({ table }, count);
              },
              signal: shutdown.signal,
            },
            'schedule',
          );
          // the run logs its one line itself; a tick that found a run in progress took its report
          return outcome.ok ? { ranHere: outcome.ranHere, ...outcome.report } : outcome;
        },
        'template-sync': async () => {
          const registry = options.templateSync?.registry;
          if (!registry) return { skipped: true };
          // each outcome is logged, recorded and counted by the registry (onSync)
          const outcomes = await Promise.all(options.apps.map((app) => registry.sync(app.appId, 'schedule')));
          return { synced: outcomes.filter((outcome) => outcome.ok).length, apps: outcomes.length };
        },
        reconcile: async () => {
          const report = await reconcile({
            db: options.db,
            redis: options.connection,
            keys,
            queues,
            logger,
            settings: {
              graceMs: options.reconcileGraceMs,
              pageSize: 500,
              lockMs: Math.max(30_000, 10 * options.reconcileIntervalMs),
            },
            now,
          });
          const { skipped, ...counts } = report;
          for (const [kind, count] of Object.entries(counts))
            if (count > 0) metrics.reconciled.inc({ kind }, count);
          if (!skipped && Object.values(counts).some((count) => count > 0)) {
            logger.info(counts, 'reconciled: work Postgres still had got its jobs again');
          }
          return report;
        },
      },
    }),
  );
  for (const worker of workers) {
    worker.on('error', (error) => logger.warn({ err: error, queue: worker.name }, 'worker error'));
    worker.on('failed', (job, error) => {
      if (job && isDeadLettered(job)) metrics.jobsDeadLettered.inc({ queue: worker.name });
      logger.warn(
        { queue: worker.name, jobId: job?.id, attemptsMade: job?.attemptsMade, err: error },
        'job failed; BullMQ retries it while it has attempts left, then keeps it in the failed set',
      );
    });
  }
  for (const app of options.apps) metrics.sendRate.set({ app: app.appId }, app.sendRatePerSecond);

  // The schedules live in Redis, and so does everything a FLUSHDB or a restart without
  // persistence loses: each process makes sure they exist, at the reconciler's own pace. This only
  // re-creates the schedules; the runs come from them, one per tick whatever the number of
  // dispatchers. Housekeeping's is set at start whatever it was, so that a new HOUSEKEEPING_CRON
  // applies (the last dispatcher started decides).
  const housekeepingSchedule = () =>
    queues.maintenance.upsertJobScheduler(
      HOUSEKEEPING_SCHEDULER_ID,
      { pattern: options.housekeeping.cron, tz: HOUSEKEEPING_TIMEZONE },
      { name: 'housekeeping', data: {}, opts: dispatcherMaintenanceCatalog.jobs.housekeeping.options },
    );
  const templateSync = options.templateSync;
  const templateSyncSchedule = (cron: string) =>
    queues.maintenance.upsertJobScheduler(
      TEMPLATE_SYNC_SCHEDULER_ID,
      { pattern: cron, tz: HOUSEKEEPING_TIMEZONE },
      {
        name: 'template-sync',
        data: {},
        opts: dispatcherMaintenanceCatalog.jobs['template-sync'].options,
      },
    );
  const ensureSchedule = async (atStart: boolean) => {
    try {
      if (!(await queues.maintenance.getJobScheduler(RECONCILE_SCHEDULER_ID))) {
        await queues.maintenance.upsertJobScheduler(
          RECONCILE_SCHEDULER_ID,
          { every: options.reconcileIntervalMs },
          { name: 'reconcile', data: {}, opts: dispatcherMaintenanceCatalog.jobs.reconcile.options },
        );
      }
      if (atStart || !(await queues.maintenance.getJobScheduler(HOUSEKEEPING_SCHEDULER_ID))) {
        await housekeepingSchedule();
      }
      if (
        templateSync &&
        (atStart || !(await queues.maintenance.getJobScheduler(TEMPLATE_SYNC_SCHEDULER_ID)))
      ) {
        await templateSyncSchedule(templateSync.cron);
      }
    } catch (error) {
      logger.warn({ err: error }, 'maintenance schedules (reconciler, housekeeping) not checked');
    }
  };
  const scheduled = ensureSchedule(true);
  // At start every app's templates are read at once; the token-refresher may not have stored a
  // token yet when both start together, so that one failure is tried again for about a minute.
  if (templateSync) {
    const retryMs = templateSync.startRetryMs ?? 10_000;
    const syncAtStart = async (appId: string) => {
      for (let attempt = 1; attempt <= START_SYNC_ATTEMPTS && !shutdown.signal.aborted; attempt += 1) {
        const outcome = await templateSync.registry.sync(appId, 'start');
        if (outcome.ok || outcome.reason !== 'no_token') return;
        await new Promise((resolve) => setTimeout(resolve, retryMs).unref());
      }
    };
    for (const app of options.apps) {
      syncAtStart(app.appId).catch((error: unknown) =>
        logger.warn({ err: error, appId: app.appId }, 'subscribe templates not synced at start'),
      );
    }
  }
  const scheduleWatch = setInterval(() => void ensureSchedule(false), options.reconcileIntervalMs);
  scheduleWatch.unref();

  return {
    workers,
    gate,
    /** settles once this process has set its maintenance schedules (or failed to, and logged it) */
    scheduled,
    /**
     * Stops taking jobs; the runs in flight stop calling, give back what they did not send and
     * end, within `timeoutMs`. Whatever still runs then keeps its lease, which expires, and
     * another dispatcher picks it up.
     */
    async close(timeoutMs = 10_000): Promise<void> {
      clearInterval(scheduleWatch);
      shutdown.abort();
      const timeout = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), timeoutMs).unref(),
      );
      const graceful = Promise.all(workers.map((worker) => worker.close())).then(() => 'closed' as const);
      if ((await Promise.race([graceful, timeout])) === 'timeout') {
        await Promise.race([
          Promise.all(workers.map((worker) => worker.close(true))),
          new Promise((resolve) => setTimeout(resolve, 500)),
        ]);
      }
    },
  };
}

export type Dispatcher = ReturnType<typeof startDispatcher>;
