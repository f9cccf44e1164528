import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

// Nothing listens on port 1: this harness answers requests with a Redis that is down.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ redisUrl: 'redis://127.0.0.1:1', worker: false });
});
afterAll(() => h.close());

describe('POST /v1/messages when Redis is down', () => {
  it('answers 503 queue_unavailable with Retry-After and stores nothing, so a retry sends once', async () => {
    const openid = `o-${randomUUID()}`;
    const response = await h.post(
      '/v1/messages',
      { openid, kind: 'subscribe', templateId: 'tmpl-order', data: { thing1: 'Order shipped' } },
      h.apiKey,
    );
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    const { error } = await response.json();
    expect(error.code).toBe('queue_unavailable');
    expect(error.message).toMatch(/nothing was stored, retry later/);
    expect(await h.db.message.count({ where: { openid } })).toBe(0);
  });

  it('still refuses an invalid message for what it is', async () => {
    const response = await h.post(
      '/v1/messages',
      { openid: 'o-1', kind: 'subscribe', templateId: 'tmpl-order', data: { thing1: 'x'.repeat(21) } },
      h.apiKey,
    );
    expect(response.status).toBe(422);
    expect((await response.json()).error.details).toEqual({ field: 'data.thing1.value' });
  });
});

describe('POST /v1/broadcasts when Redis is down', () => {
  it('answers 503 queue_unavailable and stores nothing', async () => {
    const templateId = `tmpl-${randomUUID()}`;
    const response = await h.post(
      '/v1/broadcasts',
      { kind: 'subscribe', templateId, data: { thing1: 'x' }, audience: { type: 'all' } },
      h.apiKey,
    );
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect((await response.json()).error.code).toBe('queue_unavailable');
    expect(await h.db.broadcast.count({ where: { templateId } })).toBe(0);
  });
});
