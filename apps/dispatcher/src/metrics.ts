import { type BroadcastStatus, countBroadcasts, type Database, type FinalMessageStatus } from '@minapush/db';
import { HOUSEKEEPING_TABLES } from '@minapush/housekeeping';
import {
  broadcastQueueName,
  bulkQueueName,
  createQueueDepthReader,
  createScrapeCache,
  dispatcherMaintenanceCatalog,
  messageQueueName,
} from '@minapush/queues';
import type { QuotaWindow } from '@minapush/wechat';
import { WECHAT_ERRCODES } from '@minapush/wechat';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { DispatcherQueues } from './queues.js';
import type { ReconcileReport } from './recovery/reconcile.js';
import type { SendLane } from './send/send-gate.js';
import type { SendAnswer } from './send/send-policy.js';

const LANES: readonly SendLane[] = ['transactional', 'bulk'];
const FINAL_STATUSES: readonly FinalMessageStatus[] = ['sent', 'failed', 'skipped', 'unknown', 'cancelled'];
const QUOTA_WINDOWS: readonly QuotaWindow[] = ['per_minute', 'daily'];
const BROADCAST_STATUSES: readonly BroadcastStatus[] = [
  'scheduled',
  'running',
  'paused',
  'completed',
  'cancelled',
];
const RECONCILED_KINDS = [
  'fanOuts',
  'expiredLeases',
  'singleMessages',
  'batches',
  'completedBroadcasts',
] as const satisfies ReadonlyArray<keyof Omit<ReconcileReport, 'skipped'>>;

/** A WeChat answer without an errcode: no reply (timeout, connection lost) or an HTTP error. */
export const NO_ERRCODE = 'none';
/** An errcode outside WeChat's documented table (wechat-platform.md). */
export const OTHER_ERRCODE = 'other';
/** Every value the errcode label takes: 0, each documented errcode, `other` and `none`. */
export const ERRCODE_LABELS: readonly string[] = [
  '0',
  ...Object.keys(WECHAT_ERRCODES),
  OTHER_ERRCODE,
  NO_ERRCODE,
];

/** The errcode label of a WeChat answer: from a fixed set, whatever WeChat answers. */
export function errcodeLabel(answer: SendAnswer): string {
  if (answer.kind === 'sent') return '0';
  const errcode = 'errcode' in answer ? answer.errcode : undefined;
  if (errcode === undefined) return NO_ERRCODE;
  return errcode in WECHAT_ERRCODES ? String(errcode) : OTHER_ERRCODE;
}

/**
 * The dispatcher's metrics. Every label comes from a fixed set (the configured appIds, lanes,
 * statuses, errcodes of the documented table, queue names), never from users or tokens; every
 * counter of `appIds` exists at 0 from the start, so that a rate or an alert has a series to read.
 */
export function createDispatcherMetrics(
  options: { defaultMetrics?: boolean; appIds?: readonly string[] } = {},
) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const housekeepingRemoved = new Counter({
    name: 'minapush_housekeeping_removed_total',
    help: 'rows housekeeping deleted (expired, spent and dead credits; history past RETENTION_DAYS), by table',
    labelNames: ['table'] as const,
    registers,
  });
  // every table's series exists from the start, so that a rate() over it never starts blank
  for (const table of Object.values(HOUSEKEEPING_TABLES)) housekeepingRemoved.inc({ table }, 0);
  const metrics = {
    registry,
    messagesFinished: new Counter({
      name: 'minapush_messages_finished_total',
      help: 'messages that reached a final status',
      labelNames: ['app', 'lane', 'status'] as const,
      registers,
    }),
    sendRetries: new Counter({
      name: 'minapush_message_retries_total',
      help: 'messages given back for a later attempt (WeChat unavailable, reply lost, no token)',
      labelNames: ['app', 'lane'] as const,
      registers,
    }),
    quotaPauses: new Counter({
      name: 'minapush_quota_pauses_total',
      help: 'times an app was paused by WeChat quotas; window="daily" (45009) needs attention',
      labelNames: ['app', 'window'] as const,
      registers,
    }),
    sendRate: new Gauge({
      name: 'minapush_send_rate_per_second',
      help: 'messages per second an app may send now (sendRatePerSecond, or less after a 45011)',
      labelNames: ['app'] as const,
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'minapush_send_batch_seconds',
      help: 'time a broadcast batch took, from its lease to its last outcome written',
      labelNames: ['app'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    sendLatency: new Histogram({
      name: 'minapush_send_latency_seconds',
      help: 'from a message stored (enqueued) to WeChat answering it sent; a broadcast message counts from its fan-out, quiet hours included',
      labelNames: ['app', 'lane'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3_600, 6 * 3_600, 86_400],
      registers,
    }),
    wechatAnswers: new Counter({
      name: 'minapush_wechat_answers_total',
      help: 'answers of WeChat to send calls by errcode: 0 sent, a documented errcode, "other" (undocumented), "none" (no reply or an HTTP error)',
      labelNames: ['app', 'errcode'] as const,
      registers,
    }),
    sendingBanned: new Counter({
      name: 'minapush_sending_banned_total',
      help: "WeChat answers 43107 (the app's sending capability or a template banned) that paused the app's running broadcasts: alert on any increase",
      labelNames: ['app'] as const,
      registers,
    }),
    leasesLost: new Counter({
      name: 'minapush_leases_lost_total',
      help: 'messages a dispatcher found taken over by another one when it came back (it had frozen past its lease)',
      labelNames: ['app'] as const,
      registers,
    }),
    jobsDeadLettered: new Counter({
      name: 'minapush_jobs_dead_lettered_total',
      help: 'jobs that failed their last attempt and wait in the failed set (Bull Board) for an operator',
      labelNames: ['queue'] as const,
      registers,
    }),
    reconciled: new Counter({
      name: 'minapush_reconciled_total',
      help: 'work Postgres still had that the reconciler gave a job again (re-queued), by kind; completedBroadcasts: broadcasts it found done',
      labelNames: ['kind'] as const,
      registers,
    }),
    housekeepingRemoved,
    // the ingest API has the same two for the syncs it makes (on demand, POST …/templates/sync)
    templateSyncs: new Counter({
      name: 'minapush_template_syncs_total',
      help: "syncs of an app's subscribe templates from WeChat, by outcome (ok, no_token, or the failed call's category)",
      labelNames: ['app', 'outcome'] as const,
      registers,
    }),
    templateRegistryUnreadable: new Gauge({
      name: 'minapush_template_registry_unreadable',
      help: "1 while the app's last template sync failed (its subscribe messages pass unvalidated), 0 after a good one",
      labelNames: ['app'] as const,
      registers,
    }),
  };
  for (const app of options.appIds ?? []) {
    metrics.templateSyncs.inc({ app, outcome: 'ok' }, 0);
    for (const lane of LANES) {
      for (const status of FINAL_STATUSES) metrics.messagesFinished.inc({ app, lane, status }, 0);
      metrics.sendRetries.inc({ app, lane }, 0);
      metrics.sendLatency.zero({ app, lane });
    }
    for (const window of QUOTA_WINDOWS) metrics.quotaPauses.inc({ app, window }, 0);
    for (const errcode of ERRCODE_LABELS) metrics.wechatAnswers.inc({ app, errcode }, 0);
    metrics.batchSeconds.zero({ app });
    metrics.leasesLost.inc({ app }, 0);
    metrics.sendingBanned.inc({ app }, 0);
    for (const queue of [messageQueueName(app), bulkQueueName(app)])
      metrics.jobsDeadLettered.inc({ queue }, 0);
  }
  for (const queue of [broadcastQueueName(), dispatcherMaintenanceCatalog.queue]) {
    metrics.jobsDeadLettered.inc({ queue }, 0);
  }
  for (const kind of RECONCILED_KINDS) metrics.reconciled.inc({ kind }, 0);
  return metrics;
}

export type DispatcherMetrics = ReturnType<typeof createDispatcherMetrics>;

/** How long a scrape's reading of Redis and Postgres serves the next scrapes. */
export const SCRAPE_MAX_AGE_MS = 5_000;

/**
 * The gauges read when /metrics is scraped: the depth of the queues this process works (BullMQ's
 * job counts) and the broadcasts by app and status with the progress of the unfinished ones (one
 * statement on Postgres), each read at most once per `maxAgeMs` whatever the number of scrapes.
 * Every app of `appIds` and every status has a series, 0 when there is nothing.
 */
export function collectOnScrape(
  metrics: DispatcherMetrics,
  sources: { queues: DispatcherQueues; db: Database; appIds: readonly string[]; maxAgeMs?: number },
): void {
  const maxAgeMs = sources.maxAgeMs ?? SCRAPE_MAX_AGE_MS;
  const registers = [metrics.registry];
  const appIds = new Set(sources.appIds);
  const watched = [
    ...sources.appIds.flatMap((appId) => {
      const transactional = sources.queues.transactional(appId);
      const bulk = sources.queues.bulk(appId);
      return [
        ...(transactional ? [{ queue: transactional, lane: 'transactional' as const }] : []),
        ...(bulk ? [{ queue: bulk, lane: 'bulk' as const }] : []),
      ];
    }),
    { queue: sources.queues.fanOut, lane: 'none' as const },
    { queue: sources.queues.maintenance, lane: 'none' as const },
  ];
  const readDepths = createQueueDepthReader(watched, { maxAgeMs });
  new Gauge({
    name: 'minapush_queue_depth',
    help: 'jobs in a queue this dispatcher works, by state (waiting, prioritized, active, delayed, failed), read on scrape',
    labelNames: ['queue', 'lane', 'state'] as const,
    registers,
    async collect() {
      const depths = await readDepths();
      this.reset();
      for (const depth of depths) {
        this.set({ queue: depth.queue, lane: depth.lane, state: depth.state }, depth.jobs);
      }
    },
  });

  // The three broadcast gauges share one reading: prom-client collects the gauges side by side,
  // each before it renders. While Postgres is down they keep their last values (/readyz says why).
  const readBroadcasts = createScrapeCache(() => countBroadcasts(sources.db), { maxAgeMs });
  const known = async () => {
    const counts = await readBroadcasts().catch(() => undefined);
    return counts?.filter((count) => appIds.has(count.appId));
  };
  const broadcasts: Gauge<'app' | 'status'> = new Gauge({
    name: 'minapush_broadcasts',
    help: 'broadcasts by status (kept for RETENTION_DAYS), read from Postgres on scrape',
    labelNames: ['app', 'status'] as const,
    registers,
    async collect() {
      const counts = await known();
      if (!counts) return;
      for (const app of appIds) for (const status of BROADCAST_STATUSES) broadcasts.set({ app, status }, 0);
      for (const count of counts)
        broadcasts.set({ app: count.appId, status: count.status }, count.broadcasts);
    },
  });
  const messages: Gauge<'app' | 'state'> = new Gauge({
    name: 'minapush_broadcast_messages',
    help: 'messages of running and paused broadcasts: state="total", and state="pending" still to send; progress is 1 - pending / total',
    labelNames: ['app', 'state'] as const,
    registers,
    async collect() {
      const counts = await known();
      if (!counts) return;
      for (const app of appIds) for (const state of ['total', 'pending']) messages.set({ app, state }, 0);
      for (const count of counts) {
        messages.inc({ app: count.appId, state: 'total' }, count.messages);
        messages.inc({ app: count.appId, state: 'pending' }, count.pending);
      }
    },
  });
  const waiting: Gauge<'app'> = new Gauge({
    name: 'minapush_broadcasts_waiting_quiet_hours',
    help: 'scheduled and running broadcasts whose batches wait for the end of their quiet hours',
    labelNames: ['app'] as const,
    registers,
    async collect() {
      const counts = await known();
      if (!counts) return;
      for (const app of appIds) waiting.set({ app }, 0);
      for (const count of counts) waiting.inc({ app: count.appId }, count.waitingForQuietHours);
    },
  });
}
