import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import {
  clusterQueuePrefix,
  type QuietHours,
  redisClusterNodesSchema,
  type WechatAppConfig,
} from '@minapush/config';
import { createDatabase } from '@minapush/db';
import {
  createBoardQueues,
  createCreditIngestWorker,
  createServer as createIngestServer,
  createMetrics,
  createSessionTokens,
} from '@minapush/ingest-api';
import { createLogger } from '@minapush/logger';
import {
  broadcastQueueName,
  bulkQueueName,
  createRedisConnection,
  creditIngestCatalog,
  messageQueueName,
  type Redis,
  redisKeys,
} from '@minapush/queues';
import { countTemplateSyncs, createTemplateRegistry } from '@minapush/templates';
import { createTokenService } from '@minapush/tokens';
import { createWechatClient } from '@minapush/wechat';
import { createSandbox } from '@minapush/wechat-sandbox';
import { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import {
  collectOnScrape,
  createDispatcherMetrics,
  createDispatcherQueues,
  type Dispatcher,
  type DispatcherQueues,
  type FanOutResources,
  startDispatcher,
} from '../src/index.js';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/minapush_test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const LEGACY_TEMPLATE = 'tmpl-legacy-order';
export const SUBSCRIBE_TEMPLATE = 'tmpl-subscribe-order';
export const FINAL_STATUSES = new Set(['sent', 'failed', 'skipped', 'unknown', 'cancelled']);

export interface Delivery {
  msgid: string;
  kind: 'template' | 'subscribe';
  openid: string;
  templateId: string;
  formId?: string;
  data: Record<string, { value: string }>;
  at: string;
}

export interface HarnessOptions {
  /** pages the sandbox app declares (41030 for others) */
  pages?: string[];
  sendRatePerSecond?: number;
  wechatTimeoutMs?: number;
  /** the clock of the WeChat client and the dispatcher (quota pauses are computed on it) */
  now?: () => number;
  concurrency?: number;
  /** start the in-process dispatcher (default true) */
  dispatcher?: boolean;
  /** messages per broadcast batch */
  batchSize?: number;
  /** after a 45011, how long the app takes to climb back to its rate */
  sendRateRecoveryMs?: number;
  /** a Redis of the test's own (a test that flushes Redis must not flush the other suites') */
  redisUrl?: string;
  /** a Redis Cluster instead, as REDIS_CLUSTER_NODES names it: the prefix gets its hash tag */
  redisClusterNodes?: string;
  /** the app's quiet hours, as its WECHAT_APPS entry would give them */
  quietHours?: QuietHours;
  /** enable the ingest API's /admin with these credentials (read-only unless `readOnly: false`) */
  admin?: { username: string; password: string; readOnly?: boolean };
  /** sync the app's subscribe templates at start and on this cron pattern, as main.ts does */
  templateSyncCron?: string;
  /** the app's message-push settings, as its WECHAT_APPS entry would give them */
  push?: { pushToken: string; encodingAesKey?: string };
}

async function listen(app: { listen: (port: number, host: string) => import('node:http').Server }) {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * The whole send path on real parts: the sandbox over HTTP, the ingest API (credits and messages
 * go in through HTTP), Postgres, Redis and a dispatcher, isolated by its own sandbox app and prefix.
 */
export async function startDispatchHarness(options: HarnessOptions = {}) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ name: 'dispatcher-test', level: 'debug', destination });
  const sandbox = createSandbox({ logger: logger.child({ component: 'sandbox' }) });
  const sandboxHttp = await listen(sandbox.app);

  async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${sandboxHttp.url}/__sandbox${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`sandbox ${method} ${path}: ${response.status} ${await response.text()}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  const created = await control<{ appId: string; secret: string }>('POST', '/apps', {
    templates: [
      { id: LEGACY_TEMPLATE, kind: 'template' },
      { id: SUBSCRIBE_TEMPLATE, kind: 'subscribe' },
    ],
    ...(options.pages ? { pages: options.pages } : {}),
  });
  const app: WechatAppConfig = {
    appId: created.appId,
    secret: created.secret,
    tokenMode: 'stable',
    sendRatePerSecond: options.sendRatePerSecond ?? 1_000,
    ...(options.quietHours ? { quietHours: options.quietHours } : {}),
    ...(options.push ?? {}),
  };
  // QUEUE_PREFIX, and the prefix the apps make of it (as serviceSettings does)
  const prefixSetting = `test-${randomUUID()}`;
  const redisCluster = options.redisClusterNodes
    ? redisClusterNodesSchema.parse(options.redisClusterNodes)
    : undefined;
  const prefix = redisCluster ? clusterQueuePrefix(prefixSetting) : prefixSetting;
  const redisUrl = options.redisUrl ?? REDIS_URL;
  const apiKey = `key-${randomUUID()}`;
  const now = options.now ?? Date.now;
  const db = createDatabase({ url: DATABASE_URL, maxConnections: 20 });
  const connections: Redis[] = [];
  const connection = (role: 'producer' | 'worker') => {
    const redis = createRedisConnection(redisCluster ?? redisUrl, role);
    connections.push(redis);
    return redis;
  };
  const producer = connection('producer');
  await new Promise<void>((resolve) => producer.once('ready', () => resolve()));
  const wechat = createWechatClient({
    baseUrl: sandboxHttp.url,
    timeoutMs: options.wechatTimeoutMs ?? 2_000,
    now: () => new Date(now()),
  });
  const tokens = createTokenService({
    redis: connection('worker'),
    wechat,
    db,
    apps: [app],
    keyPrefix: prefix,
    now,
  });

  const creditQueue = new Queue(creditIngestCatalog.queue, { connection: producer, prefix });
  const fanOutQueue = new Queue(broadcastQueueName(), { connection: producer, prefix });
  fanOutQueue.on('error', () => undefined);
  // Bull Board shows every queue of the deployment, as in main.ts
  const boardQueues = createBoardQueues({
    connection: producer,
    prefix,
    appIds: [app.appId],
    reuse: [creditQueue, fanOutQueue],
  });
  const ingestMetrics = createMetrics();
  const creditWorker = createCreditIngestWorker({
    connection: connection('worker'),
    prefix,
    db,
    logger,
    concurrency: 4,
    metrics: ingestMetrics,
    queue: creditQueue,
  });
  const ingest = await listen(
    createIngestServer({
      apps: [app],
      apiKeys: [apiKey],
      sessions: createSessionTokens({ secret: `s-${randomUUID()}`, ttlSeconds: 3600 }),
      admin: options.admin ? { readOnly: true, ...options.admin } : undefined,
      wechat,
      tokens,
      db,
      redis: producer,
      creditQueue,
      fanOutQueue,
      boardQueues,
      queuePrefix: prefix,
      metrics: ingestMetrics,
      loginRateLimitPerMinute: 0,
      trustProxy: false,
      housekeeping: { retentionDays: 30, appIds: [app.appId] },
      logger,
    }),
  );

  const metrics = createDispatcherMetrics({ appIds: [app.appId] });
  const scrapeQueues = createDispatcherQueues(producer, prefix, [app]);
  // scrapes read at once what they count: a test asserts right after what it did
  collectOnScrape(metrics, { queues: scrapeQueues, db, appIds: [app.appId], maxAgeMs: 0 });
  // The dispatcher's queues, as main.ts makes them: one set per in-process dispatcher.
  const queueSets: DispatcherQueues[] = [scrapeQueues];
  const templateRegistry = createTemplateRegistry({
    db,
    redis: producer,
    keys: redisKeys(prefix),
    wechat,
    tokens,
    logger,
    onSync: countTemplateSyncs(metrics),
  });
  const startInProcess = () => {
    const worker = connection('worker');
    const queues = createDispatcherQueues(worker, prefix, [app]);
    queueSets.push(queues);
    return startDispatcher({
      apps: [app],
      db,
      connection: worker,
      queues,
      prefix,
      wechat,
      tokens,
      logger,
      metrics,
      concurrency: options.concurrency ?? 20,
      batchConcurrency: 4,
      // a harness asking for one send at a time means it of broadcasts too
      batchSendConcurrency: options.concurrency ?? 16,
      batchSize: options.batchSize ?? 250,
      leaseMs: 5_000,
      creditExpiryMarginMs: 10 * 60_000,
      callTimeoutMs: options.wechatTimeoutMs ?? 2_000,
      reconcileIntervalMs: 500,
      reconcileGraceMs: 1_000,
      sendRateRecoveryMs: options.sendRateRecoveryMs ?? 60_000,
      // this test's app only: the suites beside it share the database
      housekeeping: { cron: '0 3 * * *', retentionDays: 30, appIds: [app.appId] },
      ...(options.templateSyncCron === undefined
        ? {}
        : {
            templateSync: { cron: options.templateSyncCron, registry: templateRegistry, startRetryMs: 100 },
          }),
      lockDurationMs: 5_000,
      now,
    });
  };
  let dispatcher: Dispatcher | undefined = options.dispatcher === false ? undefined : startInProcess();
  const messageQueue = new Queue(messageQueueName(app.appId), { connection: connection('worker'), prefix });
  const bulkQueue = new Queue(bulkQueueName(app.appId), { connection: connection('worker'), prefix });

  async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${ingest.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  async function waitForCredits(openid: string, count: number) {
    const deadline = Date.now() + 10_000;
    while ((await db.sendCredit.count({ where: { appId: app.appId, openid } })) < count) {
      if (Date.now() > deadline) throw new Error(`credits of ${openid} not stored`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const harness = {
    app,
    prefix,
    prefixSetting,
    redisUrl,
    redisClusterNodes: options.redisClusterNodes,
    /** a producer connection, for a test that reads what the dispatcher keeps in Redis */
    redis: producer,
    sandboxUrl: sandboxHttp.url,
    /** the ingest API (with /admin when the harness was given admin credentials) */
    ingestUrl: ingest.url,
    db,
    wechat,
    tokens,
    metrics,
    messageQueue,
    bulkQueue,
    logs: () => lines.join(''),
    control,
    api,
    get dispatcher() {
      return dispatcher;
    },
    startDispatcher() {
      dispatcher = startInProcess();
      return dispatcher;
    },
    /** a user minted by the sandbox, with formIds (or prepay_ids) handed over through POST /v1/form-ids */
    async userWithFormIds(count: number, kind: 'form_id' | 'prepay_id' = 'form_id', capturedAt?: string[]) {
      const { openid } = await control<{ openid: string }>('POST', `/apps/${app.appId}/users`, {});
      const minted = await control<{ formIds: Array<{ formId: string }> }>(
        'POST',
        `/apps/${app.appId}/form-ids`,
        {
          openid,
          kind,
          count,
        },
      );
      const formIds = minted.formIds.map((f) => f.formId);
      const items = formIds.map((formId, i) => ({
        formId,
        kind,
        ...(capturedAt?.[i] ? { capturedAt: capturedAt[i] } : {}),
      }));
      const response = await api<{ accepted: number }>('POST', '/v1/form-ids', { openid, formIds: items });
      if (response.status !== 202) throw new Error(`form-ids answered ${response.status}`);
      await waitForCredits(openid, response.body.accepted);
      return { openid, formIds };
    },
    /**
     * `count` users with one formId each, made in bulk: in the sandbox through its bulk route, in
     * Postgres by set-based inserts (what the credit intake would have stored). For tests that
     * need thousands of users; answers their openids in app_users id order.
     */
    async seedUsersWithFormIds(count: number): Promise<string[]> {
      const run = randomUUID().slice(0, 8);
      const openids = Array.from({ length: count }, (_, i) => `o-${run}-${String(i).padStart(6, '0')}`);
      for (let start = 0; start < count; start += 10_000) {
        const slice = openids.slice(start, start + 10_000);
        const minted = await control<{
          formIds: Array<{ openid: string; formId: string; createdAt: string }>;
        }>('POST', `/apps/${app.appId}/form-ids/bulk`, { openids: slice });
        await db.$executeRaw`
          INSERT INTO app_users (app_id, openid) SELECT ${app.appId}, o FROM unnest(${slice}::varchar[]) AS o
          ORDER BY o`;
        await db.$executeRaw`
          INSERT INTO send_credits (app_id, openid, kind, form_id, uses_left, captured_at, expires_at)
          SELECT ${app.appId}, f.openid, 'form_id', f.form_id, 1, f.captured_at, f.captured_at + interval '7 days'
          FROM unnest(${minted.formIds.map((f) => f.openid)}::varchar[], ${minted.formIds.map((f) => f.formId)}::varchar[],
            ${minted.formIds.map((f) => f.createdAt)}::timestamptz[]) AS f(openid, form_id, captured_at)`;
      }
      return openids;
    },
    /** a user who accepted the template `count` times, in the sandbox and reported to us */
    async userWithSubscription(
      count = 1,
      templateId = SUBSCRIBE_TEMPLATE,
      options: { inSandbox?: boolean } = {},
    ) {
      const { openid } = await control<{ openid: string }>('POST', `/apps/${app.appId}/users`, {});
      if (options.inSandbox !== false) {
        await control('POST', `/apps/${app.appId}/subscriptions`, { openid, templateId, count });
      }
      for (let i = 0; i < count; i += 1) {
        const response = await api('POST', '/v1/subscriptions', {
          openid,
          results: { [templateId]: 'accept' },
        });
        if (response.status !== 202) throw new Error(`subscriptions answered ${response.status}`);
      }
      await waitForCredits(openid, count);
      return { openid };
    },
    async sendTemplate(openid: string, extra: Record<string, unknown> = {}) {
      return send({
        openid,
        kind: 'template',
        templateId: LEGACY_TEMPLATE,
        data: { keyword1: 'order shipped' },
        ...extra,
      });
    },
    async sendSubscribe(openid: string, extra: Record<string, unknown> = {}) {
      return send({
        openid,
        kind: 'subscribe',
        templateId: SUBSCRIBE_TEMPLATE,
        data: { thing1: 'order shipped' },
        ...extra,
      });
    },
    async message(id: string) {
      const response = await api<MessageView>('GET', `/v1/messages/${id}`);
      return response.body;
    },
    async waitUntilFinal(id: string, timeoutMs = 20_000): Promise<MessageView> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const view = await harness.message(id);
        if (FINAL_STATUSES.has(view.status)) return view;
        if (Date.now() > deadline)
          throw new Error(`message ${id} still ${view.status} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async deliveries(openid?: string): Promise<Delivery[]> {
      const query = openid ? `?openid=${encodeURIComponent(openid)}` : '';
      return (await control<{ deliveries: Delivery[] }>('GET', `/apps/${app.appId}/deliveries${query}`))
        .deliveries;
    },
    async fault(spec: Record<string, unknown>) {
      return control<{ id: string }>('POST', `/apps/${app.appId}/faults`, spec);
    },
    credits(openid: string) {
      return db.sendCredit.findMany({ where: { appId: app.appId, openid }, orderBy: { id: 'asc' } });
    },
    /** ends a quota pause as the next minute or China day would: the app may send again */
    async endQuotaPause() {
      await producer.del(redisKeys(prefix).sendPause(app.appId));
      await messageQueue.removeRateLimitKey();
      await bulkQueue.removeRateLimitKey();
    },
    /** the resources fanOutBroadcast needs, for a test that runs a fan-out itself */
    fanOutResources(): FanOutResources {
      const queues = createDispatcherQueues(producer, prefix, [app]);
      queueSets.push(queues);
      return {
        db,
        queues,
        settings: { batchSize: options.batchSize ?? 250, creditExpiryMarginMs: 10 * 60_000 },
        now,
      };
    },
    async close() {
      await dispatcher?.close(2_000);
      for (const queues of queueSets) await queues.close();
      await creditWorker.close();
      await new Promise<void>((resolve) => ingest.server.close(() => resolve()));
      await new Promise<void>((resolve) => sandboxHttp.server.close(() => resolve()));
      // its message pushes still queued or in flight
      await sandbox.close();
      await messageQueue.close();
      await bulkQueue.close();
      await Promise.allSettled(boardQueues.map((queue) => queue.close()));
      // everything this harness put in Redis, BullMQ's keys and ours, shares its prefix (and on a
      // cluster, where SCAN sees one node's keys, its hash tag's slot: one node's, but each is read)
      for (const node of producer instanceof Cluster ? producer.nodes('master') : [producer]) {
        for (let cursor = '0'; ; ) {
          const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
          if (found.length > 0) await node.del(...found);
          cursor = next;
          if (cursor === '0') break;
        }
      }
      for (const redis of connections) redis.disconnect();
      await wechat.close();
      await db.$disconnect();
    },
  };

  async function send(body: Record<string, unknown>): Promise<string> {
    const response = await api<{ id: string; status: string }>('POST', '/v1/messages', body);
    if (response.status !== 202)
      throw new Error(`POST /v1/messages answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body.id;
  }

  return harness;
}

export interface MessageView {
  id: string;
  status: string;
  openid: string;
  kind: string;
  templateId: string;
  attempts: number;
  errcode?: number;
  errmsg?: string;
  createdAt: string;
  sentAt?: string;
}

export type DispatchHarness = Awaited<ReturnType<typeof startDispatchHarness>>;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` answers a value (not undefined/false), polling; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  pollMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** How many deliveries each user got. */
export function deliveriesPerUser(deliveries: readonly Delivery[]): Map<string, number> {
  const perUser = new Map<string, number>();
  for (const d of deliveries) perUser.set(d.openid, (perUser.get(d.openid) ?? 0) + 1);
  return perUser;
}

/**
 * A clock for the app that can stand still: a quota test stands it just before a minute boundary
 * until WeChat's answer comes (however long that takes on a loaded machine), so that the pause
 * until the next minute is short; then it runs on, reaching the boundary exactly when the pause
 * expires in Redis.
 */
export function pausableClock() {
  let standing: number | undefined;
  let offsetMs = 0;
  const now = () => standing ?? Date.now() + offsetMs;
  return {
    now,
    standAt(at: number): void {
      standing = at;
    },
    /** reads `at` now and runs on from there at the real clock's pace */
    runOnAt(at: number): void {
      offsetMs = at - Date.now();
      standing = undefined;
    },
    /** waits for the app's pause, checks it ends at `boundary`, runs on; answers the real time it ends */
    async runOnFromPause(h: DispatchHarness, boundary: number): Promise<number> {
      const key = redisKeys(h.prefix).sendPause(h.app.appId);
      const until = Number(
        await waitFor('the quota pause', async () => (await h.redis.get(key)) ?? undefined),
      );
      if (until !== boundary) throw new Error(`paused until ${until}, not the minute boundary ${boundary}`);
      const endsAt = Date.now() + (await h.redis.pttl(key));
      offsetMs = boundary - endsAt;
      standing = undefined;
      return endsAt;
    },
  };
}
