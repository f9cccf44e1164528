import { randomUUID } from 'node:crypto';
import type { Prisma } from '@minapush/db';
import {
  batchJob,
  broadcastQueueName,
  bulkQueueName,
  createRedisConnection,
  enqueueMessage,
  redisKeys,
} from '@minapush/queues';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, REDIS_URL, startHarness } from './harness.js';

// Control and "what can be sent" (issue 10) as far as the API alone goes: no dispatcher runs here
// (apps/dispatcher/test/control.test.ts sends for real). Each describe seeds users of its own.
let h: Harness;
let fanOutQueue: Queue;
let bulkQueue: Queue;
beforeAll(async () => {
  h = await startHarness({ worker: false, appCount: 2 });
  fanOutQueue = new Queue(broadcastQueueName(), { connection: h.redis, prefix: h.prefix });
  bulkQueue = new Queue(bulkQueueName(h.appId), { connection: h.redis, prefix: h.prefix });
});
afterAll(async () => {
  for (const queue of [fanOutQueue, bulkQueue]) {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
  await h.close();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function get(path: string) {
  return fetch(`${h.url}${path}`, { headers: { authorization: `Bearer ${h.apiKey}` } });
}
const post = (path: string, body: unknown = {}) => h.post(path, body, h.apiKey);

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = await response.json();
  expect(body).toEqual({
    error: {
      code,
      message: expect.any(String),
      ...(body.error.details ? { details: expect.anything() } : {}),
    },
  });
  return body.error;
}

/** A credit as the intake would store it; `expiresIn` in ms from now (formIds, prepay_ids). */
function credit(
  appId: string,
  openid: string,
  fields: Partial<Prisma.SendCreditCreateManyInput> & { expiresIn?: number },
): Prisma.SendCreditCreateManyInput {
  const { expiresIn, ...rest } = fields;
  const kind = rest.kind ?? 'form_id';
  return {
    appId,
    openid,
    kind,
    usesLeft: kind === 'prepay_id' ? 3 : 1,
    capturedAt: new Date(Date.now() - HOUR),
    ...(kind === 'subscribe' ? {} : { formId: `f-${randomUUID()}` }),
    ...(expiresIn === undefined ? {} : { expiresAt: new Date(Date.now() + expiresIn) }),
    ...rest,
  };
}

describe('what can be sent to a user and by an app', () => {
  const openid = (name: string) => `o-${name}-${randomUUID()}`;
  const a = openid('a');
  const b = openid('b');
  const c = openid('c');
  const d = openid('d');
  const soonest = new Date(Date.now() + 2 * HOUR);

  beforeAll(async () => {
    const app = h.appId;
    await h.db.appUser.createMany({
      data: [
        ...[a, b, c, d].map((o) => ({ appId: app, openid: o })),
        { appId: h.appIds[1] as string, openid: a },
      ],
    });
    await h.db.sendCredit.createMany({
      data: [
        // a: two formIds and a prepay_id usable, each other kind of unusable one
        credit(app, a, { expiresAt: soonest }),
        credit(app, a, { expiresIn: 3 * DAY }),
        credit(app, a, { kind: 'prepay_id', expiresIn: 5 * DAY }),
        credit(app, a, { expiresIn: -HOUR }),
        credit(app, a, { expiresIn: DAY * 2, usesLeft: 0, state: 'spent' }),
        credit(app, a, { expiresIn: DAY * 2, state: 'dead' }),
        credit(app, a, { expiresIn: DAY * 2, state: 'claimed' }),
        credit(app, a, { kind: 'subscribe', templateId: 'tmpl-a' }),
        credit(app, a, { kind: 'subscribe', templateId: 'tmpl-a' }),
        credit(app, a, { kind: 'subscribe', templateId: 'tmpl-a', usesLeft: 0, state: 'spent' }),
        credit(app, a, { kind: 'subscribe', templateId: 'tmpl-b', state: 'dead' }),
        // b: a formId expiring within a day, a subscription
        credit(app, b, { expiresIn: 20 * HOUR }),
        credit(app, b, { kind: 'subscribe', templateId: 'tmpl-a' }),
        // c: only expired and spent credits; d: only a spent formId and a dead subscription
        credit(app, c, { expiresIn: -DAY }),
        credit(app, c, { kind: 'subscribe', templateId: 'tmpl-b', usesLeft: 0, state: 'spent' }),
        credit(app, d, { expiresIn: 2 * DAY, usesLeft: 0, state: 'spent' }),
        credit(app, d, { kind: 'subscribe', templateId: 'tmpl-a', state: 'dead' }),
        // another app's user with the same openid as a: not counted here
        credit(h.appIds[1] as string, a, { expiresIn: DAY }),
      ],
    });
  });

  it("counts a user's usable credits only: not expired, spent, dead or claimed ones", async () => {
    const response = await get(`/v1/apps/${h.appId}/users/${a}/credits`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      openid: a,
      formIds: { usable: 3, usesLeft: 5, soonestExpiresAt: soonest.toISOString() },
      subscribe: { 'tmpl-a': 2 },
    });
    for (const unreachable of [c, d]) {
      expect(await (await get(`/v1/apps/${h.appId}/users/${unreachable}/credits`)).json()).toEqual({
        openid: unreachable,
        formIds: { usable: 0, usesLeft: 0 },
        subscribe: {},
      });
    }
  });

  it('answers zeros for a user it never saw, and 404 naming the apps for an unknown app', async () => {
    const stranger = `o-never-${randomUUID()}`;
    expect(await (await get(`/v1/apps/${h.appId}/users/${stranger}/credits`)).json()).toEqual({
      openid: stranger,
      formIds: { usable: 0, usesLeft: 0 },
      subscribe: {},
    });
    const error = await expectError(await get(`/v1/apps/wx-nope/users/${a}/credits`), 404, 'unknown_app');
    expect(error.message).toContain(h.appId);
    await expectError(await get('/v1/apps/wx-nope/inventory'), 404, 'unknown_app');
    const tooLong = await get(`/v1/apps/${h.appId}/users/${'o'.repeat(129)}/credits`);
    await expectError(tooLong, 400, 'invalid_request');
    expect((await fetch(`${h.url}/v1/apps/${h.appId}/inventory`)).status).toBe(401);
  });

  it("counts an app's users and the distinct users each kind of credit reaches", async () => {
    const response = await get(`/v1/apps/${h.appId}/inventory`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      users: 4,
      reachableByFormId: 2,
      reachableBySubscribe: { 'tmpl-a': 2 },
      formIdsExpiringWithin24h: 2,
    });
  });

  it('answers a dry run with the audience it would reach, creating nothing', async () => {
    const stranger = `o-never-${randomUUID()}`;
    const idempotencyKey = `k-${randomUUID()}`;
    const body = {
      kind: 'template',
      templateId: 'tmpl-legacy',
      data: { keyword1: 'sale' },
      audience: { type: 'openids', openids: [a, b, c, d, stranger, a] },
      idempotencyKey,
      dryRun: true,
    };
    const broadcastsBefore = await h.db.broadcast.count({ where: { appId: h.appId } });
    const jobsBefore = await fanOutQueue.getJobCountByTypes('waiting', 'delayed', 'prioritized');
    const response = await post('/v1/broadcasts', body);
    expect(response.status).toBe(200);
    // sendRatePerSecond is 20 in this harness: 2 messages take a second
    expect(await response.json()).toEqual({ reachable: 2, unreachable: 3, estimatedSeconds: 1 });
    expect(await h.db.broadcast.count({ where: { appId: h.appId } })).toBe(broadcastsBefore);
    expect(await fanOutQueue.getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(jobsBefore);

    const subscribe = await post('/v1/broadcasts', {
      kind: 'subscribe',
      templateId: 'tmpl-a',
      data: { thing1: 'sale' },
      audience: { type: 'all' },
      dryRun: true,
    });
    expect(await subscribe.json()).toEqual({ reachable: 2, unreachable: 2, estimatedSeconds: 1 });

    // the key was not taken: the real broadcast under it is created, not answered as a replay
    const { dryRun: _, ...real } = body;
    const created = await post('/v1/broadcasts', real);
    expect(created.status).toBe(202);
    expect(await h.db.broadcast.count({ where: { appId: h.appId } })).toBe(broadcastsBefore + 1);
    // and a dry run is still validated like the real thing
    await expectError(await post('/v1/broadcasts', { ...body, appId: 'wx-nope' }), 422, 'unknown_app');
    await expectError(await post('/v1/broadcasts', { ...body, dryRun: 'yes' }), 400, 'invalid_request');
  });

  it('estimates the time at the app’s rate, rounded up', async () => {
    const app = h.appIds[1] as string;
    const openids = Array.from({ length: 45 }, (_, i) => `o-rate-${i}-${randomUUID()}`);
    await h.db.appUser.createMany({ data: openids.map((o) => ({ appId: app, openid: o })) });
    await h.db.sendCredit.createMany({ data: openids.map((o) => credit(app, o, { expiresIn: DAY })) });
    const response = await post('/v1/broadcasts', {
      appId: app,
      kind: 'template',
      templateId: 'tmpl-legacy',
      data: { keyword1: 'sale' },
      audience: { type: 'all' },
      dryRun: true,
    });
    // and the user of the other app seeded above: 46 users, 3 seconds at 20 a second
    expect(await response.json()).toEqual({ reachable: 46, unreachable: 0, estimatedSeconds: 3 });
  });
});

/** Walks every page of a listing; answers the ids in the order the pages gave them. */
async function walk(path: string, limit: number, between?: () => Promise<void>) {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages += 1) {
    const separator = path.includes('?') ? '&' : '?';
    const response = await get(`${path}${separator}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.items.length).toBeLessThanOrEqual(limit);
    ids.push(...body.items.map((item: { id: string }) => item.id));
    if (body.nextCursor === undefined) return ids;
    expect(body.items).toHaveLength(limit);
    cursor = body.nextCursor;
    await between?.();
  }
  throw new Error('more than 100 pages');
}

describe('listings', () => {
  it('walks every broadcast of an app once, newest first, with its progress', async () => {
    const app = h.appIds[1] as string;
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      const response = await post('/v1/broadcasts', {
        appId: app,
        kind: 'subscribe',
        templateId: 'tmpl-news',
        data: { thing1: `news ${i}` },
        audience: { type: 'openids', openids: [`o-${randomUUID()}`] },
      });
      ids.push((await response.json()).id);
    }
    // newest first: by id, which uuid v7 orders by creation (to the millisecond)
    const newestFirst = [...ids].sort().reverse();
    expect(await walk(`/v1/broadcasts?appId=${app}`, 3)).toEqual(newestFirst);
    expect(await walk(`/v1/broadcasts?appId=${app}`, 100)).toEqual(newestFirst);

    await h.db.broadcast.update({ where: { id: ids[2] }, data: { status: 'paused', pausedReason: 'x' } });
    const paused = await (await get(`/v1/broadcasts?appId=${app}&status=paused`)).json();
    expect(paused).toEqual({
      items: [expect.objectContaining({ id: ids[2], status: 'paused', pausedReason: 'x', total: 0 })],
    });
    // every app: this app's broadcasts are among them, in the same order
    const all = await walk('/v1/broadcasts', 50);
    expect(all.filter((id) => ids.includes(id))).toEqual(newestFirst);
  });

  it("walks a user's messages once even while new ones arrive, and filters by status", async () => {
    const openid = `o-${randomUUID()}`;
    const send = async () =>
      (
        await (
          await post('/v1/messages', {
            openid,
            kind: 'subscribe',
            templateId: 'tmpl-order',
            data: { thing1: 'shipped' },
          })
        ).json()
      ).id as string;
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push(await send());
    const arrived: string[] = [];
    const walked = await walk(`/v1/messages?openid=${openid}`, 2, async () => {
      arrived.push(await send());
    });
    // what was there when the walk began, each once, newest first; newer ones are on a new first page
    expect(walked).toEqual([...ids].sort().reverse());
    const first = await (await get(`/v1/messages?openid=${openid}&limit=100`)).json();
    const everything = [...ids, ...arrived].sort().reverse();
    expect(first.items.map((item: { id: string }) => item.id)).toEqual(everything);
    expect(first.items[0]).toEqual({
      id: everything[0],
      appId: h.appId,
      status: 'queued',
      openid,
      kind: 'subscribe',
      templateId: 'tmpl-order',
      attempts: 0,
      createdAt: expect.any(String),
    });
    expect(first).not.toHaveProperty('nextCursor');

    await h.db.message.update({ where: { id: ids[1] }, data: { status: 'sent', sentAt: new Date() } });
    const sent = await (await get(`/v1/messages?openid=${openid}&status=sent`)).json();
    expect(sent.items.map((item: { id: string }) => item.id)).toEqual([ids[1]]);
    const otherApp = await (await get(`/v1/messages?openid=${openid}&appId=${h.appIds[1]}`)).json();
    expect(otherApp).toEqual({ items: [] });
  });

  it("walks a broadcast's messages once across statuses, newest first", async () => {
    const broadcast = await h.db.broadcast.create({
      data: {
        appId: h.appId,
        kind: 'template',
        templateId: 'tmpl-legacy',
        data: {},
        audience: { type: 'all' },
        status: 'running',
      },
    });
    const statuses = ['queued', 'sent', 'failed', 'sent', 'skipped', 'queued', 'sent', 'unknown'] as const;
    const ids: string[] = [];
    // one at a time: uuid v7 ids made in one statement could share a millisecond
    for (const [i, status] of [...statuses, ...statuses].entries()) {
      const row = await h.db.message.create({
        data: {
          appId: h.appId,
          openid: `o-b${i}-${randomUUID()}`,
          kind: 'template',
          templateId: 'tmpl-legacy',
          data: {},
          broadcastId: broadcast.id,
          status,
        },
      });
      ids.push(row.id);
    }
    const newestFirst = [...ids].sort().reverse();
    for (const limit of [1, 3, 5, 16, 100]) {
      expect(await walk(`/v1/messages?broadcastId=${broadcast.id}`, limit)).toEqual(newestFirst);
    }
    const sentIds = ids.filter((_, i) => statuses[i % statuses.length] === 'sent');
    expect(await walk(`/v1/messages?broadcastId=${broadcast.id}&status=sent`, 2)).toEqual(
      [...sentIds].sort().reverse(),
    );
    const one = await h.db.message.findUniqueOrThrow({ where: { id: ids[4] } });
    const both = await (await get(`/v1/messages?broadcastId=${broadcast.id}&openid=${one.openid}`)).json();
    expect(both.items.map((item: { id: string }) => item.id)).toEqual([one.id]);
    expect(both.items[0].broadcastId).toBe(broadcast.id);

    const listed = await (await get(`/v1/broadcasts?appId=${h.appId}&status=running&limit=100`)).json();
    expect(listed.items.find((item: { id: string }) => item.id === broadcast.id)).toMatchObject({
      total: 16,
      sent: 6,
      failed: 2,
      skipped: 2,
      unknown: 2,
      pending: 4,
    });
  });

  it('refuses bad queries with 400 in the error shape, saying what to fix', async () => {
    const openid = `o-${randomUUID()}`;
    const bad = [
      `/v1/messages?openid=${openid}&limit=0`,
      `/v1/messages?openid=${openid}&limit=101`,
      `/v1/messages?openid=${openid}&limit=ten`,
      `/v1/messages?openid=${openid}&limit=1&limit=2`,
      `/v1/messages?openid=${openid}&cursor=not-a-cursor`,
      `/v1/messages?openid=${openid}&cursor=${'A'.repeat(23)}`,
      `/v1/messages?openid=${openid}&status=delivered`,
      `/v1/messages?openid=${openid}&broadcast_id=x`,
      '/v1/messages?broadcastId=not-a-uuid',
      '/v1/messages',
      '/v1/messages?status=sent',
      '/v1/broadcasts?limit=0',
      '/v1/broadcasts?limit=101',
      '/v1/broadcasts?cursor=%00',
      '/v1/broadcasts?status=done',
      '/v1/broadcasts?sort=asc',
    ];
    for (const path of bad) {
      const response = await get(path);
      expect(response.status, path).toBe(400);
      const body = await response.json();
      expect(body.error.code, path).toBe('invalid_request');
      expect(body.error.message, path).toEqual(expect.any(String));
    }
    const limit = await (await get(`/v1/messages?openid=${openid}&limit=101`)).json();
    expect(limit.error.message).toContain('at most 100');
    const cursor = await (await get('/v1/broadcasts?cursor=abc')).json();
    expect(cursor.error.details.issues[0]).toMatchObject({ path: 'cursor' });
    const none = await (await get('/v1/messages')).json();
    expect(none.error.message).toMatch(/openid.*broadcastId/);
    await expectError(await get(`/v1/messages?openid=${openid}&appId=wx-nope`), 422, 'unknown_app');
    await expectError(await get('/v1/broadcasts?appId=wx-nope'), 422, 'unknown_app');
  });
});

describe('sendAt on single messages', () => {
  const body = (extra: Record<string, unknown> = {}) => ({
    openid: `o-${randomUUID()}`,
    kind: 'subscribe',
    templateId: 'tmpl-order',
    data: { thing1: 'shipped' },
    ...extra,
  });

  it('holds the message: a delayed job and the time in its row and view', async () => {
    const sendAt = new Date(Date.now() + HOUR);
    // written with an offset: the same instant
    const written = new Date(sendAt.getTime() + 8 * HOUR).toISOString().replace('Z', '+08:00');
    const response = await post('/v1/messages', body({ sendAt: written }));
    expect(response.status).toBe(202);
    const { id } = await response.json();
    const job = await h.messageQueue().getJob(id);
    expect(await job?.getState()).toBe('delayed');
    expect(job?.opts.delay).toBeGreaterThan(HOUR - 60_000);
    expect(job?.opts.delay).toBeLessThanOrEqual(HOUR);
    expect((await h.db.message.findUniqueOrThrow({ where: { id } })).sendAt?.getTime()).toBe(
      sendAt.getTime(),
    );
    expect(await (await get(`/v1/messages/${id}`)).json()).toMatchObject({
      status: 'queued',
      sendAt: sendAt.toISOString(),
    });
  });

  it('sends at once when sendAt is past, and refuses one more than 30 days ahead with 422', async () => {
    const past = await post('/v1/messages', body({ sendAt: new Date(Date.now() - HOUR).toISOString() }));
    expect(past.status).toBe(202);
    const job = await h.messageQueue().getJob((await past.json()).id);
    expect(await job?.getState()).toBe('waiting');

    const within = await post(
      '/v1/messages',
      body({ sendAt: new Date(Date.now() + 29 * DAY).toISOString() }),
    );
    expect(within.status).toBe(202);
    const beyond = body({ sendAt: new Date(Date.now() + 31 * DAY).toISOString() });
    const error = await expectError(await post('/v1/messages', beyond), 422, 'invalid_send_at');
    expect(error.message).toContain('30 days');
    expect(await h.db.message.count({ where: { openid: beyond.openid } })).toBe(0);
    // an offset is required: a local time would mean different instants to different servers
    await expectError(
      await post('/v1/messages', body({ sendAt: '2030-01-01T10:00:00' })),
      400,
      'invalid_request',
    );
  });

  it('is part of the request an idempotencyKey names', async () => {
    const idempotencyKey = `k-${randomUUID()}`;
    const at = new Date(Date.now() + HOUR);
    const first = body({ idempotencyKey, sendAt: at.toISOString() });
    const { id } = await (await post('/v1/messages', first)).json();
    const sameInstant = new Date(at.getTime() + 8 * HOUR).toISOString().replace('Z', '+08:00');
    const replay = await post('/v1/messages', { ...first, sendAt: sameInstant });
    expect(replay.status).toBe(202);
    expect((await replay.json()).id).toBe(id);
    const other = { ...first, sendAt: new Date(at.getTime() + 60_000).toISOString() };
    await expectError(await post('/v1/messages', other), 409, 'idempotency_key_reused');
  });

  it('holds a message the queue producer takes the same way', async () => {
    const sendAt = new Date(Date.now() + 2 * HOUR);
    const producer = { db: h.db, redis: h.redis, prefix: h.prefix, defaultAppId: h.appId, appIds: h.appIds };
    const result = await enqueueMessage(producer, body({ sendAt: sendAt.toISOString() }) as never);
    if (!result.ok) throw new Error(result.message);
    const job = await h.messageQueue().getJob(result.id);
    expect(await job?.getState()).toBe('delayed');
    expect((await h.db.message.findUniqueOrThrow({ where: { id: result.id } })).sendAt?.getTime()).toBe(
      sendAt.getTime(),
    );
    const beyond = await enqueueMessage(
      producer,
      body({ sendAt: new Date(Date.now() + 40 * DAY).toISOString() }) as never,
    );
    expect(beyond).toMatchObject({ ok: false, reason: 'invalid_send_at' });
  });
});

describe('POST /v1/messages/:id/cancel', () => {
  async function queued(extra: Record<string, unknown> = {}) {
    const response = await post('/v1/messages', {
      openid: `o-${randomUUID()}`,
      kind: 'template',
      templateId: 'tmpl-legacy',
      data: { keyword1: 'shipped' },
      ...extra,
    });
    return (await response.json()).id as string;
  }

  it('cancels a queued message and takes its job out of the queue; a repeat answers the same', async () => {
    const id = await queued({ sendAt: new Date(Date.now() + HOUR).toISOString() });
    expect(await h.messageQueue().getJob(id)).toBeDefined();
    const response = await post(`/v1/messages/${id}/cancel`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id, status: 'cancelled' });
    expect(await (await get(`/v1/messages/${id}`)).json()).toMatchObject({ status: 'cancelled' });
    expect(await h.messageQueue().getJob(id)).toBeUndefined();
    const again = await post(`/v1/messages/${id}/cancel`);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ id, status: 'cancelled' });
  });

  it('gives back the credit use a queued message held, unless a call with it may have gone out', async () => {
    const app = h.appId;
    const held = async (attempt?: 'unknown' | 'transient') => {
      const id = await queued();
      const message = await h.db.message.findUniqueOrThrow({ where: { id } });
      const { id: creditId } = await h.db.sendCredit.create({
        data: credit(app, message.openid, { expiresIn: DAY, usesLeft: 0, state: 'spent' }),
      });
      await h.db.message.update({ where: { id }, data: { creditId } });
      if (attempt) {
        await h.db.messageAttempt.create({
          data: { messageId: id, creditId, outcome: attempt, errcode: -1 },
        });
      }
      return { id, creditId };
    };
    const plain = await held();
    const answered = await held('transient');
    const unanswered = await held('unknown');
    for (const { id } of [plain, answered, unanswered]) {
      expect((await post(`/v1/messages/${id}/cancel`)).status).toBe(200);
    }
    const state = async (creditId: bigint) => {
      const row = await h.db.sendCredit.findUniqueOrThrow({ where: { id: creditId } });
      return [row.state, row.usesLeft];
    };
    expect(await state(plain.creditId)).toEqual(['available', 1]);
    expect(await state(answered.creditId)).toEqual(['available', 1]);
    expect(await state(unanswered.creditId)).toEqual(['spent', 0]);
    expect((await h.db.message.findUniqueOrThrow({ where: { id: plain.id } })).creditId).toBeNull();
  });

  it('refuses a message being sent or finished with 409 not_cancellable, an unknown one with 404', async () => {
    for (const status of ['sending', 'sent', 'failed', 'skipped', 'unknown'] as const) {
      const id = await queued();
      await h.db.message.update({ where: { id }, data: { status } });
      const error = await expectError(await post(`/v1/messages/${id}/cancel`), 409, 'not_cancellable');
      expect(error.details).toEqual({ status });
      expect((await h.db.message.findUniqueOrThrow({ where: { id } })).status).toBe(status);
    }
    await expectError(await post(`/v1/messages/${randomUUID()}/cancel`), 404, 'message_not_found');
    await expectError(await post('/v1/messages/not-a-uuid/cancel'), 404, 'message_not_found');
  });
});

describe('POST /v1/broadcasts/:id/resume', () => {
  /** A paused broadcast with batches as its dispatcher would have left them. */
  async function pausedBroadcast(fannedOut: boolean) {
    const broadcast = await h.db.broadcast.create({
      data: {
        appId: h.appId,
        kind: 'template',
        templateId: 'tmpl-legacy',
        data: {},
        audience: { type: 'all' },
        status: 'paused',
        pausedReason: 'template error 40037 on 3 consecutive sends',
        startedAt: new Date(),
        fannedOutAt: fannedOut ? new Date() : null,
      },
    });
    const batches = { waiting: randomUUID(), done: randomUUID(), partly: randomUUID() };
    const rows: Array<[string, 'queued' | 'sent' | 'failed']> = [
      [batches.waiting, 'queued'],
      [batches.waiting, 'queued'],
      [batches.done, 'sent'],
      [batches.done, 'failed'],
      [batches.partly, 'failed'],
      [batches.partly, 'queued'],
    ];
    for (const [batchId, status] of rows) {
      await h.db.message.create({
        data: {
          appId: h.appId,
          openid: `o-${randomUUID()}`,
          kind: 'template',
          templateId: 'tmpl-legacy',
          data: {},
          broadcastId: broadcast.id,
          batchId,
          status,
        },
      });
    }
    return { id: broadcast.id, batches };
  }

  /** A batch's job as a sender leaves it when the broadcast's pause stops it: completed, kept. */
  async function completeBatchJob(batchId: string, broadcastId: string) {
    const job = batchJob({ batchId, broadcastId });
    await bulkQueue.add(job.name, job.data, job.opts);
    const connection = createRedisConnection(REDIS_URL, 'worker');
    const worker = new Worker(bulkQueue.name, null, { connection, prefix: h.prefix, autorun: false });
    try {
      const taken = await worker.getNextJob('test-token');
      expect(taken?.id).toBe(batchId);
      await taken?.moveToCompleted({ stopped: 'broadcast_paused' }, 'test-token', false);
    } finally {
      await worker.close();
      connection.disconnect();
    }
  }

  it('runs a paused broadcast again and gives each batch with queued messages a live job', async () => {
    const { id, batches } = await pausedBroadcast(true);
    // the job the pause ended is still kept, completed: a plain add with its id would be ignored
    await completeBatchJob(batches.waiting, id);
    expect(await (await bulkQueue.getJob(batches.waiting))?.getState()).toBe('completed');
    const failuresKey = redisKeys(h.prefix).broadcastTemplateFailures(id);
    await h.redis.set(failuresKey, '3');

    const response = await post(`/v1/broadcasts/${id}/resume`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id, status: 'running' });
    const view = await (await get(`/v1/broadcasts/${id}`)).json();
    expect(view.status).toBe('running');
    expect(view).not.toHaveProperty('pausedReason');
    expect(await h.redis.exists(failuresKey)).toBe(0);
    const live = await bulkQueue.getJobs(['waiting', 'prioritized', 'delayed']);
    expect(
      live
        .filter((job) => job.data.broadcastId === id)
        .map((job) => job.id)
        .sort(),
    ).toEqual([batches.waiting, batches.partly].sort());
    expect(await fanOutQueue.getJob(id)).toBeUndefined();

    const again = await expectError(await post(`/v1/broadcasts/${id}/resume`), 409, 'not_paused');
    expect(again.details).toEqual({ status: 'running' });
  });

  it('queues the fan-out again when the pause cut it short', async () => {
    const { id } = await pausedBroadcast(false);
    expect((await post(`/v1/broadcasts/${id}/resume`)).status).toBe(200);
    expect(await (await fanOutQueue.getJob(id))?.getState()).toBe('waiting');
  });

  it('refuses a broadcast that is not paused with 409 not_paused, an unknown one with 404', async () => {
    const created = await post('/v1/broadcasts', {
      kind: 'subscribe',
      templateId: 'tmpl-news',
      data: { thing1: 'news' },
      audience: { type: 'openids', openids: [`o-${randomUUID()}`] },
    });
    const { id } = await created.json();
    const error = await expectError(await post(`/v1/broadcasts/${id}/resume`), 409, 'not_paused');
    expect(error.details).toEqual({ status: 'scheduled' });
    await expectError(await post(`/v1/broadcasts/${randomUUID()}/resume`), 404, 'broadcast_not_found');
    await expectError(await post('/v1/broadcasts/nope/resume'), 404, 'broadcast_not_found');
  });
});

describe('the OpenAPI document', () => {
  it('describes every control route', async () => {
    const document = await (await fetch(`${h.url}/openapi.json`)).json();
    expect(document.paths['/v1/messages'].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      'openid',
      'broadcastId',
      'appId',
      'status',
      'limit',
      'cursor',
    ]);
    expect(document.paths['/v1/broadcasts'].get.responses['200']).toBeDefined();
    expect(document.paths['/v1/broadcasts'].post.responses['200']).toBeDefined();
    expect(document.paths['/v1/broadcasts/{id}/resume'].post.responses['409']).toBeDefined();
    expect(document.paths['/v1/messages/{id}/cancel'].post.responses['409']).toBeDefined();
    expect(document.paths['/v1/apps/{appId}/users/{openid}/credits'].get).toBeDefined();
    expect(document.paths['/v1/apps/{appId}/inventory'].get).toBeDefined();
    const body = document.paths['/v1/messages'].post.requestBody.content['application/json'].schema;
    expect(body.properties.sendAt.description).toContain('30 days');
    const broadcastBody =
      document.paths['/v1/broadcasts'].post.requestBody.content['application/json'].schema;
    expect(broadcastBody.properties.dryRun.type).toBe('boolean');
  });
});
