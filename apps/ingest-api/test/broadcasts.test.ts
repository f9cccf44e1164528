import { randomUUID } from 'node:crypto';
import { broadcastQueueName } from '@minapush/queues';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
let fanOutQueue: Queue;
beforeAll(async () => {
  h = await startHarness({ worker: false });
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
