import type { WechatAppConfig } from '@minapush/config';
import { type Database, pingDatabase } from '@minapush/db';
import { pingRedis, type Redis } from '@minapush/queues';
import type { TokenService } from '@minapush/tokens';
import express, { type Express } from 'express';
import type { RefresherMetrics } from './metrics.js';

export interface RefresherServerDeps {
  apps: readonly WechatAppConfig[];
  tokens: TokenService;
  db: Database;
  redis: Redis;
  metrics: RefresherMetrics;
  now?: () => number;
}

/** The refresher's operational surface: /healthz, /readyz (Postgres, Redis, each app) and /metrics. */
export function createServer(deps: RefresherServerDeps): Express {
  const now = deps.now ?? Date.now;
  const app = express();
  app.disable('x-powered-by');

  async function appStates() {
    return Promise.all(
      deps.apps.map(async (config) => {
        const health = await deps.tokens.readHealth(config.appId).catch(() => undefined);
        return { appId: config.appId, health };
      }),
    );
  }

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const [postgres, redis] = await Promise.all([pingDatabase(deps.db), pingRedis(deps.redis)]);
    const apps = redis ? await appStates() : [];
    const unhealthy = apps.filter((state) => state.health && !state.health.healthy);
    const checks = {
      postgres: postgres ? 'up' : 'down',
      redis: redis ? 'up' : 'down',
      apps: Object.fromEntries(
        apps.map(({ appId, health }) => [
          appId,
          health?.healthy === false
            ? { status: 'misconfigured', errcode: health.errcode, code: health.code }
            : { status: 'ok' },
        ]),
      ),
    };
    if (postgres && redis && unhealthy.length === 0) {
      res.json({ status: 'ready', checks });
      return;
    }
    const problems = [
      ...(postgres ? [] : ['postgres is down']),
      ...(redis ? [] : ['redis is down']),
      ...unhealthy.map(({ appId }) => `app ${appId} is misconfigured (WeChat refuses its credentials)`),
    ];
    res.status(503).json({ error: { code: 'not_ready', message: problems.join('; '), details: checks } });
  });

  app.get('/metrics', async (_req, res) => {
    for (const { appId, health } of await appStates().catch(() => [])) {
      if (health) deps.metrics.appHealthy.set({ app: appId }, health.healthy ? 1 : 0);
      const token = await deps.tokens.peek(appId).catch(() => undefined);
      if (token)
        deps.metrics.expiresIn.set({ app: appId }, Math.max(0, Math.round((token.expiresAt - now()) / 1000)));
      const used = await deps.tokens.fetchesToday(appId).catch(() => undefined);
      if (used !== undefined) deps.metrics.fetchesToday.set({ app: appId }, used);
    }
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  return app;
}
