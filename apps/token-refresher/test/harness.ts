import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { WechatAppConfig } from '@minapush/config';
import { createDatabase } from '@minapush/db';
import { createLogger } from '@minapush/logger';
import { createRedisConnection, type Redis, tokenRefreshCatalog } from '@minapush/queues';
import { createTokenService, logTokenEvent, type TokenServiceOptions } from '@minapush/tokens';
import { createWechatClient } from '@minapush/wechat';
import { createSandbox } from '@minapush/wechat-sandbox';
import { Queue, type Worker } from 'bullmq';
import { createRefresherMetrics, createTokenRefreshWorker } from '../src/index.js';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/minapush_test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface SandboxFetch {
  mode: 'classic' | 'stable';
  forceRefresh: boolean;
  at: string;
  issued: boolean;
}

/**
 * A sandbox over HTTP plus everything a refresher process needs, isolated by its own Redis key
 * prefix and sandbox app. `advance(ms)` moves the sandbox's clock and ours together.
 */
export async function startRefresherHarness(
  options: { tokenMode?: 'stable' | 'classic'; wrongSecret?: boolean } = {},
) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ name: 'token-refresher-test', level: 'trace', destination });
  const sandbox = createSandbox({ logger: logger.child({ component: 'sandbox' }) });
  const server = sandbox.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const sandboxUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${sandboxUrl}/__sandbox${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`sandbox ${method} ${path}: ${response.status} ${await response.text()}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  const created = await control<{ appId: string; secret: string }>('POST', '/apps', {});
  const app: WechatAppConfig = {
    appId: created.appId,
    secret: options.wrongSecret ? `wrong-${randomUUID()}` : created.secret,
    tokenMode: options.tokenMode ?? 'stable',
    sendRatePerSecond: 20,
  };
  const prefix = `test-${randomUUID()}`;
  let offsetMs = 0;
  const now = () => Date.now() + offsetMs;
  const db = createDatabase({ url: DATABASE_URL, maxConnections: 4 });
  const wechat = createWechatClient({ baseUrl: sandboxUrl, timeoutMs: 2_000 });
  const metrics = createRefresherMetrics({ appIds: [app.appId] });
  const connections: Redis[] = [];
  const workers: Worker[] = [];
  const queues: Queue[] = [];

  function connection(): Redis {
    const redis = createRedisConnection(REDIS_URL, 'worker');
    connections.push(redis);
    return redis;
  }

  /** One "refresher process": its own Redis connection and token service, sharing nothing in memory. */
  function tokenService(overrides: Partial<TokenServiceOptions> = {}) {
    return createTokenService({
      redis: connection(),
      wechat,
      db,
      apps: [app],
      keyPrefix: prefix,
      now,
      onEvent: (event) => {
        logTokenEvent(logger, event);
        metrics.record(event);
      },
      ...overrides,
    });
  }

  return {
    app,
    prefix,
    sandboxUrl,
    db,
    wechat,
    logger,
    metrics,
    logs: () => lines.join(''),
    now,
    tokenService,
    connection,
    control,
    async advance(ms: number) {
      offsetMs += ms;
      await control('POST', `/apps/${app.appId}/clock`, { advanceMs: ms });
    },
    async fetches(): Promise<SandboxFetch[]> {
      return (await control<{ fetches: SandboxFetch[] }>('GET', `/apps/${app.appId}/token-fetches`)).fetches;
    },
    queue() {
      const queue = new Queue(tokenRefreshCatalog.queue, { connection: connection(), prefix });
      queues.push(queue);
      return queue;
    },
    worker(tokens: ReturnType<typeof tokenService>) {
      const worker = createTokenRefreshWorker({ connection: connection(), prefix, tokens, logger });
      workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      for (const queue of queues) {
        await queue.obliterate({ force: true }).catch(() => undefined);
        await queue.close();
      }
      for (const redis of connections) redis.disconnect();
      await wechat.close();
      await db.$disconnect();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type RefresherHarness = Awaited<ReturnType<typeof startRefresherHarness>>;

export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
