import { loadConfigOrExit, localUrl } from '@minapush/config';
import { createDatabase } from '@minapush/db';
import { createLogger } from '@minapush/logger';
import {
  broadcastQueueName,
  closeMessageQueues,
  createRedisConnection,
  creditIngestCatalog,
  isDeadLettered,
  schedulePushEventSweep,
} from '@minapush/queues';
import { createTokenService, logTokenEvent } from '@minapush/tokens';
import { createWechatClient } from '@minapush/wechat';
import { Queue } from 'bullmq';
import { createBoardQueues } from './admin/board-queues.js';
import { loadConfig } from './config.js';
import { createCreditIngestWorker } from './credits/credit-ingest-worker.js';
import { collectQueueDepth, createMetrics } from './metrics/metrics.js';
import { createServer } from './server.js';
import { createSessionTokens } from './sessions/session-tokens.js';

const SHUTDOWN_TIMEOUT_MS = 10_000;

const config = loadConfigOrExit('ingest-api', loadConfig);
const logger = createLogger({ name: 'ingest-api', level: config.logLevel });
if (config.weakSessionSecret) {
  logger.warn(
    'SESSION_SECRET is shorter than 32 characters: session tokens are easier to forge; use a longer one',
  );
}

const db = createDatabase({ url: config.databaseUrl });
const producer = createRedisConnection(config.redis, 'producer');
const workerConnection = createRedisConnection(config.redis, 'worker');
for (const connection of [producer, workerConnection]) {
  connection.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
}
const creditQueue = new Queue(creditIngestCatalog.queue, {
  connection: producer,
  prefix: config.queuePrefix,
});
// POST /v1/broadcasts adds to it; a failed add rejects and is answered 503 (errors are logged above)
const fanOutQueue = new Queue(broadcastQueueName(), { connection: producer, prefix: config.queuePrefix });
fanOutQueue.on('error', () => undefined);
// Bull Board shows every queue of the deployment (both send lanes of each app, fan-outs, token
// refresh, credit intake, the reconciler's and housekeeping's); POST /v1/messages adds to the send
// queues through its own instances.
const boardQueues = createBoardQueues({
  connection: producer,
  prefix: config.queuePrefix,
  appIds: config.apps.map((app) => app.appId),
  reuse: [creditQueue, fanOutQueue],
});
const wechat = createWechatClient({ baseUrl: config.wechatApiBaseUrl, timeoutMs: config.wechatTimeoutMs });
const tokens = createTokenService({
  redis: producer,
  wechat,
  db,
  apps: config.apps,
  keyPrefix: config.queuePrefix,
  leaseMs: 3 * config.wechatTimeoutMs,
  onEvent: (event) => logTokenEvent(logger, event),
});
const metrics = createMetrics({ defaultMetrics: true, appIds: config.apps.map((a) => a.appId) });
collectQueueDepth(metrics, [{ queue: creditQueue, lane: 'none' }]);
const worker =
  config.ingestWorkerConcurrency > 0
    ? createCreditIngestWorker({
        connection: workerConnection,
        prefix: config.queuePrefix,
        db,
        logger: logger.child({ component: 'credit-ingest-worker' }),
        concurrency: config.ingestWorkerConcurrency,
        metrics,
        queue: creditQueue,
      })
    : undefined;
// The sweep of push events stored while Redis was down: a job scheduler, so one process runs each
// tick whatever the number of ingest APIs. Only processes that work the queue set it up.
if (worker) {
  schedulePushEventSweep(creditQueue).catch((error: unknown) =>
    logger.warn({ err: error }, 'push-event sweep schedule not set up; it is tried again at the next start'),
  );
}
worker?.on('failed', (job, error) => {
  if (job && isDeadLettered(job)) {
    logger.error(
      { jobId: job.id, attempts: job.attemptsMade, err: error },
      'credit ingest job failed its last attempt: it waits in the failed set; retry it from Bull Board',
    );
  } else {
    logger.warn(
      { jobId: job?.id, attempts: job?.attemptsMade, err: error },
      'credit ingest job failed; it will be retried',
    );
  }
});
worker?.on('error', (error) => logger.warn({ err: error }, 'credit ingest worker error'));

const app = createServer({
  apps: config.apps,
  apiKeys: config.apiKeys,
  sessions: createSessionTokens(config.session),
  admin: config.admin,
  wechat,
  tokens,
  db,
  redis: producer,
  creditQueue,
  fanOutQueue,
  boardQueues,
  queuePrefix: config.queuePrefix,
  metrics,
  logger,
  loginRateLimitPerMinute: config.loginRateLimitPerMinute,
  trustProxy: config.trustProxy,
  housekeeping: config.housekeeping,
});

// express 5 calls back with the error when the port cannot be taken: an API that does not listen
// must say so and stop, not log that it listens and keep running.
const server = app.listen(config.port, config.host, (error?: Error) => {
  if (error) {
    logger.fatal(
      { err: error, host: config.host, port: config.port },
      `ingest-api could not listen on ${localUrl(config.host, config.port)} (set PORT to a free port)`,
    );
    process.exit(1);
  }
  logger.info(
    {
      host: config.host,
      port: config.port,
      apps: config.apps.map((a) => a.appId),
      wechat: config.wechatApiBaseUrl,
    },
    `ingest-api listening on ${localUrl(config.host, config.port)}`,
  );
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  const deadline = setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(1);
  }, SHUTDOWN_TIMEOUT_MS);
  deadline.unref();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await worker?.close();
  await Promise.allSettled(boardQueues.map((queue) => queue.close()));
  await closeMessageQueues(producer);
  await Promise.allSettled([producer.quit(), workerConnection.quit(), db.$disconnect(), wechat.close()]);
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
