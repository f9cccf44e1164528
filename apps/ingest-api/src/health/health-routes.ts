import { type Database, pingDatabase } from '@minapush/db';
import {
  pingRedis,
  type QuotaReading,
  type Redis,
  type RedisKeys,
  readQuotaReadings,
} from '@minapush/queues';
import type { TokenService } from '@minapush/tokens';
import { Router } from 'express';

/**
 * /healthz: the process runs. /readyz: Postgres and Redis answer (503 naming which is down). It also
 * reports whether WeChat accepts each app's credentials, and the last reading of each app's daily
 * WeChat quota (the token-refresher reads it), as detail: a misconfigured app, or a quota never
 * read, does not make this API unready, since everything but sending still works.
 */
export function createHealthRouter(deps: {
  db: Database;
  redis: Redis;
  keys: RedisKeys;
  appIds: readonly string[];
  tokens: Pick<TokenService, 'readHealth'>;
}): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [postgres, redis] = await Promise.all([pingDatabase(deps.db), pingRedis(deps.redis)]);
    const checks = { postgres: postgres ? 'up' : 'down', redis: redis ? 'up' : 'down' };
    if (postgres && redis) {
      const apps: Record<
        string,
        { status: string; errcode?: number | undefined; quota?: Record<string, QuotaReading> }
      > = {};
      const quotas = await readQuotaReadings(deps.redis, deps.keys, deps.appIds).catch(() => undefined);
      for (const appId of deps.appIds) {
        const health = await deps.tokens.readHealth(appId).catch(() => undefined);
        const quota = quotas?.get(appId);
        apps[appId] = {
          ...(health && !health.healthy
            ? { status: 'misconfigured', errcode: health.errcode }
            : { status: 'ok' }),
          ...(quota && Object.keys(quota).length > 0 ? { quota } : {}),
        };
      }
      res.json({ status: 'ready', checks, apps });
      return;
    }
    const down = Object.entries(checks)
      .filter(([, state]) => state === 'down')
      .map(([name]) => name);
    res.status(503).json({
      error: {
        code: 'not_ready',
        message: `${down.join(' and ')} ${down.length > 1 ? 'are' : 'is'} down`,
        details: checks,
      },
    });
  });
  return router;
}
