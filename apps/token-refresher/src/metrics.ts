import type { TokenEvent } from '@minapush/tokens';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** The refresher's metrics; `app` labels are appIds, never tokens or secrets. */
export function createRefresherMetrics(options: { defaultMetrics?: boolean } = {}) {
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
