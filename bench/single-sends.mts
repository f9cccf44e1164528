// Messages per second for single sends: N users each hold one subscribe credit; N messages go
// in through the queue contract (enqueueMessage, the path POST /v1/messages takes) and one
// in-process dispatcher sends them to the sandbox over HTTP, on real Postgres and Redis.
//
//   npm run build && npx tsx bench/single-sends.mts [messages=5000] [concurrency=50]
//
// Reports intake (messages created and queued per second) and send throughput (from the
// dispatcher's start until every message is final), plus enqueue-to-sent latency percentiles.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createDatabase, storeCreditBatch } from '@minapush/db';
import { createDispatcherMetrics, startDispatcher } from '@minapush/dispatcher';
import { createLogger } from '@minapush/logger';
import { closeMessageQueues, createRedisConnection, enqueueMessage, waitUntilReady } from '@minapush/queues';
import { createTokenService } from '@minapush/tokens';
import { createWechatClient } from '@minapush/wechat';
import { createSandbox } from '@minapush/wechat-sandbox';

const total = Number(process.argv[2] ?? 5_000);
const concurrency = Number(process.argv[3] ?? 50);
const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/minapush_test';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TEMPLATE = 'bench-subscribe';

const logger = createLogger({ name: 'bench', level: 'silent' });
const sandbox = createSandbox({ logger });
const server = sandbox.app.listen(0, '127.0.0.1');
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
const sandboxUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const control = async (path: string, body: unknown) => {
  const response = await fetch(`${sandboxUrl}/__sandbox${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return response.json() as Promise<Record<string, string>>;
};
const { appId, secret } = await control('/apps', { templates: [{ id: TEMPLATE, kind: 'subscribe' }] });
const app = { appId: appId!, secret: secret!, tokenMode: 'stable' as const, sendRatePerSecond: 100_000 };

const db = createDatabase({ url: databaseUrl, maxConnections: concurrency + 10 });
const producer = createRedisConnection(redisUrl, 'producer');
const worker = createRedisConnection(redisUrl, 'worker');
await waitUntilReady(producer);
const prefix = `bench-${randomUUID()}`;

console.log(`preparing ${total} users with one subscribe credit each…`);
const openids = Array.from({ length: total }, (_, i) => `bench-user-${i}`);
for (let i = 0; i < total; i += 100) {
  await Promise.all(
    openids
      .slice(i, i + 100)
      .map((openid) => control(`/apps/${appId}/subscriptions`, { openid, templateId: TEMPLATE })),
  );
}
for (const openid of openids) {
  await storeCreditBatch(db, {
    batchId: randomUUID(),
    appId: app.appId,
    openid,
    seenAt: new Date(),
    credits: [
      { kind: 'subscribe', templateId: TEMPLATE, usesLeft: 1, capturedAt: new Date(), expiresAt: null },
    ],
  });
}

const intakeStart = performance.now();
const connection = { db, redis: producer, prefix, defaultAppId: app.appId };
for (let i = 0; i < total; i += 50) {
  await Promise.all(
    openids.slice(i, i + 50).map((openid) =>
      enqueueMessage(connection, {
        openid,
        kind: 'subscribe',
        templateId: TEMPLATE,
        data: { thing1: 'benchmark' },
      }),
    ),
  );
}
const intakeSeconds = (performance.now() - intakeStart) / 1000;

const wechat = createWechatClient({ baseUrl: sandboxUrl, connections: concurrency });
const tokens = createTokenService({ redis: worker, wechat, db, apps: [app], keyPrefix: prefix });
const sendStart = performance.now();
const dispatcher = startDispatcher({
  apps: [app],
  db,
  connection: worker,
  prefix,
  wechat,
  tokens,
  logger,
  metrics: createDispatcherMetrics(),
  concurrency,
  leaseMs: 60_000,
  creditExpiryMarginMs: 600_000,
  sweepIntervalMs: 60_000,
});
for (;;) {
  const pending = await db.message.count({
    where: { appId: app.appId, status: { in: ['queued', 'sending'] } },
  });
  if (pending === 0) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const sendSeconds = (performance.now() - sendStart) / 1000;

const rows = await db.message.findMany({
  where: { appId: app.appId },
  select: { status: true, createdAt: true, sentAt: true },
});
const latencies = rows
  .filter((row) => row.sentAt)
  .map((row) => row.sentAt!.getTime() - row.createdAt.getTime())
  .sort((a, b) => a - b);
const percentile = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
const statuses: Record<string, number> = {};
for (const row of rows) statuses[row.status] = (statuses[row.status] ?? 0) + 1;

console.log(
  JSON.stringify(
    {
      messages: total,
      concurrency,
      statuses,
      intakePerSecond: Math.round(total / intakeSeconds),
      sendsPerSecond: Math.round(total / sendSeconds),
      sendSeconds: Number(sendSeconds.toFixed(2)),
      latencyMsFromEnqueue: { p50: percentile(50), p95: percentile(95), p99: percentile(99) },
    },
    null,
    2,
  ),
);

await dispatcher.close(5_000);
await closeMessageQueues(producer);
producer.disconnect();
worker.disconnect();
await wechat.close();
await db.message.deleteMany({ where: { appId: app.appId } });
await db.sendCredit.deleteMany({ where: { appId: app.appId } });
await db.$disconnect();
server.close();
