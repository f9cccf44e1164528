import { randomUUID } from 'node:crypto';
import { createDatabase } from '@minapush/db';
import { broadcastQueueName } from '@minapush/queues';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, eventually, type Harness, startHarness } from './harness.js';

let h: Harness;
let fanOutQueue: Queue;
beforeAll(async () => {
  h = await startHarness({ worker: false, appCount: 2 });
  fanOutQueue = new Queue(broadcastQueueName(), { connection: h.redis, prefix: h.prefix });
});
afterAll(async () => {
  await fanOutQueue.obliterate({ force: true }).catch(() => undefined);
  await fanOutQueue.close();
  await h.close();
});

const broadcastBody = (extra: Record<string, unknown> = {}) => ({
  kind: 'subscribe',
  templateId: 'tmpl-news',
  data: { thing1: 'New season' },
  audience: { type: 'openids', openids: [`o-${randomUUID()}`, `o-${randomUUID()}`] },
  ...extra,
});

function get(path: string, token: string | null = h.apiKey) {
  return fetch(`${h.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

/** Every fan-out job of a broadcast, in any state (this harness runs no fan-out worker). */
async function fanOutJobsOf(broadcastId: string) {
  const jobs = await fanOutQueue.getJobs([
    'waiting',
    'delayed',
    'prioritized',
    'active',
    'completed',
    'failed',
  ]);
  return jobs.filter((job) => job.data.broadcastId === broadcastId);
}

describe('POST /v1/broadcasts', () => {
  it('stores a scheduled broadcast in the wire shape and queues one fan-out job naming only its id', async () => {
    const response = await h.post('/v1/broadcasts', broadcastBody(), h.apiKey);
    expect(response.status).toBe(202);
    const body = await response.json();
    expect(body).toEqual({ id: expect.any(String), status: 'scheduled' });
    const row = await h.db.broadcast.findUniqueOrThrow({ where: { id: body.id } });
    expect(row).toMatchObject({
      appId: h.appId,
      kind: 'subscribe',
      templateId: 'tmpl-news',
      data: { thing1: { value: 'New season' } },
      status: 'scheduled',
      total: 0,
    });
    const job = await fanOutQueue.getJob(body.id);
    expect(job?.name).toBe('fan-out-broadcast');
    expect(job?.data).toEqual({ broadcastId: body.id });
    expect(job?.opts.attempts).toBe(10);
  });

  it('delays the fan-out until sendAt', async () => {
    const sendAt = new Date(Date.now() + 60_000).toISOString();
    const response = await h.post('/v1/broadcasts', broadcastBody({ sendAt }), h.apiKey);
    expect(response.status).toBe(202);
    const { id } = await response.json();
    const job = await fanOutQueue.getJob(id);
    expect(await job?.getState()).toBe('delayed');
    expect(job?.opts.delay).toBeGreaterThan(50_000);
  });

  it('stores a repeated openid once in the audience', async () => {
    const openid = `o-${randomUUID()}`;
    const response = await h.post(
      '/v1/broadcasts',
      broadcastBody({ audience: { type: 'openids', openids: [openid, openid, 'o-other'] } }),
      h.apiKey,
    );
    const { id } = await response.json();
    const row = await h.db.broadcast.findUniqueOrThrow({ where: { id } });
    expect(row.audience).toEqual({ type: 'openids', openids: [openid, 'o-other'] });
  });

  it('refuses malformed bodies with 400 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [broadcastBody({ audience: { type: 'openids', openids: [] } }), 'audience.openids'],
      [broadcastBody({ audience: { type: 'some' } }), 'audience.type'],
      [broadcastBody({ audience: undefined }), 'audience'],
      [broadcastBody({ kind: 'sms' }), 'kind'],
      [broadcastBody({ sendAt: 'tomorrow' }), 'sendAt'],
      [broadcastBody({ openid: 'o-1' }), '(body)'],
      [broadcastBody({ audience: { type: 'openids', openids: ['x'.repeat(129)] } }), 'audience.openids.0'],
      [broadcastBody({ idempotencyKey: '' }), 'idempotencyKey'],
      [broadcastBody({ idempotencyKey: 'k'.repeat(257) }), 'idempotencyKey'],
      [broadcastBody({ idempotencyKey: 'news\u0000-1' }), 'idempotencyKey'],
      [broadcastBody({ idempotencyKey: 'news\n' }), 'idempotencyKey'],
    ];
    for (const [body, path] of cases) {
      const response = await h.post('/v1/broadcasts', body, h.apiKey);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const { error } = await response.json();
      expect(error.code).toBe('invalid_request');
      expect(error.details.issues.map((issue: { path: string }) => issue.path)).toContain(path);
    }
  });

  it('refuses more than 100000 openids with 400 and a body above 8 MiB with 413', async () => {
    const many = Array.from({ length: 100_001 }, (_, i) => `o-${i}`);
    const tooMany = await h.post(
      '/v1/broadcasts',
      broadcastBody({ audience: { type: 'openids', openids: many } }),
      h.apiKey,
    );
    expect(tooMany.status).toBe(400);
    const huge = Array.from({ length: 80_000 }, () => `o-${'x'.repeat(120)}`);
    const tooLarge = await h.post(
      '/v1/broadcasts',
      broadcastBody({ audience: { type: 'openids', openids: huge } }),
      h.apiKey,
    );
    expect(tooLarge.status).toBe(413);
    expect((await tooLarge.json()).error.code).toBe('body_too_large');
  });

  it('accepts an audience far above the 64 KiB limit of other routes', async () => {
    const openids = Array.from({ length: 20_000 }, (_, i) => `o-${i}-${randomUUID()}`);
    const response = await h.post(
      '/v1/broadcasts',
      broadcastBody({ audience: { type: 'openids', openids } }),
      h.apiKey,
    );
    expect(response.status).toBe(202);
  });

  it('refuses subscribe values WeChat would refuse with 422 naming the field, and unknown apps', async () => {
    const invalid = await h.post(
      '/v1/broadcasts',
      broadcastBody({ data: { thing1: 'x'.repeat(21) } }),
      h.apiKey,
    );
    expect(invalid.status).toBe(422);
    const { error } = await invalid.json();
    expect(error.code).toBe('invalid_data');
    expect(error.details).toEqual({ field: 'data.thing1.value' });

    const unknownApp = await h.post('/v1/broadcasts', broadcastBody({ appId: 'wx-nope' }), h.apiKey);
    expect(unknownApp.status).toBe(422);
    expect((await unknownApp.json()).error.code).toBe('unknown_app');
  });

  it('takes API keys only', async () => {
    expect((await h.post('/v1/broadcasts', broadcastBody())).status).toBe(401);
    expect((await h.post('/v1/broadcasts', broadcastBody(), 'not-a-key')).status).toBe(401);
    const { token } = await h.login();
    expect((await h.post('/v1/broadcasts', broadcastBody(), token)).status).toBe(403);
    expect((await get(`/v1/broadcasts/${randomUUID()}`, token)).status).toBe(403);
    expect((await get(`/v1/broadcasts/${randomUUID()}`, null)).status).toBe(401);
    expect((await h.post(`/v1/broadcasts/${randomUUID()}/cancel`, {}, token)).status).toBe(403);
  });
});

describe('POST /v1/broadcasts with an idempotencyKey', () => {
  const broadcastsUnder = (idempotencyKey: string) =>
    h.db.broadcast.findMany({ where: { idempotencyKey }, orderBy: { appId: 'asc' } });

  it('answers the first broadcast for the same key and body, storing it once with one fan-out job', async () => {
    const idempotencyKey = `news-${randomUUID()}`;
    const [o1, o2] = [`o-${randomUUID()}`, `o-${randomUUID()}`];
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3_600_000);
    const first = await h.post(
      '/v1/broadcasts',
      broadcastBody({
        audience: { type: 'openids', openids: [o1, o2] },
        sendAt: at.toISOString(),
        idempotencyKey,
      }),
      h.apiKey,
    );
    expect(first.status).toBe(202);
    const { id } = await first.json();

    // the same broadcast spelt otherwise: wire data, keys in another order, the default app
    // named, an openid repeated, sendAt in China time
    const inChinaTime = new Date(at.getTime() + 8 * 3_600_000).toISOString().replace('Z', '+08:00');
    const again = await h.post(
      '/v1/broadcasts',
      {
        idempotencyKey,
        sendAt: inChinaTime,
        appId: h.appId,
        audience: { openids: [o1, o2, o1], type: 'openids' },
        data: { thing1: { value: 'New season' } },
        templateId: 'tmpl-news',
        kind: 'subscribe',
      },
      h.apiKey,
    );
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ id, status: 'scheduled' });

    const rows = await broadcastsUnder(idempotencyKey);
    expect(rows.map((row) => [row.id, row.appId, row.requestHash?.length])).toEqual([[id, h.appId, 64]]);
    expect((await fanOutJobsOf(id)).map((job) => job.id)).toEqual([id]);
  });

  it('refuses the same key with a different body with 409 idempotency_key_reused and keeps the first', async () => {
    const idempotencyKey = `news-${randomUUID()}`;
    const body = broadcastBody({ idempotencyKey });
    const { id } = await (await h.post('/v1/broadcasts', body, h.apiKey)).json();

    const variants = [
      { ...body, data: { thing1: 'Old season' } },
      { ...body, audience: { type: 'all' } },
      { ...body, sendAt: new Date(Date.now() + 60_000).toISOString() },
      { ...body, page: 'pages/news/index' },
    ];
    for (const variant of variants) {
      const conflicting = await h.post('/v1/broadcasts', variant, h.apiKey);
      expect(conflicting.status, JSON.stringify(variant)).toBe(409);
      expect(await conflicting.json()).toEqual({
        error: { code: 'idempotency_key_reused', message: expect.stringMatching(/different broadcast/) },
      });
    }
    const rows = await broadcastsUnder(idempotencyKey);
    expect(rows.map((row) => [row.id, row.data])).toEqual([[id, { thing1: { value: 'New season' } }]]);
    expect(await fanOutJobsOf(id)).toHaveLength(1);
  });

  it('makes two broadcasts of the same body sent twice without a key', async () => {
    const templateId = `tmpl-${randomUUID()}`;
    const body = broadcastBody({ templateId });
    const first = await h.post('/v1/broadcasts', body, h.apiKey);
    const second = await h.post('/v1/broadcasts', body, h.apiKey);
    expect([first.status, second.status]).toEqual([202, 202]);
    const ids = [(await first.json()).id, (await second.json()).id];
    expect(new Set(ids).size).toBe(2);
    expect(await h.db.broadcast.count({ where: { templateId } })).toBe(2);
    for (const id of ids) expect(await fanOutJobsOf(id)).toHaveLength(1);
  });

  it('stores one broadcast when the same request arrives many times at once', async () => {
    const idempotencyKey = `news-${randomUUID()}`;
    const body = broadcastBody({ idempotencyKey });
    // The requests are held at a lock on the table and let go together, so that they meet in
    // Postgres: arriving a few milliseconds apart, even a check-then-insert would store one row.
    const locker = createDatabase({ url: DATABASE_URL, maxConnections: 2 });
    try {
      const { sent } = await locker.$transaction(
        async (tx) => {
          await tx.$executeRawUnsafe('LOCK TABLE broadcasts IN ACCESS EXCLUSIVE MODE');
          const [{ pid }] = await tx.$queryRaw<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
          const sent = Promise.all(
            Array.from({ length: 12 }, () => h.post('/v1/broadcasts', body, h.apiKey)),
          );
          await eventually(async () => {
            const [{ held }] = await locker.$queryRaw<[{ held: number }]>`
              SELECT count(*)::int AS held FROM pg_stat_activity WHERE ${pid}::int = ANY(pg_blocking_pids(pid))`;
            return held >= 2 ? true : undefined;
          }, 10_000);
          return { sent };
        },
        { timeout: 20_000 },
      );
      const responses = await sent;
      expect(responses.map((response) => response.status)).toEqual(Array(12).fill(202));
      const answers = await Promise.all(responses.map((response) => response.json()));
      const ids = new Set(answers.map((answer) => answer.id));
      expect(ids.size).toBe(1);
      const [id] = [...ids] as [string];
      expect((await broadcastsUnder(idempotencyKey)).map((row) => row.id)).toEqual([id]);
      expect(await fanOutJobsOf(id)).toHaveLength(1);
    } finally {
      await locker.$disconnect();
    }
  });

  it('keeps keys per app', async () => {
    const [defaultApp, otherApp] = h.appIds as [string, string];
    const idempotencyKey = `news-${randomUUID()}`;
    const first = await (await h.post('/v1/broadcasts', broadcastBody({ idempotencyKey }), h.apiKey)).json();
    const other = await h.post(
      '/v1/broadcasts',
      broadcastBody({ idempotencyKey, appId: otherApp }),
      h.apiKey,
    );
    expect(other.status).toBe(202);
    const second = await other.json();
    expect(second.id).not.toBe(first.id);
    const rows = await broadcastsUnder(idempotencyKey);
    expect(rows.map((row) => [row.id, row.appId]).sort()).toEqual(
      [
        [first.id, defaultApp],
        [second.id, otherApp],
      ].sort(),
    );
  });

  it('queues a still-scheduled broadcast again on a replay, and a started one not at all', async () => {
    const idempotencyKey = `news-${randomUUID()}`;
    const body = broadcastBody({ idempotencyKey });
    const { id } = await (await h.post('/v1/broadcasts', body, h.apiKey)).json();
    // a crash between storing and queueing: the broadcast is stored, its job is not
    await (await fanOutJobsOf(id))[0]!.remove();
    expect(await fanOutJobsOf(id)).toHaveLength(0);
    const healing = await h.post('/v1/broadcasts', body, h.apiKey);
    expect([healing.status, await healing.json()]).toEqual([202, { id, status: 'scheduled' }]);
    expect((await fanOutJobsOf(id)).map((job) => job.data)).toEqual([{ broadcastId: id }]);

    // its fan-out ran (and its job went, as a completed one does): a replay answers how it is now
    await (await fanOutJobsOf(id))[0]!.remove();
    await h.db.broadcast.update({ where: { id }, data: { status: 'running', startedAt: new Date() } });
    const replay = await h.post('/v1/broadcasts', body, h.apiKey);
    expect([replay.status, await replay.json()]).toEqual([202, { id, status: 'running' }]);
    expect(await fanOutJobsOf(id)).toHaveLength(0);
  });

  it('keeps a keyed broadcast whose fan-out Redis refused, answering 503 with its id; a replay queues it', async () => {
    // a key of the wrong type makes Redis refuse the add while the connection is up
    const metaKey = `${h.prefix}:${broadcastQueueName()}:meta`;
    const idempotencyKey = `news-${randomUUID()}`;
    const templateId = `tmpl-${randomUUID()}`;
    const body = broadcastBody({ templateId, idempotencyKey });
    let id: string;
    await h.redis.set(metaKey, 'not a hash');
    try {
      const refused = await h.post('/v1/broadcasts', body, h.apiKey);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      const { error } = await refused.json();
      expect(error.code).toBe('queue_unavailable');
      id = error.details.id;
      const [row] = await broadcastsUnder(idempotencyKey);
      expect([row?.id, row?.status]).toEqual([id, 'scheduled']);

      // without a key nothing is kept, so that a blind retry does not make a second broadcast
      const unkeyed = await h.post('/v1/broadcasts', broadcastBody({ templateId }), h.apiKey);
      expect(unkeyed.status).toBe(503);
      expect((await unkeyed.json()).error.message).toMatch(/nothing was stored/);
      expect(await h.db.broadcast.count({ where: { templateId } })).toBe(1);
    } finally {
      await h.redis.del(metaKey);
    }
    const replay = await h.post('/v1/broadcasts', body, h.apiKey);
    expect([replay.status, await replay.json()]).toEqual([202, { id, status: 'scheduled' }]);
    expect((await fanOutJobsOf(id)).map((job) => job.id)).toEqual([id]);
  });
});

describe('GET /v1/broadcasts/:id and cancel', () => {
  it('shows a new broadcast as scheduled with nothing counted yet', async () => {
    const { id } = await (await h.post('/v1/broadcasts', broadcastBody(), h.apiKey)).json();
    const response = await get(`/v1/broadcasts/${id}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      id,
      appId: h.appId,
      status: 'scheduled',
      total: 0,
      sent: 0,
      failed: 0,
      skipped: 0,
      unknown: 0,
      pending: 0,
      createdAt: expect.any(String),
    });
  });

  it('answers 404 broadcast_not_found for unknown and malformed ids, never 500', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', '%27%3B--', '0'.repeat(300)]) {
      const read = await get(`/v1/broadcasts/${id}`);
      expect(read.status, id).toBe(404);
      expect((await read.json()).error.code).toBe('broadcast_not_found');
      const cancel = await h.post(`/v1/broadcasts/${id}/cancel`, {}, h.apiKey);
      expect(cancel.status, id).toBe(404);
    }
  });

  it('cancels a scheduled broadcast, twice with the same answer, and 409s a completed one', async () => {
    const { id } = await (await h.post('/v1/broadcasts', broadcastBody(), h.apiKey)).json();
    for (let i = 0; i < 2; i += 1) {
      const response = await h.post(`/v1/broadcasts/${id}/cancel`, {}, h.apiKey);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ id, status: 'cancelled' });
    }
    const view = await (await get(`/v1/broadcasts/${id}`)).json();
    expect(view.status).toBe('cancelled');
    expect(view.finishedAt).toEqual(expect.any(String));

    const { id: done } = await (await h.post('/v1/broadcasts', broadcastBody(), h.apiKey)).json();
    await h.db.broadcast.update({ where: { id: done }, data: { status: 'completed' } });
    const refused = await h.post(`/v1/broadcasts/${done}/cancel`, {}, h.apiKey);
    expect(refused.status).toBe(409);
    expect((await refused.json()).error.code).toBe('broadcast_finished');
  });

  it('is in the OpenAPI document', async () => {
    const document = await (await fetch(`${h.url}/openapi.json`)).json();
    expect(document.paths['/v1/broadcasts'].post.requestBody).toBeDefined();
    expect(document.paths['/v1/broadcasts/{id}'].get.responses['404']).toBeDefined();
    expect(document.paths['/v1/broadcasts/{id}/cancel'].post.responses['409']).toBeDefined();
  });
});
