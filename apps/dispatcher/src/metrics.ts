import { HOUSEKEEPING_TABLES } from '@minapush/housekeeping';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The dispatcher's metrics; labels are appIds, lanes, statuses and fixed names, never users or tokens. */
export function createDispatcherMetrics(options: { defaultMetrics?: boolean } = {}) {
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
  return {
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
      help: 'work Postgres still had that the reconciler gave a job again, by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    housekeepingRemoved,
  };
}

export type DispatcherMetrics = ReturnType<typeof createDispatcherMetrics>;
