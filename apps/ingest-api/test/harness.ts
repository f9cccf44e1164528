import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { QuietHours } from '@minapush/config';
import { createDatabase } from '@minapush/db';
import { createLogger } from '@minapush/logger';
import {
  broadcastQueueName,
  closeMessageQueues,
  createRedisConnection,
  creditIngestCatalog,
  messageQueueName,
  type Redis,
  waitUntilReady,
} from '@minapush/queues';
import { createTokenService } from '@minapush/tokens';
import { createWechatClient } from '@minapush/wechat';
import { createSandbox } from '@minapush/wechat-sandbox';
import { Queue, type Worker } from 'bullmq';
import {
  collectQueueDepth,
  createBoardQueues,
  createCreditIngestWorker,
  createMetrics,
  createServer,
  createSessionTokens,
} from '../src/index.js';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/minapush_test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Collects every log line written through it, for tests that look for leaked secrets. */
export function logCapture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, destination, text: () => lines.join('') };
}

async function listen(app: { listen: (port: number, host: string) => import('node:http').Server }) {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

export interface HarnessOptions {
  /** answer requests with this Redis (e.g. one that is down) instead of the real one */
  redisUrl?: string;
  /** answer requests with this Postgres (e.g. one that is down) instead of the real one */
  databaseUrl?: string;
  /** admin credentials; read-only unless `readOnly: false` (as ADMIN_READ_ONLY) */
  admin?: { username: string; password: string; readOnly?: boolean };
  /** start the worker that stores accepted batches (default true) */
  worker?: boolean;
  /** configure the app with this secret instead of the sandbox's (e.g. a wrong one) */
  secret?: string;
  /** how many sandbox apps the API serves (default 1); the first is the default app */
  appCount?: number;
  /** POST /v1/sessions per client address per minute (default 0: tests log in often, from one address) */
  loginRateLimitPerMinute?: number;
  /** express's `trust proxy` (default false, as in production) */
  trustProxy?: false | number | string[];
  /** the worker's longest wait between attempts: a tiny one takes a failing job to the failed set at once */
  maxRetryDelayMs?: number;
  /** the default app's quiet hours, as its WECHAT_APPS entry would give them */
  quietHours?: QuietHours;
  /** RETENTION_DAYS of POST /v1/housekeeping/run (default 30) */
  retentionDays?: number;
  /** the API's clock */
  now?: () => Date;
  /** the shortest time between two on-demand template syncs of one app (default 10 s) */
  templateSyncWindowMs?: number;
  /** the default app's message-push settings, as its WECHAT_APPS entry would give them */
  push?: { pushToken: string; encodingAesKey?: string };
  /** apps served besides the sandbox's, e.g. one with a published example's appId and push settings */
  extraApps?: Array<{ appId: string; secret: string; pushToken?: string; encodingAesKey?: string }>;
}

async function createSandboxApp(sandboxUrl: string) {
  const created = await fetch(`${sandboxUrl}/__sandbox/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({}),
  });
  return (await created.json()) as { appId: string; secret: string };
}

/**
 * A whole ingest API on real Postgres and Redis, talking to a real sandbox over HTTP, with its
 * own sandbox app, queue prefix and API key, so tests never see each other's data.
 */
export async function startHarness(options: HarnessOptions = {}) {
  const logs = logCapture();
  const logger = createLogger({ name: 'ingest-api-test', level: 'trace', destination: logs.destination });

  const sandbox = createSandbox({ logger: logger.child({ component: 'sandbox' }) });
  const sandboxHttp = await listen(sandbox.app);
  const sandboxApps = [];
  for (let i = 0; i < (options.appCount ?? 1); i += 1) {
    sandboxApps.push(await createSandboxApp(sandboxHttp.url));
  }
  const { appId, secret } = sandboxApps[0]!;

  const prefix = `test-${randomUUID()}`;
  const apiKey = `key-${randomUUID()}`;
  const db = createDatabase({
    url: options.databaseUrl ?? DATABASE_URL,
    maxConnections: 4,
    // Short where a test points at a Postgres that is down (so its 503 comes quickly); otherwise
    // long enough for a loaded machine where turbo runs every suite side by side.
    connectionTimeoutMs: options.databaseUrl ? 1_000 : 15_000,
  });
  const redis: Redis = createRedisConnection(options.redisUrl ?? REDIS_URL, 'producer');
  redis.on('error', () => undefined);
  if (!options.redisUrl) await waitUntilReady(redis);
  const creditQueue = new Queue(creditIngestCatalog.queue, { connection: redis, prefix });
  const fanOutQueue = new Queue(broadcastQueueName(), { connection: redis, prefix });
  fanOutQueue.on('error', () => undefined);
  creditQueue.on('error', () => undefined);
  const workerConnection = createRedisConnection(REDIS_URL, 'worker');
  const metrics = createMetrics({
    appIds: [...sandboxApps, ...(options.extraApps ?? [])].map((servedApp) => servedApp.appId),
  });
  // scrapes read at once what they count: a test asserts right after what it did
  collectQueueDepth(metrics, [{ queue: creditQueue, lane: 'none' }], 0);
  const worker: Worker | undefined =
    options.worker === false
      ? undefined
      : createCreditIngestWorker({
          connection: workerConnection,
          prefix,
          db,
          logger,
          concurrency: 2,
          metrics,
          queue: creditQueue,
          ...(options.maxRetryDelayMs === undefined ? {} : { maxRetryDelayMs: options.maxRetryDelayMs }),
        });
  const wechat = createWechatClient({ baseUrl: sandboxHttp.url, timeoutMs: 2_000 });
  const apps = [...sandboxApps, ...(options.extraApps ?? [])].map((sandboxApp, i) => ({
    ...sandboxApp,
    ...(options.secret ? { secret: options.secret } : {}),
    tokenMode: 'stable' as const,
    sendRatePerSecond: 20,
    ...(i === 0 && options.quietHours ? { quietHours: options.quietHours } : {}),
    ...(i === 0 && options.push ? options.push : {}),
  }));
  const messageQueues = new Map<string, Queue>();
  const tokens = createTokenService({ redis, wechat, db, apps, keyPrefix: prefix });
  // every queue of the deployment, as main.ts shows them in Bull Board
  const boardQueues = createBoardQueues({
    connection: redis,
    prefix,
    appIds: apps.map((candidate) => candidate.appId),
    reuse: [creditQueue, fanOutQueue],
  });

  const app = createServer({
    apps,
    apiKeys: [apiKey],
    sessions: createSessionTokens({ secret: `session-secret-${randomUUID()}`, ttlSeconds: 3600 }),
    admin: options.admin ? { readOnly: true, ...options.admin } : undefined,
    wechat,
    tokens,
    db,
    redis,
    creditQueue,
    fanOutQueue,
    boardQueues,
    queuePrefix: prefix,
    metrics,
    logger,
    loginRateLimitPerMinute: options.loginRateLimitPerMinute ?? 0,
    trustProxy: options.trustProxy ?? false,
    // the harness's apps only: the suites beside it share the database
    housekeeping: { retentionDays: options.retentionDays ?? 30, appIds: apps.map((a) => a.appId) },
    ...(options.now ? { now: options.now } : {}),
    ...(options.templateSyncWindowMs === undefined
      ? {}
      : { templateSyncWindowMs: options.templateSyncWindowMs }),
  });
  const api = await listen(app);

  async function sandboxCall<T>(path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${sandboxHttp.url}/__sandbox/apps/${appId}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`sandbox ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }

  return {
    url: api.url,
    sandboxUrl: sandboxHttp.url,
    appId,
    secret,
    /** every app the API serves, the default first */
    appIds: apps.map((candidate) => candidate.appId),
    apiKey,
    prefix,
    db,
    creditQueue,
    /** the queues Bull Board shows */
    boardQueues,
    /** the API's producer connection */
    redis,
    worker,
    wechat,
    metrics,
    /** an app's send queue under this harness's prefix, to look at the jobs POST /v1/messages added */
    messageQueue(forAppId: string = appId): Queue {
      let queue = messageQueues.get(forAppId);
      if (!queue) {
        queue = new Queue(messageQueueName(forAppId), { connection: redis, prefix });
        queue.on('error', () => undefined);
        messageQueues.set(forAppId, queue);
      }
      return queue;
    },
    logs,
    sandboxCall,
    /** a one-time wx.login() code for the user */
    async mintCode(openid?: string) {
      return sandboxCall<{ code: string; openid: string }>('/codes', openid ? { openid } : {});
    },
    async mintFormIds(openid: string, count: number, kind: 'form_id' | 'prepay_id' = 'form_id') {
      const { formIds } = await sandboxCall<{ formIds: Array<{ formId: string }> }>('/form-ids', {
        openid,
        kind,
        count,
      });
      return formIds.map((f) => f.formId);
    },
    async login(openid?: string) {
      const { code } = await this.mintCode(openid);
      const response = await post(api.url, '/v1/sessions', { code });
      if (response.status !== 200) throw new Error(`login answered ${response.status}`);
      return (await response.json()) as { token: string; openid: string; expiresAt: string };
    },
    post: (path: string, body: unknown, token?: string) => post(api.url, path, body, token),
    async close() {
      await new Promise<void>((resolve) => api.server.close(() => resolve()));
      await new Promise<void>((resolve) => sandboxHttp.server.close(() => resolve()));
      await worker?.close();
      if (redis.status === 'ready') {
        for (const forAppId of apps.map((candidate) => candidate.appId)) {
          await this.messageQueue(forAppId)
            .obliterate({ force: true })
            .catch(() => undefined);
        }
        for (const queue of boardQueues) await queue.obliterate({ force: true }).catch(() => undefined);
      }
      await Promise.allSettled(boardQueues.map((queue) => queue.close()));
      await Promise.allSettled([...messageQueues.values()].map((queue) => queue.close()));
      await closeMessageQueues(redis);
      redis.disconnect();
      workerConnection.disconnect();
      await wechat.close();
      await db.$disconnect();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

export function post(baseUrl: string, path: string, body: unknown, token?: string) {
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Polls until `check` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
