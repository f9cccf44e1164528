import { randomUUID } from 'node:crypto';
import { creditIngestCatalog, type PersistCreditBatchPayload } from '@minapush/queues';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, REDIS_URL, startHarness } from './harness.js';

let h: Harness;
let events: QueueEvents;
beforeAll(async () => {
  h = await startHarness();
  events = new QueueEvents(creditIngestCatalog.queue, { connection: { url: REDIS_URL }, prefix: h.prefix });
  await events.waitUntilReady();
});
afterAll(async () => {
  await events.close();
  await h.close();
});

describe('the credit ingest worker', () => {
  it('stores each credit once when the same batch is delivered twice', async () => {
    const now = new Date();
    const batch: PersistCreditBatchPayload = {
      batchId: randomUUID(),
      appId: h.appId,
      openid: 'o-twice',
      seenAt: now.toISOString(),
      credits: [
        {
          kind: 'form_id',
          formId: `f-${randomUUID()}`,
          usesLeft: 1,
          capturedAt: now.toISOString(),
          expiresAt: now.toISOString(),
        },
        { kind: 'subscribe', templateId: 't-1', usesLeft: 1, capturedAt: now.toISOString(), expiresAt: null },
      ],
    };
    // Two deliveries of the same batch, as after a worker crash between storing and acking.
    const first = await h.creditQueue.add('persist-credit-batch', batch, { jobId: 'delivery-1' });
    const firstResult = await first.waitUntilFinished(events, 5_000);
    const second = await h.creditQueue.add('persist-credit-batch', batch, { jobId: 'delivery-2' });
    const secondResult = await second.waitUntilFinished(events, 5_000);
    expect(firstResult).toEqual({ stored: 2 });
    expect(secondResult).toEqual({ stored: 0 });
    expect(await h.db.sendCredit.count({ where: { appId: h.appId, openid: 'o-twice' } })).toBe(2);
  });

  it('fails a job whose payload does not match the catalog, without retrying it', async () => {
    const job = await h.creditQueue.add('persist-credit-batch', { nonsense: true }, { attempts: 5 });
    await expect(job.waitUntilFinished(events, 5_000)).rejects.toThrow(/invalid payload/);
    const failed = await h.creditQueue.getJob(job.id!);
    expect(failed?.attemptsMade).toBe(1);
  });
});
