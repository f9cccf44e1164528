import type { WechatAppConfig } from '@minapush/config';
import type { Database } from '@minapush/db';
import { type HousekeepingSettings, removedByTable, runHousekeeping } from '@minapush/housekeeping';
import type { Logger } from '@minapush/logger';
import { enqueuePushEvent, type Redis, redisKeys } from '@minapush/queues';
import { countTemplateSyncs, createTemplateRegistry } from '@minapush/templates';
import type { TokenService } from '@minapush/tokens';
import type { WechatClient } from '@minapush/wechat';
import type { Queue } from 'bullmq';
import express, { type Express, type Request } from 'express';
import { pinoHttp } from 'pino-http';
import { type AdminSettings, createAdminRouter } from './admin/admin-routes.js';
import { createBroadcastsRouter } from './broadcasts/broadcasts-routes.js';
import type { TrustProxy } from './config.js';
import { createCreditIngestProducer } from './credits/credit-ingest-producer.js';
import { createCreditInventoryRouter } from './credits/credit-inventory-routes.js';
import { createFormIdsRouter } from './credits/form-ids-route.js';
import { createSeenFormIds } from './credits/seen-form-ids.js';
import { createSubscriptionsRouter } from './credits/subscriptions-route.js';
import { createHealthRouter } from './health/health-routes.js';
import { createHousekeepingRouter } from './housekeeping/housekeeping-routes.js';
import { authenticate, createApiKeyCheck } from './http/authenticate.js';
import { createErrorHandler, notFoundHandler } from './http/error-handler.js';
import { createMessagesRouter } from './messages/messages-routes.js';
import type { Metrics } from './metrics/metrics.js';
import { createDocsRouter } from './openapi/docs-routes.js';
import { createPushEventsRouter } from './push/push-events-route.js';
import { createLoginRateLimit } from './sessions/login-rate-limit.js';
import type { SessionTokens } from './sessions/session-tokens.js';
import { createSessionsRouter } from './sessions/sessions-route.js';
import { createTemplatesRouter } from './templates/templates-routes.js';
import { createAccessTokenRouter } from './tokens/access-token-routes.js';

export interface ServerDeps {
  /** the configured apps; the first is the default */
  apps: readonly WechatAppConfig[];
  apiKeys: readonly string[];
  sessions: SessionTokens;
  /** HTTP Basic credentials of /admin, and whether it is read-only; undefined: admin disabled */
  admin: AdminSettings | undefined;
  wechat: WechatClient;
  /** the central access_token of each app */
  tokens: TokenService;
  db: Database;
  /** a producer connection: fails fast when Redis is down */
  redis: Redis;
  creditQueue: Queue;
  /** where POST /v1/broadcasts adds each broadcast's fan-out job */
  fanOutQueue: Queue;
  /** the queues shown in Bull Board: every queue of the deployment (`deploymentQueueNames`) */
  boardQueues: readonly Queue[];
  /** BullMQ prefix; also namespaces the ingest API's own Redis keys */
  queuePrefix: string;
  metrics: Metrics;
  logger: Logger;
  /** POST /v1/sessions per client address per minute; 0 = no limit */
  loginRateLimitPerMinute: number;
  /** which reverse proxies' X-Forwarded-For gives the client address (`false`: none) */
  trustProxy: TrustProxy;
  /** what POST /v1/housekeeping/run keeps (RETENTION_DAYS), and of which apps (all when absent) */
  housekeeping: Pick<HousekeepingSettings, 'retentionDays' | 'appIds'>;
  /** the shortest time between two on-demand template syncs of one app (default 10 s) */
  templateSyncWindowMs?: number;
  now?: () => Date;
}

/** The route label of requests that matched no route, whatever their path. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * A request's route for metric labels: the pattern it matched (`/v1/messages/:id`), never its
 * path, so that what clients send cannot grow the number of series. A request that matched no
 * route (a 404, a body that failed to parse before routing, static files) is `unmatched`.
 * Routers are mounted at fixed paths, so `baseUrl` is one of them, never a client's path.
 */
function routeLabel(req: Request): string {
  // a pattern is a string, or a list or RegExp of them fixed when the route was declared
  return req.route ? `${req.baseUrl}${String(req.route.path)}` : UNMATCHED_ROUTE;
}

export function createServer(deps: ServerDeps): Express {
  const now = deps.now ?? (() => new Date());
  const app = express();
  app.disable('x-powered-by');
  // the client address that POST /v1/sessions is rate limited by
  app.set('trust proxy', deps.trustProxy);

  // Request logs are info-level lines; below that level the middleware would still cost a child
  // logger per request, so it is left out.
  if (deps.logger.isLevelEnabled('info')) {
    app.use(
      pinoHttp({
        logger: deps.logger,
        quietReqLogger: true,
        autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
      }),
    );
  }
  app.use((req, res, next) => {
    const stop = deps.metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const labels = { method: req.method, route: routeLabel(req) };
      stop(labels);
      deps.metrics.httpRequests.inc({ ...labels, status: String(res.statusCode) });
    });
    next();
  });
  // Bodies are read by each route (`readBody`), after its authentication: none is read here.

  const producer = createCreditIngestProducer(deps.creditQueue, deps.redis);
  const templates = createTemplateRegistry({
    db: deps.db,
    redis: deps.redis,
    keys: redisKeys(deps.queuePrefix),
    wechat: deps.wechat,
    tokens: deps.tokens,
    logger: deps.logger,
    now: () => now().getTime(),
    ...(deps.templateSyncWindowMs === undefined ? {} : { onDemandWindowMs: deps.templateSyncWindowMs }),
    onSync: countTemplateSyncs(deps.metrics),
  });
  const isApiKey = createApiKeyCheck(deps.apiKeys);
  const sessionOrApiKey = authenticate({ isApiKey, sessions: deps.sessions, allow: ['session', 'api_key'] });
  const apiKeyOnly = authenticate({ isApiKey, sessions: deps.sessions, allow: ['api_key'] });

  app.use(
    createHealthRouter({
      db: deps.db,
      redis: deps.redis,
      keys: redisKeys(deps.queuePrefix),
      appIds: deps.apps.map((a) => a.appId),
      tokens: deps.tokens,
    }),
  );
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.use(createDocsRouter());
  app.use(
    createSessionsRouter({
      apps: deps.apps,
      wechat: deps.wechat,
      sessions: deps.sessions,
      producer,
      limitLogins: createLoginRateLimit({
        redis: deps.redis,
        keyPrefix: redisKeys(deps.queuePrefix).loginRateWindow,
        perMinute: deps.loginRateLimitPerMinute,
      }),
      metrics: deps.metrics,
      logger: deps.logger,
      now,
    }),
  );
  app.use(
    createFormIdsRouter({
      apps: deps.apps,
      authenticate: sessionOrApiKey,
      producer,
      seenFormIds: createSeenFormIds(deps.redis, deps.queuePrefix),
      metrics: deps.metrics,
      now,
    }),
  );
  app.use(
    createSubscriptionsRouter({
      apps: deps.apps,
      authenticate: sessionOrApiKey,
      producer,
      metrics: deps.metrics,
      now,
    }),
  );
  app.use(
    createPushEventsRouter({
      apps: deps.apps,
      db: deps.db,
      enqueue: async (eventId) => {
        // BullMQ would wait for a connection that is not ready; the sweep enqueues the event later
        if (deps.redis.status !== 'ready') throw new Error(`redis connection is ${deps.redis.status}`);
        await enqueuePushEvent(deps.creditQueue, { eventId });
      },
      metrics: deps.metrics,
      logger: deps.logger,
      now,
    }),
  );
  app.use(
    createMessagesRouter({
      producer: {
        db: deps.db,
        redis: deps.redis,
        prefix: deps.queuePrefix,
        // WECHAT_APPS lists at least one app; without any, every message is refused as unknown_app
        defaultAppId: deps.apps[0]?.appId ?? '',
        appIds: deps.apps.map((candidate) => candidate.appId),
        now,
      },
      authenticate: apiKeyOnly,
      templates,
    }),
  );
  app.use(
    createBroadcastsRouter({
      db: deps.db,
      redis: deps.redis,
      queuePrefix: deps.queuePrefix,
      sendRates: Object.fromEntries(
        deps.apps.map((candidate) => [candidate.appId, candidate.sendRatePerSecond]),
      ),
      logger: deps.logger,
      fanOutQueue: deps.fanOutQueue,
      defaultAppId: deps.apps[0]?.appId ?? '',
      appIds: deps.apps.map((candidate) => candidate.appId),
      authenticate: apiKeyOnly,
      templates,
      quietHoursOf: (appId) => deps.apps.find((candidate) => candidate.appId === appId)?.quietHours,
      now,
    }),
  );
  app.use(
    createCreditInventoryRouter({
      db: deps.db,
      appIds: deps.apps.map((candidate) => candidate.appId),
      authenticate: apiKeyOnly,
      now,
    }),
  );
  app.use(
    createTemplatesRouter({
      registry: templates,
      appIds: deps.apps.map((candidate) => candidate.appId),
      authenticate: apiKeyOnly,
    }),
  );
  app.use(createAccessTokenRouter({ tokens: deps.tokens, authenticate: apiKeyOnly }));
  app.use(
    createHousekeepingRouter({
      authenticate: apiKeyOnly,
      redis: deps.redis,
      run: () =>
        runHousekeeping(
          {
            db: deps.db,
            redis: deps.redis,
            keys: redisKeys(deps.queuePrefix),
            logger: deps.logger,
            settings: deps.housekeeping,
            now: () => now().getTime(),
            onRemoved: (removed) => {
              for (const [table, count] of removedByTable(removed))
                deps.metrics.housekeepingRemoved.inc({ table }, count);
            },
          },
          'manual',
        ),
    }),
  );
  app.use(
    createAdminRouter({
      admin: deps.admin,
      queues: deps.boardQueues,
      apps: deps.apps,
      db: deps.db,
      redis: deps.redis,
      tokens: deps.tokens,
      queuePrefix: deps.queuePrefix,
      fanOutQueue: deps.fanOutQueue,
      logger: deps.logger,
      now,
    }),
  );
  app.use(notFoundHandler);
  app.use(createErrorHandler(deps.logger));
  return app;
}
