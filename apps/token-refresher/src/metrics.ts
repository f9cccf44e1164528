import {
  createQueueDepthReader,
  type Redis,
  type RedisKeys,
  readQuotaReadings,
  type WatchedQueue,
} from '@minapush/queues';
import type { TokenEvent } from '@minapush/tokens';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

const FETCH_OUTCOMES = ['ok', 'failed', 'misconfigured'] as const;
const FETCH_KINDS = ['automatic', 'passive'] as const;

/** How long a scrape's reading of the queue depth serves the next scrapes. */
export const SCRAPE_MAX_AGE_MS = 5_000;

/**
 * The refresher's metrics; `app` labels are appIds, never tokens or secrets. The counters of
 * `appIds` exist at 0 from the start. With `queues`, `minapush_queue_depth` of the token-refresh
 * queue is read from BullMQ on scrape (at most once per `maxAgeMs`).
 */
export function createRefresherMetrics(
  options: {
    defaultMetrics?: boolean;
    appIds?: readonly string[];
    queues?: readonly WatchedQueue[];
    maxAgeMs?: number;
    /** where the quota readings are (Redis), for `minapush_wechat_quota` */
    quotas?: { redis: Redis; keys: RedisKeys };
  } = {},
) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const fetches = new Counter({
    name: 'minapush_token_fetches_total',
    help: 'access_token fetches by outcome',
    labelNames: ['app', 'outcome'] as const,
    registers,
  });
  const budgetExhausted = new Counter({
    name: 'minapush_token_budget_exhausted_total',
    help: 'fetches refused because the daily budget is used up (alert on any increase)',
    labelNames: ['app', 'kind'] as const,
    registers,
  });
  const appHealthy = new Gauge({
    name: 'minapush_token_app_healthy',
    help: '1 when WeChat accepts the app credentials, 0 when it refuses them (misconfiguration)',
    labelNames: ['app'] as const,
    registers,
  });
  const expiresIn = new Gauge({
    name: 'minapush_token_expires_in_seconds',
    help: 'seconds left on the current access_token',
    labelNames: ['app'] as const,
    registers,
  });
  const fetchesToday = new Gauge({
    name: 'minapush_token_fetches_today',
    help: 'access_token fetches counted against the app daily budget (China day)',
    labelNames: ['app'] as const,
    registers,
  });

  for (const app of options.appIds ?? []) {
    for (const outcome of FETCH_OUTCOMES) fetches.inc({ app, outcome }, 0);
    for (const kind of FETCH_KINDS) budgetExhausted.inc({ app, kind }, 0);
  }
  if (options.queues) {
    const readDepths = createQueueDepthReader(options.queues, {
      maxAgeMs: options.maxAgeMs ?? SCRAPE_MAX_AGE_MS,
    });
    new Gauge({
      name: 'minapush_queue_depth',
      help: 'jobs in a queue this process works, by state (waiting, prioritized, active, delayed, failed), read on scrape',
      labelNames: ['queue', 'lane', 'state'] as const,
      registers,
      async collect() {
        const depths = await readDepths();
        this.reset();
        for (const depth of depths)
          this.set({ queue: depth.queue, lane: depth.lane, state: depth.state }, depth.jobs);
      },
    });
  }

  const { quotas } = options;
  if (quotas) {
    const appIds = options.appIds ?? [];
    new Gauge({
      name: 'minapush_wechat_quota',
      help: "an app's daily WeChat quota of an API as last read (quota/get, every QUOTA_READ_INTERVAL_MS): field daily_limit, used or remain",
      labelNames: ['app', 'api', 'field'] as const,
      registers,
      async collect() {
        // the readings of every refresher process, wherever the reading job ran
        const readings = await readQuotaReadings(quotas.redis, quotas.keys, appIds).catch(() => undefined);
        if (!readings) return;
        this.reset();
        for (const [app, byApi] of readings) {
          for (const [api, reading] of Object.entries(byApi)) {
            this.set({ app, api, field: 'daily_limit' }, reading.dailyLimit);
            this.set({ app, api, field: 'used' }, reading.used);
            this.set({ app, api, field: 'remain' }, reading.remain);
          }
        }
      },
    });
  }

  function record(event: TokenEvent) {
    if (event.type === 'fetched') fetches.inc({ app: event.appId, outcome: 'ok' });
    if (event.type === 'fetch_failed') {
      fetches.inc({ app: event.appId, outcome: event.misconfiguration ? 'misconfigured' : 'failed' });
    }
    if (event.type === 'budget_exhausted') budgetExhausted.inc({ app: event.appId, kind: event.kind });
  }

  return { registry, record, appHealthy, expiresIn, fetchesToday };
}

export type RefresherMetrics = ReturnType<typeof createRefresherMetrics>;
