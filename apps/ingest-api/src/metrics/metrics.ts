import { HOUSEKEEPING_TABLES } from '@minapush/housekeeping';
import { createQueueDepthReader, creditIngestCatalog, type WatchedQueue } from '@minapush/queues';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RejectionReason } from '../credits/form-id-intake.js';
import { PUSH_EVENT_LABELS, PUSH_REFUSAL_REASONS } from '../push/push-outcomes.js';

const CREDIT_KINDS = ['form_id', 'prepay_id', 'subscribe'] as const;
const REJECTION_REASONS: readonly RejectionReason[] = ['mock', 'duplicate', 'expired', 'malformed'];

/** How long a scrape's reading of the queue depths serves the next scrapes. */
export const SCRAPE_MAX_AGE_MS = 5_000;

/**
 * The ingest API's Prometheus metrics. Labels carry appIds, kinds, reasons and fixed names, never
 * users or secrets; the counters of `appIds` with fixed label sets exist at 0 from the start.
 */
export function createMetrics(options: { defaultMetrics?: boolean; appIds?: readonly string[] } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // the dispatcher's counter of the same name counts its scheduled runs; this one the runs
  // POST /v1/housekeeping/run made in this process (Prometheus sums them)
  const housekeepingRemoved = new Counter({
    name: 'minapush_housekeeping_removed_total',
    help: 'rows housekeeping deleted (expired, spent and dead credits; history past RETENTION_DAYS), by table',
    labelNames: ['table'] as const,
    registers,
  });
  for (const table of Object.values(HOUSEKEEPING_TABLES)) housekeepingRemoved.inc({ table }, 0);
  const metrics = {
    registry,
    httpRequests: new Counter({
      name: 'minapush_http_requests_total',
      help: 'HTTP requests answered, by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'minapush_http_request_duration_seconds',
      help: 'Time to answer HTTP requests',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    creditsAccepted: new Counter({
      name: 'minapush_credits_accepted_total',
      help: 'Send credits accepted for storage',
      labelNames: ['app', 'kind'] as const,
      registers,
    }),
    creditsRejected: new Counter({
      name: 'minapush_credits_rejected_total',
      help: 'formIds refused at ingest, by reason',
      labelNames: ['app', 'reason'] as const,
      registers,
    }),
    jobsDeadLettered: new Counter({
      name: 'minapush_jobs_dead_lettered_total',
      help: 'jobs that failed their last attempt and wait in the failed set (Bull Board) for an operator',
      labelNames: ['queue'] as const,
      registers,
    }),
    logins: new Counter({
      name: 'minapush_logins_total',
      help: 'POST /v1/sessions outcomes',
      labelNames: ['app', 'outcome'] as const,
      registers,
    }),
    housekeepingRemoved,
    // the dispatcher has the same two for its scheduled syncs; these count the syncs this process
    // made (POST /v1/apps/:appId/templates/sync, and a send naming a template not seen yet)
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
    pushEvents: new Counter({
      name: 'minapush_wechat_push_events_total',
      help: 'events WeChat pushed and minapush acknowledged, by kind (popup, change, sent, unknown; duplicate: a retry of one already stored)',
      labelNames: ['app', 'event'] as const,
      registers,
    }),
    pushRefused: new Counter({
      name: 'minapush_wechat_push_refused_total',
      help: 'pushes to /v1/apps/:appId/wechat/events refused, by reason (bad_signature, stale_timestamp, malformed, …)',
      labelNames: ['app', 'reason'] as const,
      registers,
    }),
    deliveryFailures: new Counter({
      name: 'minapush_wechat_delivery_failures_total',
      help: 'deliveries WeChat reported as failed (subscribe_msg_sent_event with an ErrorCode), by errcode',
      labelNames: ['app', 'errcode'] as const,
      registers,
    }),
    deliveryReportsUnmatched: new Counter({
      name: 'minapush_wechat_delivery_reports_unmatched_total',
      help: 'delivery reports (sent events) given up on because no message has their msgid',
      labelNames: ['app'] as const,
      registers,
    }),
  };
  for (const app of options.appIds ?? []) {
    for (const kind of CREDIT_KINDS) metrics.creditsAccepted.inc({ app, kind }, 0);
    for (const reason of REJECTION_REASONS) metrics.creditsRejected.inc({ app, reason }, 0);
    metrics.logins.inc({ app, outcome: 'ok' }, 0);
    metrics.templateSyncs.inc({ app, outcome: 'ok' }, 0);
    for (const event of PUSH_EVENT_LABELS) metrics.pushEvents.inc({ app, event }, 0);
    for (const reason of PUSH_REFUSAL_REASONS) metrics.pushRefused.inc({ app, reason }, 0);
    metrics.deliveryReportsUnmatched.inc({ app }, 0);
  }
  metrics.jobsDeadLettered.inc({ queue: creditIngestCatalog.queue }, 0);
  return metrics;
}

/**
 * `minapush_queue_depth` of the queues the ingest API works (credit-ingest), read from BullMQ on
 * scrape, at most once per `maxAgeMs`. The dispatcher reports the send, fan-out and maintenance
 * queues, the token refresher its own: each queue is reported by the app that works it.
 */
export function collectQueueDepth(
  metrics: Metrics,
  watched: readonly WatchedQueue[],
  maxAgeMs = SCRAPE_MAX_AGE_MS,
): void {
  const readDepths = createQueueDepthReader(watched, { maxAgeMs });
  new Gauge({
    name: 'minapush_queue_depth',
    help: 'jobs in a queue this process works, by state (waiting, prioritized, active, delayed, failed), read on scrape',
    labelNames: ['queue', 'lane', 'state'] as const,
    registers: [metrics.registry],
    async collect() {
      const depths = await readDepths();
      this.reset();
      for (const depth of depths)
        this.set({ queue: depth.queue, lane: depth.lane, state: depth.state }, depth.jobs);
    },
  });
}

export type Metrics = ReturnType<typeof createMetrics>;
