import { createDatabase } from '@minapush/db';
import { createLogger } from '@minapush/logger';
import { createRedisConnection, creditIngestCatalog } from '@minapush/queues';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCreditIngestWorker, createMetrics } from '../src/index.js';
import { DATABASE_URL, eventually, type Harness, REDIS_URL, startHarness } from './harness.js';

// The worker's Postgres is down (nothing listens on port 1), for every attempt: a failure that has
// nothing to do with the job's content. A 1 ms cap on the backoff takes the job through all its
// attempts at once.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    databaseUrl: 'postgresql://postgres@127.0.0.1:1/minapush_test',
    maxRetryDelayMs: 1,
  });
});
afterAll(() => h.close());

const deadLettered = async (url: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('minapush_jobs_dead_lettered_total{queue="credit-ingest"}'));
  return line ? Number(line.split(' ').pop()) : 0;
};

describe('an accepted credit batch that cannot be stored', () => {
  it('is retried with capped backoff through all its attempts, then kept in the failed set and counted', async () => {
    const openid = 'o-dead-letter';
    const formIds = await h.mintFormIds(openid, 2);
    const accepted = await h.post('/v1/form-ids', { formIds, openid }, h.apiKey);
    expect(accepted.status).toBe(202);
    expect((await accepted.json()).accepted).toBe(2);

    const [job] = await eventually(async () => {
      const failed = await h.creditQueue.getFailed();
      return failed.length > 0 ? failed : undefined;
    }, 20_000);
    const { attempts } = creditIngestCatalog.jobs['persist-credit-batch'].options;
    expect(attempts).toBeGreaterThan(30);
    expect(job?.name).toBe('persist-credit-batch');
    expect(job?.attemptsMade).toBe(attempts);
    // what was accepted is all there, for a retry
    expect(job?.data.credits.map((credit: { formId: string }) => credit.formId)).toEqual(formIds);
    expect(await eventually(async () => ((await deadLettered(h.url)) === 1 ? 1 : undefined))).toBe(1);

    // Once Postgres is back, the operator's retry (Bull Board's button calls job.retry) stores it.
    await h.worker?.close();
    const db = createDatabase({ url: DATABASE_URL, maxConnections: 2 });
    const connection = createRedisConnection(REDIS_URL, 'worker');
    const logger = createLogger({ name: 'dead-letter-test', level: 'silent' });
    const worker = createCreditIngestWorker({
      connection,
      prefix: h.prefix,
      db,
      logger,
      metrics: createMetrics(),
      queue: h.creditQueue,
    });
    try {
      await job?.retry('failed');
      const stored = await eventually(async () => {
        const count = await db.sendCredit.count({ where: { appId: h.appId, openid } });
        return count === 2 ? count : undefined;
      });
      expect(stored).toBe(2);
    } finally {
      await worker.close();
      connection.disconnect();
      await db.$disconnect();
    }
  }, 30_000);
});
