import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type DispatchHarness,
  deliveriesPerUser,
  LEGACY_TEMPLATE,
  startDispatchHarness,
  waitFor,
} from './harness.js';
import { exited, spawnDispatcher, startRedisServer } from './processes.js';

// Redis keeps nothing on disk here, as on many deployments: a restart loses every queue. These
// tests flush a Redis of their own and expect Postgres to bring every broadcast back.
let redis: Awaited<ReturnType<typeof startRedisServer>>;
let h: DispatchHarness;
let admin: Redis;
beforeAll(async () => {
  redis = await startRedisServer();
  admin = new Redis(redis.url);
}, 60_000);
// each test has an app (and so an audience) of its own
const harness = async () => {
  h = await startDispatchHarness({ dispatcher: false, redisUrl: redis.url, sendRatePerSecond: 2_000 });
};
afterEach(() => h?.close());
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
});

interface BroadcastView {
  status: string;
  total: number;
  sent: number;
  pending: number;
  startedAt?: string;
}
const view = async (id: string) => (await h.api<BroadcastView>('GET', `/v1/broadcasts/${id}`)).body;
const reconcileReports = (output: string[]) =>
  output
    .join('')
    .split('\n')
    .filter((line) => line.includes('"msg":"reconciled'))
    .map(
      (line) => JSON.parse(line) as { batches: number; expiredLeases: number; fanOuts: number; time: number },
    );

async function broadcast(body: Record<string, unknown>): Promise<string> {
  const created = await h.api<{ id: string }>('POST', '/v1/broadcasts', {
    kind: 'template',
    templateId: LEGACY_TEMPLATE,
    data: { keyword1: 'after the flush' },
    ...body,
  });
  expect(created.status).toBe(202);
  return created.body.id;
}

const BATCH_CONCURRENCY = 4;

describe('Redis flushed (FLUSHDB), as a restart without persistence does', () => {
  const env = {
    RECONCILE_INTERVAL_MS: '500',
    RECONCILE_GRACE_MS: '1000',
    BATCH_CONCURRENCY: String(BATCH_CONCURRENCY),
  };

  it('right after a broadcast with a sendAt was accepted: it still starts on time and completes', async () => {
    await harness();
    const openids = await h.seedUsersWithFormIds(50);
    const output: string[] = [];
    const dispatcher = spawnDispatcher(h, output, env);
    try {
      await waitFor('the dispatcher to start', () => output.join('').includes('dispatcher started'));
      const sendAt = Date.now() + 4_000;
      const id = await broadcast({
        audience: { type: 'openids', openids },
        sendAt: new Date(sendAt).toISOString(),
      });
      expect(await admin.flushdb()).toBe('OK');

      const done = await waitFor('the broadcast to complete', async () => {
        const current = await view(id);
        return current.status === 'completed' ? current : undefined;
      });
      expect(done).toMatchObject({ total: 50, sent: 50, pending: 0 });
      const startedAt = new Date(done.startedAt ?? 0).getTime();
      // never early: the fan-out the reconciler gave back waited for sendAt
      expect(startedAt).toBeGreaterThanOrEqual(sendAt - 50);
      // and it was the reconciler that gave it back (how late it started says only how loaded the
      // machine is: a CI run at load 20 started it 7.6 s after sendAt)
      expect(reconcileReports(output).some((report) => report.fanOuts >= 1)).toBe(true);
      const perUser = deliveriesPerUser(await h.deliveries());
      for (const openid of openids) expect(perUser.get(openid)).toBe(1);
    } finally {
      dispatcher.kill('SIGTERM');
      await exited(dispatcher);
    }
  }, 120_000);

  it('in the middle of a 10,000-user broadcast: every batch comes back at once and each user gets one message', async () => {
    await harness();
    const openids = await h.seedUsersWithFormIds(10_000);
    const output: string[] = [];
    const dispatcher = spawnDispatcher(h, output, env);
    try {
      await waitFor('the dispatcher to start', () => output.join('').includes('dispatcher started'));
      const id = await broadcast({ audience: { type: 'all' } });
      // Flushed once the fan-out is done, so that every batch it made has lost its job and only the
      // reconciler can give one back (a fan-out still running queues its next chunks itself).
      await waitFor(
        'the fan-out to be done and a fifth of the broadcast sent',
        async () =>
          (await view(id)).sent >= 2_000 &&
          (await h.db.broadcast.findUnique({ where: { id } }))?.fannedOutAt != null,
        240_000,
        20,
      );
      await admin.flushdb();
      const flushedAt = Date.now();
      // the batches that lost their job with the flush: only the reconciler can give them one
      const [stranded] = await h.db.$queryRaw<Array<{ batches: number }>>`
        SELECT count(DISTINCT batch_id)::int AS batches FROM messages
        WHERE broadcast_id = ${id}::uuid AND status = 'queued'`;
      const batches = stranded?.batches ?? 0;
      expect(batches).toBeGreaterThan(0);

      const done = await waitFor(
        'the broadcast to complete',
        async () => {
          const current = await view(id);
          return current.status === 'completed' ? current : undefined;
        },
        240_000,
      );
      expect(done).toMatchObject({ total: 10_000, sent: 10_000, pending: 0 });
      const perUser = deliveriesPerUser(await h.deliveries());
      expect(Math.max(...perUser.values())).toBe(1);
      for (const openid of openids) expect(perUser.get(openid)).toBe(1);

      // Full speed, not a trickle: the reconciler's first two runs that gave anything back gave the
      // stranded batches their jobs (a batch made less than RECONCILE_GRACE_MS before the flush
      // waits for the second). A batch whose run the flush cut short comes back through its expired
      // leases, the others through the queued-batch walk; a batch is counted once, by the walk that
      // found it. Later runs may still give back a batch whose lease ran out since: recovery as
      // usual. A worker may already hold a job it fetched before the flush (BullMQ hands the next
      // job over with the last one's completion): up to BATCH_CONCURRENCY batches need no new job.
      const givenBack = (run: { batches: number; expiredLeases: number }) => run.batches + run.expiredLeases;
      const reports = reconcileReports(output).filter((run) => run.time >= flushedAt);
      console.log('flush mid-broadcast', { strandedBatches: batches, reconcilerRuns: reports });
      const firstTwo = reports.filter((run) => givenBack(run) > 0).slice(0, 2);
      expect(firstTwo.reduce((sum, run) => sum + givenBack(run), 0)).toBeGreaterThanOrEqual(
        batches - BATCH_CONCURRENCY,
      );
    } finally {
      dispatcher.kill('SIGTERM');
      await exited(dispatcher);
    }
    // generous: on a machine loaded far beyond its two cores this test has needed over 170 s
  }, 600_000);
});
