import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createRedisConnection,
  creditIngestCatalog,
  enqueueCreditBatch,
  parseCatalogJob,
  UnknownJobError,
  waitUntilReady,
} from '../src/index.js';

const redis = createRedisConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'producer');
const prefix = `test-${randomUUID()}`;
const queue = new Queue(creditIngestCatalog.queue, { connection: redis, prefix });

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  redis.disconnect();
});

const payload = () => ({
  batchId: randomUUID(),
  appId: 'wxa',
  openid: 'o-1',
  seenAt: new Date().toISOString(),
  credits: [
    {
      kind: 'form_id' as const,
      formId: 'f1',
      usesLeft: 1,
      capturedAt: new Date().toISOString(),
      expiresAt: new Date().toISOString(),
    },
  ],
});

describe('enqueueCreditBatch', () => {
  it('enqueues a batch once however often it is added, with the catalog options', async () => {
    await waitUntilReady(redis);
    const batch = payload();
    const first = await enqueueCreditBatch(queue, batch);
    const second = await enqueueCreditBatch(queue, batch);
    expect(second.id).toBe(first.id);
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    expect(first.opts.attempts).toBe(creditIngestCatalog.jobs['persist-credit-batch'].options.attempts);
    expect(first.opts.removeOnFail).toBe(false);
  });

  it('refuses a payload that does not match the schema', async () => {
    await expect(enqueueCreditBatch(queue, { ...payload(), batchId: 'not-a-uuid' })).rejects.toThrow();
  });

  it('parses a job back into a typed payload and refuses unknown names', () => {
    const batch = payload();
    const parsed = parseCatalogJob(creditIngestCatalog, { name: 'persist-credit-batch', data: batch });
    expect(parsed.payload).toEqual(batch);
    expect(() => parseCatalogJob(creditIngestCatalog, { name: 'nope', data: {} })).toThrow(UnknownJobError);
  });
});
