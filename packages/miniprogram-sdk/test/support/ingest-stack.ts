import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { createDatabase, type Database } from '@minapush/db';
import { createRedisConnection, waitUntilReady } from '@minapush/queues';
import { createSandbox } from '@minapush/wechat-sandbox';
import { sandboxControl } from './node-wx.js';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/minapush_test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  const url = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return Number(new URL(url).port);
}

/** The built entry point of the ingest API, `node dist/main.js` as it runs in production. */
function ingestApiMain(): string {
  const entry = createRequire(import.meta.url).resolve('@minapush/ingest-api');
  return join(dirname(entry), 'main.js');
}

/**
 * The server side of minapush for one test file: the WeChat sandbox in this process with an app
 * of its own, and the real ingest API (its built main.js, configured through its environment)
 * in a child process on real Postgres and Redis, under a queue prefix of its own.
 */
export async function startIngestStack(options: { templates: string[] }) {
  const sandbox = createSandbox();
  const sandboxServer = createServer(sandbox.app);
  const sandboxUrl = await listen(sandboxServer);
  const created = await fetch(`${sandboxUrl}/__sandbox/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ templates: options.templates.map((id) => ({ id, kind: 'subscribe' })) }),
  });
  if (created.status !== 201) throw new Error(`sandbox app: ${created.status} ${await created.text()}`);
  const { appId, secret } = (await created.json()) as { appId: string; secret: string };

  const queuePrefix = `sdk-e2e-${randomUUID()}`;
  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const api: ChildProcess = spawn(process.execPath, [ingestApiMain()], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      DATABASE_URL,
      REDIS_URL,
      WECHAT_API_BASE_URL: sandboxUrl,
      WECHAT_APPS: JSON.stringify([{ appId, secret }]),
      SESSION_SECRET: randomBytes(32).toString('hex'),
      API_KEYS: `key-${randomUUID()}`,
      QUEUE_PREFIX: queuePrefix,
      INGEST_WORKER_CONCURRENCY: '2',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  api.stdout?.on('data', (chunk) => output.push(String(chunk)));
  api.stderr?.on('data', (chunk) => output.push(String(chunk)));
  const exited = new Promise<number | null>((resolve) => api.once('exit', (code) => resolve(code)));
  // Should the test runner die without running afterAll, the API must not outlive it.
  const killApi = () => api.kill('SIGKILL');
  process.once('exit', killApi);

  const db: Database = createDatabase({ url: DATABASE_URL, maxConnections: 2 });

  async function stop() {
    process.off('exit', killApi);
    if (api.exitCode === null) {
      api.kill('SIGTERM');
      await exited;
    }
    await new Promise<void>((resolve) => sandboxServer.close(() => resolve()));
    await db.$disconnect();
    // The API's queue and its own keys live under the prefix; leave nothing behind in Redis.
    const redis = createRedisConnection(REDIS_URL, 'worker');
    try {
      await waitUntilReady(redis);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (api.exitCode !== null) {
      await stop();
      throw new Error(`the ingest API exited with ${api.exitCode}:\n${output.join('')}`);
    }
    const ready = await fetch(`${apiUrl}/readyz`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the ingest API was not ready within 30 s:\n${output.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    apiUrl,
    sandboxUrl,
    appId,
    db,
    control: sandboxControl(sandboxUrl, appId),
    /** what the API process printed (warnings and errors only) */
    output: () => output.join(''),
    stop,
  };
}

export type IngestStack = Awaited<ReturnType<typeof startIngestStack>>;

/** Polls until `check` answers something other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
