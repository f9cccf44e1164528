import { afterEach, describe, expect, it } from 'vitest';
import {
  type DispatchHarness,
  deliveriesPerUser,
  LEGACY_TEMPLATE,
  pausableClock,
  startDispatchHarness,
  waitFor,
} from './harness.js';

const HOUR = 3_600_000;
const CHINA_OFFSET = 8 * HOUR;
const NIGHT = { start: '22:00', end: '08:00' };
/** each wait on a condition, well within the test's own timeout, so that a failure names it */
const WAIT_MS = 30_000;

/**
 * The next 23:00 in China after the real clock (within a day: the credits the harness makes expire
 * in 7 days of real time, so the test's clock must stay near it), and the 08:00 after it.
 */
function nextChinaEleven(): { at: number; nextEight: number } {
  const day = 24 * HOUR;
  const chinaNow = Date.now() + CHINA_OFFSET;
  let elevenLocal = Math.floor(chinaNow / day) * day + 23 * HOUR;
  if (elevenLocal <= chinaNow) elevenLocal += day;
  const at = elevenLocal - CHINA_OFFSET;
  return { at, nextEight: at + 9 * HOUR };
}

interface BroadcastView {
  id: string;
  status: string;
  total: number;
  sent: number;
  pending: number;
  quietHours?: { start: string; end: string; timezone: string };
  waitingUntil?: string;
}

async function createBroadcast(h: DispatchHarness, body: Record<string, unknown>): Promise<string> {
  const response = await h.api<{ id: string }>('POST', '/v1/broadcasts', {
    kind: 'template',
    templateId: LEGACY_TEMPLATE,
    data: { keyword1: 'night sale' },
    audience: { type: 'all' },
    ...body,
  });
  expect(response.status).toBe(202);
  return response.body.id;
}

async function view(h: DispatchHarness, id: string): Promise<BroadcastView> {
  const response = await h.api<BroadcastView>('GET', `/v1/broadcasts/${id}`);
  expect(response.status).toBe(200);
  return response.body;
}

async function usersWithFormIds(h: DispatchHarness, count: number): Promise<string[]> {
  const openids: string[] = [];
  for (let i = 0; i < count; i += 1) openids.push((await h.userWithFormIds(1)).openid);
  return openids;
}

/** The broadcast's send batches as Postgres has them, and what BullMQ holds of their jobs. */
async function batchesOf(h: DispatchHarness, broadcastId: string) {
  const rows = await h.db.$queryRaw<Array<{ batch_id: string }>>`
    SELECT DISTINCT batch_id::text AS batch_id FROM messages
    WHERE broadcast_id = ${broadcastId}::uuid AND batch_id IS NOT NULL`;
  const states = await Promise.all(rows.map((row) => h.bulkQueue.getJobState(row.batch_id)));
  return { ids: rows.map((row) => row.batch_id), states };
}

/**
 * No message of the broadcast still to send is leased or holds a credit, and every credit of the
 * given users (the ones it has not reached) is usable.
 */
async function expectNothingHeld(h: DispatchHarness, broadcastId: string, openids: readonly string[]) {
  const pending = await h.db.message.findMany({
    where: { broadcastId, status: { in: ['queued', 'sending'] } },
    select: { status: true, leaseUntil: true, creditId: true },
  });
  expect(pending.length).toBeGreaterThan(0);
  for (const message of pending)
    expect(message).toEqual({ status: 'queued', leaseUntil: null, creditId: null });
  const claimed = await h.db.sendCredit.count({
    where: { appId: h.app.appId, openid: { in: [...openids] }, NOT: { state: 'available' } },
  });
  expect(claimed).toBe(0);
}

describe('quiet hours', () => {
  let h: DispatchHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("hold a broadcast whose window covers now, leasing nothing, until the window's end; then every user gets it once", async () => {
    const clock = pausableClock();
    const { at: elevenPm, nextEight } = nextChinaEleven();
    clock.standAt(elevenPm);
    h = await startDispatchHarness({ now: clock.now, batchSize: 2 });
    const openids = await usersWithFormIds(h, 5);

    const id = await createBroadcast(h, { quietHours: NIGHT });
    const waiting = await waitFor(
      'the broadcast to show it waits',
      async () => {
        const current = await view(h!, id);
        return current.waitingUntil ? current : undefined;
      },
      WAIT_MS,
    );
    expect(waiting.status).toBe('running');
    expect(waiting.waitingUntil).toBe(new Date(nextEight).toISOString());
    expect(waiting.quietHours).toEqual({ ...NIGHT, timezone: 'Asia/Shanghai' });
    // every batch has come to the window and waits for its end as a delayed job
    const batches = await waitFor(
      'every batch to wait',
      async () => {
        const found = await batchesOf(h!, id);
        return found.ids.length === 3 && found.states.every((state) => state === 'delayed')
          ? found
          : undefined;
      },
      WAIT_MS,
    );
    for (const batchId of batches.ids) {
      const job = await h.bulkQueue.getJob(batchId);
      // due when the window ends on the dispatcher's clock (less the moments the move took), not
      // counted as a failed attempt
      expect(job?.delay).toBeGreaterThan(9 * HOUR - 60_000);
      expect(job?.delay).toBeLessThanOrEqual(9 * HOUR);
      expect(job?.attemptsMade).toBe(0);
    }
    expect(await h.deliveries()).toHaveLength(0);
    expect((await view(h, id)).pending).toBe(5);
    await expectNothingHeld(h, id, openids);
    // not even taken and given back: no lease has touched a message since the fan-out made it
    const touched = await h.db.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM messages WHERE broadcast_id = ${id}::uuid AND updated_at <> created_at`;
    expect(touched[0]?.n).toBe(0);

    // Redis loses the waiting jobs: the reconciler gives them back, due when the window ends
    for (const batchId of batches.ids) await h.bulkQueue.remove(batchId);
    await waitFor(
      'the reconciler to give the batches back',
      async () => {
        const found = await batchesOf(h!, id);
        return found.states.every((state) => state === 'delayed') || undefined;
      },
      WAIT_MS,
    );
    for (const batchId of batches.ids) {
      const job = await h.bulkQueue.getJob(batchId);
      expect(job?.delay).toBe(9 * HOUR);
      // handed out delayed, not at once (for the batch to find its window and wait again)
      expect(job?.processedOn).toBeUndefined();
    }
    expect(await h.deliveries()).toHaveLength(0);

    // 08:00: the window ends, and the jobs' delay with it
    clock.runOnAt(nextEight);
    await h.bulkQueue.promoteJobs();
    const done = await waitFor(
      'the broadcast to complete',
      async () => {
        const current = await view(h!, id);
        return current.status === 'completed' ? current : undefined;
      },
      WAIT_MS,
    );
    expect(done.sent).toBe(5);
    expect(done.waitingUntil).toBeUndefined();
    const perUser = deliveriesPerUser(await h.deliveries());
    expect([...perUser.keys()].sort()).toEqual([...openids].sort());
    expect([...perUser.values()].every((n) => n === 1)).toBe(true);
  });

  it('stop a batch when the window begins: what it has not sent waits without its credits', async () => {
    const clock = pausableClock();
    const { at: elevenPm, nextEight } = nextChinaEleven();
    const tenPm = elevenPm - HOUR;
    // a minute before 22:00, one send a second: the window begins while the batch sends
    clock.standAt(tenPm - 60_000);
    h = await startDispatchHarness({ now: clock.now, batchSize: 6, sendRatePerSecond: 1 });
    const openids = await usersWithFormIds(h, 6);

    const id = await createBroadcast(h, { quietHours: NIGHT });
    await waitFor('the first delivery', async () => (await h!.deliveries()).length > 0 || undefined, WAIT_MS);
    clock.standAt(tenPm);
    const waiting = await waitFor(
      'the batch to stop for the window',
      async () => {
        const current = await view(h!, id);
        const [state] = (await batchesOf(h!, id)).states;
        return current.waitingUntil && state === 'delayed' ? current : undefined;
      },
      WAIT_MS,
    );
    expect(waiting.waitingUntil).toBe(new Date(nextEight).toISOString());
    const sentBefore = (await h.deliveries()).length;
    expect(sentBefore).toBeGreaterThan(0);
    expect(sentBefore).toBeLessThan(6);
    expect(waiting.sent).toBe(sentBefore);
    expect(waiting.pending).toBe(6 - sentBefore);
    const delivered = new Set((await h.deliveries()).map((d) => d.openid));
    await expectNothingHeld(
      h,
      id,
      openids.filter((openid) => !delivered.has(openid)),
    );

    clock.runOnAt(nextEight);
    await h.bulkQueue.promoteJobs();
    const done = await waitFor(
      'the broadcast to complete',
      async () => {
        const current = await view(h!, id);
        return current.status === 'completed' ? current : undefined;
      },
      WAIT_MS,
    );
    expect(done.sent).toBe(6);
    const perUser = deliveriesPerUser(await h.deliveries());
    expect(perUser.size).toBe(6);
    expect([...perUser.values()].every((n) => n === 1)).toBe(true);
  });

  it("an app's quiet hours hold its broadcasts, not its single messages; a broadcast's own override them", async () => {
    const clock = pausableClock();
    const { at: elevenPm, nextEight } = nextChinaEleven();
    clock.standAt(elevenPm);
    h = await startDispatchHarness({
      now: clock.now,
      quietHours: { ...NIGHT, timezone: 'Asia/Shanghai' },
    });
    const [first, second, third] = await usersWithFormIds(h, 3);
    if (!first || !second || !third) throw new Error('users not made');

    // a transactional message goes at once, inside the window
    const single = await h.sendTemplate(first);
    expect((await h.waitUntilFinal(single)).status).toBe('sent');

    const held = await createBroadcast(h, { audience: { type: 'openids', openids: [second] } });
    const heldView = await waitFor(
      'the app-level window to hold the broadcast',
      async () => {
        const current = await view(h!, held);
        return current.waitingUntil ? current : undefined;
      },
      WAIT_MS,
    );
    expect(heldView.quietHours).toEqual({ ...NIGHT, timezone: 'Asia/Shanghai' });
    expect(heldView.waitingUntil).toBe(new Date(nextEight).toISOString());

    // its own window (03:00 to 04:00 in Berlin, 10:00 or 11:00 in China) lets this one go now
    const own = await createBroadcast(h, {
      audience: { type: 'openids', openids: [third] },
      quietHours: { start: '03:00', end: '04:00', timezone: 'Europe/Berlin' },
    });
    const ownView = await waitFor(
      'the broadcast with its own window to complete',
      async () => {
        const current = await view(h!, own);
        return current.status === 'completed' ? current : undefined;
      },
      WAIT_MS,
    );
    expect(ownView.sent).toBe(1);
    expect(ownView.quietHours).toEqual({ start: '03:00', end: '04:00', timezone: 'Europe/Berlin' });
    expect((await h.deliveries(second)).length).toBe(0);
    expect((await view(h, held)).status).toBe('running');

    clock.runOnAt(nextEight);
    await h.bulkQueue.promoteJobs();
    await waitFor(
      'the held broadcast to complete',
      async () => {
        const current = await view(h!, held);
        return current.status === 'completed' ? current : undefined;
      },
      WAIT_MS,
    );
    expect((await h.deliveries(second)).length).toBe(1);
  });
});
