import { loadConfigOrExit, localUrl } from '@minapush/config';
import { createDatabase } from '@minapush/db';
import { createLogger } from '@minapush/logger';
import { createRedisConnection, redisKeys } from '@minapush/queues';
import { countTemplateSyncs, createTemplateRegistry } from '@minapush/templates';
import { createTokenService, logTokenEvent } from '@minapush/tokens';
import { createWechatClient } from '@minapush/wechat';
import { loadConfig } from './config.js';
import { startDispatcher } from './dispatcher.js';
import { collectOnScrape, createDispatcherMetrics } from './metrics.js';
import { createDispatcherQueues } from './queues.js';
import { createServer } from './server.js';

const config = loadConfigOrExit('dispatcher', loadConfig);
const logger = createLogger({ name: 'dispatcher', level: config.logLevel });
// A statement in flight per single message and a few per batch; the reconciler and fan-out besides.
const db = createDatabase({
  url: config.databaseUrl,
  maxConnections: Math.min(100, config.concurrency + 4 * config.batchConcurrency + 6),
});
const connection = createRedisConnection(config.redis, 'worker');
connection.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
const wechat = createWechatClient({
  baseUrl: config.wechatApiBaseUrl,
  timeoutMs: config.wechatTimeoutMs,
  connections: config.wechatConnections,
});
const appIds = config.apps.map((app) => app.appId);
const metrics = createDispatcherMetrics({ defaultMetrics: true, appIds });
const tokens = createTokenService({
  redis: connection,
  wechat,
  db,
  apps: config.apps,
  keyPrefix: config.queuePrefix,
  leaseMs: 3 * config.wechatTimeoutMs,
  // every send needs the token: a second's reuse spares Redis a read per single message
  localCacheMs: 1_000,
  onEvent: (event) => logTokenEvent(logger, event),
});
const queues = createDispatcherQueues(connection, config.queuePrefix, config.apps);
// reads the central token only: the token-refresher is the one fetcher
const templateRegistry = createTemplateRegistry({
  db,
  redis: connection,
  keys: redisKeys(config.queuePrefix),
  wechat,
  tokens,
  logger,
  onSync: countTemplateSyncs(metrics),
});
collectOnScrape(metrics, { queues, db, appIds });

const dispatcher = startDispatcher({
  apps: config.apps,
  db,
  connection,
  queues,
  prefix: config.queuePrefix,
  wechat,
  tokens,
  logger,
  metrics,
  concurrency: config.concurrency,
  batchConcurrency: config.batchConcurrency,
  batchSendConcurrency: config.batchSendConcurrency,
  batchSize: config.batchSize,
  leaseMs: config.leaseMs,
  creditExpiryMarginMs: config.creditExpiryMarginMs,
  callTimeoutMs: config.wechatTimeoutMs,
  reconcileIntervalMs: config.reconcileIntervalMs,
  reconcileGraceMs: config.reconcileGraceMs,
  sendRateRecoveryMs: config.sendRateRecoveryMs,
  housekeeping: config.housekeeping,
  templateSync: { cron: config.templateSync.cron, registry: templateRegistry },
  lockDurationMs: config.jobLockMs,
});
logger.info(
  {
    apps: config.apps.map((a) => ({ appId: a.appId, sendRatePerSecond: a.sendRatePerSecond })),
    concurrency: config.concurrency,
    batchConcurrency: config.batchConcurrency,
    batchSendConcurrency: config.batchSendConcurrency,
    housekeeping: config.housekeeping,
    templateSync: config.templateSync,
  },
  'dispatcher started',
);

// express 5 calls back with the error too (the 'error' listener below reports it)
const server = createServer({ db, redis: connection, metrics }).listen(
  config.port,
  config.host,
  (error?: Error) => {
    if (error) return;
    logger.info(
      { host: config.host, port: config.port },
      `dispatcher health on ${localUrl(config.host, config.port)}/readyz`,
    );
  },
);
// The health port serves operators; a clash must not stop the work itself.
server.on('error', (error: NodeJS.ErrnoException) => {
  logger.error(
    { port: config.port, code: error.code },
    `health and metrics server not started (set DISPATCHER_PORT to a free port); dispatcher keeps running`,
  );
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: no new jobs, finishing the ones in flight');
  const hardStop = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 2_000);
  hardStop.unref();
  server.close();
  await dispatcher.close(config.shutdownTimeoutMs);
  await queues.close();
  connection.disconnect();
  await Promise.race([
    Promise.allSettled([db.$disconnect(), wechat.close()]),
    new Promise((r) => setTimeout(r, 1_000)),
  ]);
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
