import { HOUSEKEEPING_TABLES } from '@minapush/housekeeping';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The ingest API's Prometheus metrics. Labels carry appIds and reasons, never users or secrets. */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
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
  return {
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
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
