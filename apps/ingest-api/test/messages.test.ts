import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false, appCount: 2 });
});
afterAll(() => h.close());

const newOpenid = () => `o-${randomUUID()}`;

/** `token` null sends no credentials */
function send(body: unknown, token: string | null = h.apiKey) {
  return h.post('/v1/messages', body, token ?? undefined);
}

function read(id: string, token: string | null = h.apiKey) {
  return fetch(`${h.url}/v1/messages/${id}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

function subscribeBody(openid: string) {
  return {
    openid,
    kind: 'subscribe',
    templateId: 'tmpl-order',
    data: { thing1: { value: 'Order shipped' }, number2: { value: '12' } },
  };
}

/** The send jobs of a message on an app's queue (there must never be more than one). */
async function sendJobsOf(messageId: string, appId = h.appId) {
  const jobs = await h.messageQueue(appId).getJobs(['waiting', 'delayed', 'prioritized', 'active']);
  return jobs.filter((job) => job.data.messageId === messageId);
}

async function expectOneSendJob(messageId: string, appId = h.appId) {
  const jobs = await sendJobsOf(messageId, appId);
  expect(jobs).toHaveLength(1);
  const [job] = jobs;
  expect(job?.name).toBe('send-message');
  expect(job?.id).toBe(messageId);
  // the payload names the message and nothing else: no data, openid or tokens in Redis
  expect(job?.data).toEqual({ messageId });
  expect(job?.opts.attempts).toBe(8);
}

describe('POST /v1/messages', () => {
  it('stores a template message in the wire shape and queues exactly one job naming only its id', async () => {
    const openid = newOpenid();
    const response = await send({
      openid,
      kind: 'template',
      templateId: 'tmpl-legacy',
      data: { keyword1: { value: 'A-1001' }, keyword2: { value: '¥12.50' } },
      page: 'pages/order/index?id=1001',
      emphasisKeyword: 'keyword1.DATA',
    });
    expect(response.status).toBe(202);
    const body = await response.json();
    expect(body).toEqual({ id: expect.any(String), status: 'queued' });

    const row = await h.db.message.findUniqueOrThrow({ where: { id: body.id } });
    expect(row).toMatchObject({
      appId: h.appId,
      openid,
      kind: 'template',
      templateId: 'tmpl-legacy',
      data: { keyword1: { value: 'A-1001' }, keyword2: { value: '¥12.50' } },
      page: 'pages/order/index?id=1001',
      emphasisKeyword: 'keyword1.DATA',
      miniprogramState: null,
      lang: null,
      idempotencyKey: null,
      status: 'queued',
      attempts: 0,
    });
    expect(row.requestHash).toMatch(/^[0-9a-f]{64}$/);
    await expectOneSendJob(body.id);
  });

  it('normalises the flat data shape of a subscribe message and keeps its options', async () => {
    const openid = newOpenid();
    const response = await send({
      openid,
      kind: 'subscribe',
      templateId: 'tmpl-order',
      data: { thing1: 'Order shipped', number2: 12, date3: '2026-01-01 15:01' },
      miniprogramState: 'trial',
      lang: 'en_US',
    });
    expect(response.status).toBe(202);
    const { id } = await response.json();
    const row = await h.db.message.findUniqueOrThrow({ where: { id } });
    expect(row.data).toEqual({
      thing1: { value: 'Order shipped' },
      number2: { value: '12' },
      date3: { value: '2026-01-01 15:01' },
    });
    expect([row.kind, row.miniprogramState, row.lang]).toEqual(['subscribe', 'trial', 'en_US']);
    await expectOneSendJob(id);
  });

  it('answers the first message for a repeated idempotencyKey, storing and queueing it once', async () => {
    const openid = newOpenid();
    const idempotencyKey = `order-${randomUUID()}`;
    const first = await send({ ...subscribeBody(openid), idempotencyKey });
    expect(first.status).toBe(202);
    const { id } = await first.json();

    // the same message in the flat shape, keys in another order, the default app named
    const again = await send({
      idempotencyKey,
      appId: h.appId,
      data: { number2: 12, thing1: 'Order shipped' },
      templateId: 'tmpl-order',
      kind: 'subscribe',
      openid,
    });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ id, status: 'queued' });
    expect(await h.db.message.count({ where: { appId: h.appId, idempotencyKey } })).toBe(1);
    await expectOneSendJob(id);
  });

  it('queues a still-queued message again on a replay, healing a crash between storing and queueing', async () => {
    const idempotencyKey = `k-${randomUUID()}`;
    const body = { ...subscribeBody(newOpenid()), idempotencyKey };
    const { id } = await (await send(body)).json();
    const [job] = await sendJobsOf(id);
    await job!.remove();
    expect(await sendJobsOf(id)).toHaveLength(0);

    expect(await (await send(body)).json()).toEqual({ id, status: 'queued' });
    await expectOneSendJob(id);
  });

  it("answers a replay with the message's current status and does not queue a message past queued", async () => {
    const idempotencyKey = `k-${randomUUID()}`;
    const body = { ...subscribeBody(newOpenid()), idempotencyKey };
    const { id } = await (await send(body)).json();
    const [job] = await sendJobsOf(id);
    await job!.remove();
    await h.db.message.update({ where: { id }, data: { status: 'sent', sentAt: new Date(), attempts: 1 } });

    const replay = await send(body);
    expect(replay.status).toBe(202);
    expect(await replay.json()).toEqual({ id, status: 'sent' });
    expect(await sendJobsOf(id)).toHaveLength(0);
  });

  it('refuses the same idempotencyKey with a different body with 409 and keeps the first message', async () => {
    const openid = newOpenid();
    const idempotencyKey = `k-${randomUUID()}`;
    const { id } = await (await send({ ...subscribeBody(openid), idempotencyKey })).json();

    const conflicting = await send({
      ...subscribeBody(openid),
      data: { thing1: 'Order lost' },
      idempotencyKey,
    });
    expect(conflicting.status).toBe(409);
    const { error } = await conflicting.json();
    expect(error.code).toBe('idempotency_key_reused');
    expect(error.message).toMatch(/different message/);

    const rows = await h.db.message.findMany({ where: { appId: h.appId, idempotencyKey } });
    expect(rows.map((row) => [row.id, row.data])).toEqual([
      [id, { thing1: { value: 'Order shipped' }, number2: { value: '12' } }],
    ]);
  });

  it('keeps idempotency keys per app', async () => {
    const [defaultApp, otherApp] = h.appIds as [string, string];
    const openid = newOpenid();
    const idempotencyKey = `k-${randomUUID()}`;
    const first = await (await send({ ...subscribeBody(openid), idempotencyKey })).json();
    const other = await send({ ...subscribeBody(openid), idempotencyKey, appId: otherApp });
    expect(other.status).toBe(202);
    const second = await other.json();
    expect(second.id).not.toBe(first.id);

    const rows = await h.db.message.findMany({ where: { idempotencyKey }, orderBy: { appId: 'asc' } });
    expect(rows.map((row) => row.appId).sort()).toEqual([defaultApp, otherApp].sort());
    await expectOneSendJob(first.id, defaultApp);
    await expectOneSendJob(second.id, otherApp);
    expect(await sendJobsOf(second.id, defaultApp)).toHaveLength(0);
  });

  it.each([
    ['a thing value of 25 characters', 'x'.repeat(25), /at most 20 characters/],
    ['a line separator in a value', 'line one\u2028line two', /control characters/],
  ])('refuses %s with 422 naming data.thing1.value, before anything is stored', async (_, value, rule) => {
    const openid = newOpenid();
    const response = await send({ ...subscribeBody(openid), data: { thing1: value } });
    expect(response.status).toBe(422);
    const { error } = await response.json();
    expect(error.code).toBe('invalid_data');
    expect(error.details).toEqual({ field: 'data.thing1.value' });
    expect(error.message).toMatch(rule);
    expect(error.message).toContain('data.thing1.value');
    expect(await h.db.message.count({ where: { openid } })).toBe(0);
  });

  it('refuses data WeChat cannot take at all with 422 naming the key', async () => {
    const openid = newOpenid();
    const badKey = await send({ ...subscribeBody(openid), kind: 'template', data: { 'key one': 'x' } });
    expect(badKey.status).toBe(422);
    expect((await badKey.json()).error).toMatchObject({
      code: 'invalid_data',
      details: { field: 'data.key one' },
    });
    const empty = await send({ ...subscribeBody(openid), data: {} });
    expect(empty.status).toBe(422);
    expect((await empty.json()).error.details).toEqual({ field: 'data' });
    expect(await h.db.message.count({ where: { openid } })).toBe(0);
  });

  it('refuses a malformed body with 400 listing each problem with its path', async () => {
    const missing = await send({ kind: 'subscribe', templateId: 't', data: { thing1: 'x' } });
    expect(missing.status).toBe(400);
    const { error } = await missing.json();
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(/^The message request is invalid \(openid: .*See \/docs/);
    expect(error.details.issues.map((issue: { path: string }) => issue.path)).toEqual(['openid']);

    const cases: Array<[unknown, string]> = [
      [{ ...subscribeBody('o'), kind: 'email' }, 'kind'],
      [{ ...subscribeBody('o'), data: 'thing1=x' }, 'data'],
      [{ ...subscribeBody('o'), data: { thing1: { value: 'x', color: '#f00' } } }, 'data.thing1'],
      [{ ...subscribeBody('o'), miniprogram_state: 'trial' }, '(request)'],
      [{ ...subscribeBody('o'), emphasisKeyword: 'thing1.DATA' }, 'emphasisKeyword'],
      [{ ...subscribeBody('o'), kind: 'template', lang: 'en_US' }, 'lang'],
      [{ ...subscribeBody('o'), openid: 'o'.repeat(129) }, 'openid'],
      [{ ...subscribeBody('o'), idempotencyKey: '' }, 'idempotencyKey'],
      [{ ...subscribeBody('o'), idempotencyKey: 'order\u0000-42' }, 'idempotencyKey'],
      [[subscribeBody('o')], '(request)'],
    ];
    for (const [body, path] of cases) {
      const response = await send(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const answer = await response.json();
      expect(answer.error.details.issues[0].path, JSON.stringify(body)).toBe(path);
    }

    const notJson = await send('{"openid":');
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error.code).toBe('malformed_json');
  });

  it('refuses an app this server does not serve with 422 unknown_app', async () => {
    const response = await send({ ...subscribeBody(newOpenid()), appId: 'wx-not-ours' });
    expect(response.status).toBe(422);
    const { error } = await response.json();
    expect(error.code).toBe('unknown_app');
    expect(error.message).toContain(h.appId);
  });

  it('is for API keys: 401 without credentials, 403 for a session', async () => {
    const session = await h.login();
    const body = subscribeBody(session.openid);
    const anonymous = await send(body, null);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe('missing_credentials');
    const asUser = await send(body, session.token);
    expect(asUser.status).toBe(403);
    expect((await asUser.json()).error.code).toBe('api_key_required');
    expect(await h.db.message.count({ where: { openid: session.openid } })).toBe(0);
  });
});

describe('GET /v1/messages/:id', () => {
  it('answers the documented fields, leaving out those that do not apply yet', async () => {
    const openid = newOpenid();
    const { id } = await (await send(subscribeBody(openid))).json();
    const response = await read(id);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({
      id,
      appId: h.appId,
      status: 'queued',
      openid,
      kind: 'subscribe',
      templateId: 'tmpl-order',
      attempts: 0,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      attemptHistory: [],
    });
    const row = await h.db.message.findUniqueOrThrow({ where: { id } });
    expect(body.createdAt).toBe(row.createdAt.toISOString());
  });

  it('shows the outcome once the dispatcher recorded one', async () => {
    const { id } = await (await send(subscribeBody(newOpenid()))).json();
    await h.db.message.update({
      where: { id },
      data: { status: 'failed', attempts: 1, errcode: 43101, errmsg: 'user refuse to accept the msg' },
    });
    expect(await (await read(id)).json()).toMatchObject({
      status: 'failed',
      attempts: 1,
      errcode: 43101,
      errmsg: 'user refuse to accept the msg',
    });

    const sentAt = new Date('2026-01-01T00:00:00.123Z');
    const { id: sentId } = await (await send(subscribeBody(newOpenid()))).json();
    await h.db.message.update({ where: { id: sentId }, data: { status: 'sent', attempts: 1, sentAt } });
    const sent = await (await read(sentId)).json();
    expect(sent).toMatchObject({ status: 'sent', sentAt: sentAt.toISOString() });
    expect(sent).not.toHaveProperty('errcode');
  });

  it('answers 404 message_not_found for unknown and malformed ids', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', encodeURIComponent("1' OR '1'='1"), '0'.repeat(5000)]) {
      const response = await read(id);
      expect(response.status, id.slice(0, 40)).toBe(404);
      expect((await response.json()).error.code).toBe('message_not_found');
    }
  });

  it('is for API keys: 401 without credentials, 403 for a session', async () => {
    const { id } = await (await send(subscribeBody(newOpenid()))).json();
    expect((await read(id, null)).status).toBe(401);
    const session = await h.login();
    expect((await read(id, session.token)).status).toBe(403);
  });
});

describe('the OpenAPI document', () => {
  it('describes both message endpoints with the request schema the producer applies', async () => {
    const document = await (await fetch(`${h.url}/openapi.json`)).json();
    const post = document.paths['/v1/messages'].post;
    const schema = post.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['openid', 'kind', 'templateId', 'data']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.lang.enum).toEqual(['zh_CN', 'en_US', 'zh_HK', 'zh_TW']);
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['202', '400', '409', '422', '503']));
    expect(document.paths['/v1/messages/{id}'].get.responses['404']).toBeDefined();
  });
});
