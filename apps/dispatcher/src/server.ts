import { type Database, pingDatabase } from '@minapush/db';
import { pingRedis, type Redis } from '@minapush/queues';
import express, { type Express } from 'express';
import type { DispatcherMetrics } from './metrics.js';

/** The dispatcher's operational surface: /healthz, /readyz (Postgres and Redis) and /metrics. */
export function createServer(deps: { db: Database; redis: Redis; metrics: DispatcherMetrics }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const [postgres, redis] = await Promise.all([pingDatabase(deps.db), pingRedis(deps.redis)]);
    const checks = { postgres: postgres ? 'up' : 'down', redis: redis ? 'up' : 'down' };
    if (postgres && redis) {
      res.json({ status: 'ready', checks });
      return;
    }
    const down = Object.entries(checks)
      .filter(([, state]) => state === 'down')
      .map(([name]) => name);
    res
      .status(503)
      .json({ error: { code: 'not_ready', message: `${down.join(' and ')} down`, details: checks } });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return app;
}
