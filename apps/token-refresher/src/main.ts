import { loadConfigOrExit, localUrl } from '@minapush/config';
import { createDatabase } from '@minapush/db';
import { createLogger } from '@minapush/logger';
import { createRedisConnection, redisKeys, tokenRefreshCatalog } from '@minapush/queues';
import { createTokenService, logTokenEvent } from '@minapush/tokens';
import { createWechatClient } from '@minapush/wechat';
import { Queue } from 'bullmq';
import { loadConfig } from './config.js';
import { createRefresherMetrics } from './metrics.js';
import { createTokenRefreshWorker } from './refresh-worker.js';
import { scheduleTokenRefreshes } from './schedule-refreshes.js';
import { createServer } from './server.js';

const SHUTDOWN_TIMEOUT_MS = 10_000;

const config = loadConfigOrExit('token-refresher', loadConfig);
const logger = createLogger({ name: 'token-refresher', level: config.logLevel });
const db = createDatabase({ url: config.databaseUrl, maxConnections: 4 });
const redis = createRedisConnection(config.redis, 'worker');
redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
const wechat = createWechatClient({ baseUrl: config.wechatApiBaseUrl, timeoutMs: config.wechatTimeoutMs });
const queue = new Queue(tokenRefreshCatalog.queue, { connection: redis, prefix: config.queuePrefix });
const keys = redisKeys(config.queuePrefix);
const metrics = createRefresherMetrics({
  defaultMetrics: true,
  appIds: config.apps.map((app) => app.appId),
  queues: [{ queue, lane: 'none' }],
  quotas: { redis, keys },
});
const tokens = createTokenService({
  redis,
  wechat,
  db,
  apps: config.apps,
  keyPrefix: config.queuePrefix,
  automaticShare: config.automaticShare,
  leaseMs: 3 * config.wechatTimeoutMs,
  onEvent: (event) => {
    logTokenEvent(logger, event);
    metrics.record(event);
  },
});

const worker = createTokenRefreshWorker({
  connection: redis,
  prefix: config.queuePrefix,
  tokens,
  logger,
  quotas: { wechat, redis, keys },
});
worker.on('error', (error) => logger.warn({ err: error }, 'token refresh worker error'));

await scheduleTokenRefreshes(queue, config.apps, config.checkIntervalMs, config.quotaReadIntervalMs);
logger.info(
  {
    apps: config.apps.map((a) => ({ appId: a.appId, tokenMode: a.tokenMode })),
    everyMs: config.checkIntervalMs,
    quotaEveryMs: config.quotaReadIntervalMs,
  },
  'token refresh scheduled (and quota reading)',
);

const server = createServer({ apps: config.apps, tokens, db, redis, metrics }).listen(
  config.port,
  config.host,
  // express 5 calls back with the error too (the 'error' listener below reports it)
  (error?: Error) => {
    if (error) return;
    logger.info(
      { host: config.host, port: config.port },
      `token-refresher health on ${localUrl(config.host, config.port)}/readyz`,
    );
  },
);
// The health port serves operators; a clash must not stop the work itself.
server.on('error', (error: NodeJS.ErrnoException) => {
  logger.error(
    { port: config.port, code: error.code },
    `health and metrics server not started (set TOKEN_REFRESHER_PORT to a free port); token-refresher keeps running`,
  );
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS).unref();
  server.close();
  await worker.close();
  await queue.close();
  await Promise.allSettled([redis.quit(), db.$disconnect(), wechat.close()]);
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
