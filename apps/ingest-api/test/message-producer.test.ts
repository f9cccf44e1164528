import { randomUUID } from 'node:crypto';
import {
  createRedisConnection,
  enqueueMessage,
  type MessageProducerConnection,
  type MessageRequest,
  messageQueueName,
  QueueUnavailableError,
} from '@minapush/queues';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

// Other Node backends call enqueueMessage directly; it must behave exactly like POST /v1/messages,
// which this harness also serves on the same database, Redis prefix and apps.
let h: Harness;
let producer: MessageProducerConnection;
beforeAll(async () => {
  h = await startHarness({ worker: false });
  producer = { db: h.db, redis: h.redis, prefix: h.prefix, defaultAppId: h.appId, appIds: h.appIds };
});
afterAll(() => h.close());

const message = (openid: string): MessageRequest => ({
  openid,
  kind: 'subscribe',
  templateId: 'tmpl-order',
  data: { thing1: 'Order shipped' },
});

async function sendJobsOf(messageId: string) {
  const jobs = await h.messageQueue().getJobs(['waiting', 'delayed', 'prioritized', 'active']);
  return jobs.filter((job) => job.data.messageId === messageId);
}

describe('enqueueMessage (the queue contract)', () => {
  it('stores and queues a message the way the HTTP API does', async () => {
    const openid = `o-${randomUUID()}`;
    const result = await enqueueMessage(producer, message(openid));
    expect(result).toEqual({ ok: true, id: expect.any(String), status: 'queued', created: true });
    if (!result.ok) return;
    const row = await h.db.message.findUniqueOrThrow({ where: { id: result.id } });
    expect(row).toMatchObject({ appId: h.appId, openid, data: { thing1: { value: 'Order shipped' } } });
    const jobs = await sendJobsOf(result.id);
    expect(jobs.map((job) => [job.id, job.name, job.data])).toEqual([
      [result.id, 'send-message', { messageId: result.id }],
    ]);

    const answer = await (
      await fetch(`${h.url}/v1/messages/${result.id}`, {
        headers: { authorization: `Bearer ${h.apiKey}` },
      })
    ).json();
    expect(answer).toMatchObject({ id: result.id, status: 'queued', openid });
  });

  it('shares idempotency keys with the HTTP API, both ways', async () => {
    const openid = `o-${randomUUID()}`;
    const idempotencyKey = `k-${randomUUID()}`;
    const direct = await enqueueMessage(producer, { ...message(openid), idempotencyKey });
    const overHttp = await h.post('/v1/messages', { ...message(openid), idempotencyKey }, h.apiKey);
    expect(overHttp.status).toBe(202);
    const { id } = await overHttp.json();
    expect(direct).toMatchObject({ ok: true, id, created: true });
    expect(await enqueueMessage(producer, { ...message(openid), idempotencyKey })).toEqual({
      ok: true,
      id,
      status: 'queued',
      created: false,
    });
    expect(await h.db.message.count({ where: { appId: h.appId, idempotencyKey } })).toBe(1);
    expect(await sendJobsOf(id)).toHaveLength(1);

    const conflict = await enqueueMessage(producer, {
      ...message(openid),
      templateId: 'tmpl-other',
      idempotencyKey,
    });
    expect(conflict).toMatchObject({ ok: false, reason: 'idempotency_conflict' });
  });

  it('stores one message when the same key arrives many times at once', async () => {
    const openid = `o-${randomUUID()}`;
    const idempotencyKey = `k-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 12 }, () => enqueueMessage(producer, { ...message(openid), idempotencyKey })),
    );
    const ids = new Set(results.map((result) => (result.ok ? result.id : result.reason)));
    expect(ids.size).toBe(1);
    expect(results.filter((result) => result.ok && result.created)).toHaveLength(1);
    expect(await h.db.message.count({ where: { appId: h.appId, idempotencyKey } })).toBe(1);
    expect(await sendJobsOf([...ids][0]!)).toHaveLength(1);
  });

  it('refuses what the HTTP API refuses, with the same reasons and fields', async () => {
    const openid = `o-${randomUUID()}`;
    const tooLong = await enqueueMessage(producer, { ...message(openid), data: { thing1: 'x'.repeat(25) } });
    expect(tooLong).toEqual({
      ok: false,
      reason: 'invalid_data',
      field: 'data.thing1.value',
      message: expect.stringContaining('at most 20 characters'),
    });

    const shapeless = await enqueueMessage(producer, {
      ...message(openid),
      kind: 'sms',
    } as unknown as MessageRequest);
    expect(shapeless).toMatchObject({
      ok: false,
      reason: 'invalid_request',
      issues: [{ path: 'kind', message: expect.any(String) }],
    });

    const elsewhere = await enqueueMessage(producer, { ...message(openid), appId: 'wx-not-ours' });
    expect(elsewhere).toMatchObject({ ok: false, reason: 'unknown_app' });
    expect(await h.db.message.count({ where: { openid } })).toBe(0);
  });

  it('throws QueueUnavailableError without storing anything when Redis is down', async () => {
    const down = createRedisConnection('redis://127.0.0.1:1', 'producer');
    down.on('error', () => undefined);
    const openid = `o-${randomUUID()}`;
    try {
      const attempt = enqueueMessage({ ...producer, redis: down }, message(openid));
      await expect(attempt).rejects.toThrow(QueueUnavailableError);
      await expect(attempt).rejects.toMatchObject({ code: 'queue_unavailable', messageId: undefined });
      expect(await h.db.message.count({ where: { openid } })).toBe(0);
    } finally {
      down.disconnect();
    }
  });

  it('keeps a stored message queued when Redis refuses its job, and a replay queues it', async () => {
    // a key of the wrong type makes Redis refuse the add while the connection is up
    const prefix = `test-${randomUUID()}`;
    const metaKey = `${prefix}:${messageQueueName(h.appId)}:meta`;
    await h.redis.set(metaKey, 'not a hash');
    const broken = { ...producer, prefix };
    const openid = `o-${randomUUID()}`;
    const idempotencyKey = `k-${randomUUID()}`;
    try {
      const error = await enqueueMessage(broken, { ...message(openid), idempotencyKey }).catch((e) => e);
      expect(error).toBeInstanceOf(QueueUnavailableError);
      const row = await h.db.message.findFirstOrThrow({ where: { openid } });
      expect(error.messageId).toBe(row.id);
      expect(row.status).toBe('queued');

      await h.redis.del(metaKey);
      const replay = await enqueueMessage(broken, { ...message(openid), idempotencyKey });
      expect(replay).toEqual({ ok: true, id: row.id, status: 'queued', created: false });
      const queue = new Queue(messageQueueName(h.appId), { connection: h.redis, prefix });
      try {
        expect((await queue.getJob(row.id))?.data).toEqual({ messageId: row.id });
      } finally {
        await queue.obliterate({ force: true });
        await queue.close();
      }
    } finally {
      await h.redis.del(metaKey);
    }
  });
});
