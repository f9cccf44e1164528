import { randomUUID } from 'node:crypto';
import { broadcastQueueName } from '@minapush/queues';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fanOutBroadcast } from '../src/index.js';
import { type DispatchHarness, LEGACY_TEMPLATE, sleep, startDispatchHarness, waitFor } from './harness.js';

interface BroadcastView {
  id: string;
  status: string;
  total: number;
  sent: number;
  failed: number;
  skipped: number;
  unknown: number;
  pending: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  pausedReason?: string;
}

async function startBroadcast(h: DispatchHarness, body: Record<string, unknown>): Promise<string> {
  const response = await h.api<{ id: string; status: string }>('POST', '/v1/broadcasts', {
    kind: 'template',
    templateId: LEGACY_TEMPLATE,
    data: { keyword1: 'spring sale' },
    ...body,
  });
  if (response.status !== 202) throw new Error(`POST /v1/broadcasts answered ${response.status}`);
  expect(response.body.status).toBe('scheduled');
  return response.body.id;
}

async function view(h: DispatchHarness, id: string): Promise<BroadcastView> {
  const response = await h.api<BroadcastView>('GET', `/v1/broadcasts/${id}`);
  expect(response.status).toBe(200);
  return response.body;
}

async function waitForStatus(h: DispatchHarness, id: string, status: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await view(h, id);
    if (current.status === status) return current;
    if (Date.now() > deadline) throw new Error(`broadcast ${id} still ${current.status}, not ${status}`);
    await sleep(50);
  }
}

function expectCountsAddUp(v: BroadcastView) {
  expect(v.total).toBe(v.sent + v.failed + v.skipped + v.unknown + v.pending);
}

async function usersWithFormIds(h: DispatchHarness, count: number) {
  const users = [];
  for (let i = 0; i < count; i += 1) users.push(await h.userWithFormIds(1));
  return users.map((user) => user.openid);
}

async function deliveriesPerUser(h: DispatchHarness, templateId = LEGACY_TEMPLATE) {
  const perUser = new Map<string, number>();
  for (const delivery of await h.deliveries()) {
    if (delivery.templateId !== templateId) continue;
    perUser.set(delivery.openid, (perUser.get(delivery.openid) ?? 0) + 1);
  }
  return perUser;
}

describe('broadcasts', () => {
  let h: DispatchHarness;
  let fanOutQueue: Queue;
  beforeAll(async () => {
    h = await startDispatchHarness();
    fanOutQueue = new Queue(broadcastQueueName(), {
      connection: h.messageQueue.opts.connection,
      prefix: h.prefix,
    });
  });
  afterAll(async () => {
    await fanOutQueue.obliterate({ force: true }).catch(() => undefined);
    await fanOutQueue.close();
    await h.close();
  });

  it('sends to a list of 20 users once each, skips those without credits, and completes', async () => {
    const withCredits = await usersWithFormIds(h, 14);
    const without = Array.from({ length: 6 }, () => `o-none-${randomUUID()}`);
    // a repeated openid is one recipient
    const openids = [...withCredits, ...without, withCredits[0] as string];
    const id = await startBroadcast(h, { audience: { type: 'openids', openids } });

    const done = await waitForStatus(h, id, 'completed');
    expect(done).toMatchObject({ total: 20, sent: 14, skipped: 6, failed: 0, unknown: 0, pending: 0 });
    expectCountsAddUp(done);
    expect(done.startedAt).toEqual(expect.any(String));
    expect(done.finishedAt).toEqual(expect.any(String));
    expect(await h.db.message.count({ where: { broadcastId: id } })).toBe(20);

    const perUser = await deliveriesPerUser(h);
    for (const openid of withCredits) expect(perUser.get(openid)).toBe(1);
    for (const openid of without) expect(perUser.get(openid)).toBeUndefined();
    await sleep(300);
    expect(await deliveriesPerUser(h)).toEqual(perUser);
  });

  it('stays scheduled until sendAt, then runs', async () => {
    const [openid] = await usersWithFormIds(h, 1);
    const sendAt = new Date(Date.now() + 2_000).toISOString();
    const id = await startBroadcast(h, { audience: { type: 'openids', openids: [openid] }, sendAt });
    await sleep(800);
    const early = await view(h, id);
    expect(early).toMatchObject({ status: 'scheduled', total: 0, sent: 0 });
    expect(early.startedAt).toBeUndefined();
    expect(await h.deliveries(openid)).toEqual([]);

    const done = await waitForStatus(h, id, 'completed');
    expect(done).toMatchObject({ total: 1, sent: 1 });
    expect(new Date(done.startedAt ?? 0).getTime()).toBeGreaterThanOrEqual(new Date(sendAt).getTime() - 50);
    expect(await h.deliveries(openid)).toHaveLength(1);
  });

  it('cancelled before its fan-out, sends nothing', async () => {
    const [openid] = await usersWithFormIds(h, 1);
    const sendAt = new Date(Date.now() + 1_000).toISOString();
    const id = await startBroadcast(h, { audience: { type: 'openids', openids: [openid] }, sendAt });
    const cancel = await h.api('POST', `/v1/broadcasts/${id}/cancel`);
    expect(cancel).toEqual({ status: 200, body: { id, status: 'cancelled' } });
    await sleep(2_000);
    const after = await view(h, id);
    expect(after).toMatchObject({ status: 'cancelled', total: 0 });
    expectCountsAddUp(after);
    expect(await h.db.message.count({ where: { broadcastId: id } })).toBe(0);
    expect(await h.deliveries(openid)).toEqual([]);
  });

  it('cancelled after its fan-out, sends none of the messages not yet sent', async () => {
    const openids = await usersWithFormIds(h, 5);
    await h.dispatcher?.close(2_000);
    try {
      const id = await startBroadcast(h, { audience: { type: 'openids', openids } });
      // the fan-out runs while no sender does: every message waits in the app's bulk queue
      expect(await fanOutBroadcast(h.fanOutResources(), id)).toEqual({
        status: 'fanned_out',
        created: 5,
        skipped: 0,
        batches: 1,
      });
      expect(await view(h, id)).toMatchObject({ status: 'running', total: 5, pending: 5 });

      const cancel = await h.api('POST', `/v1/broadcasts/${id}/cancel`);
      expect(cancel).toEqual({ status: 200, body: { id, status: 'cancelled' } });
      const statuses = await h.db.message.findMany({ where: { broadcastId: id }, select: { status: true } });
      expect(statuses.map((m) => m.status)).toEqual(Array(5).fill('cancelled'));

      h.startDispatcher();
      await sleep(1_500);
      const after = await view(h, id);
      expect(after).toMatchObject({ status: 'cancelled', sent: 0, pending: 0, total: 0 });
      expectCountsAddUp(after);
      for (const openid of openids) {
        expect(await h.deliveries(openid)).toEqual([]);
        expect((await h.credits(openid)).map((c) => c.state)).toEqual(['available']);
      }
    } finally {
      if (!h.dispatcher?.workers.some((worker) => worker.isRunning())) h.startDispatcher();
    }
  });

  it('a message taken after its broadcast was cancelled is cancelled, not sent', async () => {
    const openids = await usersWithFormIds(h, 2);
    await h.dispatcher?.close(2_000);
    try {
      const id = await startBroadcast(h, { audience: { type: 'openids', openids } });
      await fanOutBroadcast(h.fanOutResources(), id);
      // the cancel that raced a sender: the broadcast is cancelled but its messages are still queued
      await h.db.broadcast.update({ where: { id }, data: { status: 'cancelled' } });
      h.startDispatcher();
      const messages = await h.db.message.findMany({ where: { broadcastId: id } });
      for (const message of messages) expect((await h.waitUntilFinal(message.id)).status).toBe('cancelled');
      for (const openid of openids) expect(await h.deliveries(openid)).toEqual([]);
    } finally {
      if (!h.dispatcher?.workers.some((worker) => worker.isRunning())) h.startDispatcher();
    }
  });

  it('a fan-out run several times, even at once, creates each message once and sends it once', async () => {
    const openids = await usersWithFormIds(h, 5);
    await h.dispatcher?.close(2_000);
    let id: string;
    try {
      id = await startBroadcast(h, { audience: { type: 'openids', openids } });
      const resources = h.fanOutResources();
      await Promise.all([fanOutBroadcast(resources, id), fanOutBroadcast(resources, id)]);
      await fanOutBroadcast(resources, id);
      const messages = await h.db.message.findMany({ where: { broadcastId: id } });
      expect(messages).toHaveLength(5);
      // one batch, one job: its id is the batch's id
      const batchIds = new Set(messages.map((m) => m.batchId));
      expect(batchIds.size).toBe(1);
      const bulk = resources.queues.bulk(h.app.appId);
      const jobs = await bulk!.getJobs(['waiting', 'delayed', 'prioritized']);
      expect(jobs.map((job) => job.id)).toEqual([...batchIds]);
    } finally {
      h.startDispatcher();
    }
    // the dispatcher also runs the broadcast's own fan-out job: a fourth run
    const done = await waitForStatus(h, id, 'completed');
    expect(done).toMatchObject({ total: 5, sent: 5 });
    for (const openid of openids) expect(await h.deliveries(openid)).toHaveLength(1);
  });
});

describe('a broadcast to every user of the app', () => {
  let h: DispatchHarness;
  beforeAll(async () => {
    h = await startDispatchHarness();
  });
  afterAll(() => h.close());

  it('reaches every recorded user once, and an app without users completes at once', async () => {
    const empty = await startBroadcast(h, { audience: { type: 'all' } });
    expect(await waitForStatus(h, empty, 'completed')).toMatchObject({ total: 0, pending: 0 });

    const openids = await usersWithFormIds(h, 4);
    const id = await startBroadcast(h, { audience: { type: 'all' } });
    const done = await waitForStatus(h, id, 'completed');
    expect(done).toMatchObject({ total: 4, sent: 4, pending: 0 });
    const messages = await h.db.message.findMany({ where: { broadcastId: id } });
    expect(messages.map((m) => m.openid).sort()).toEqual([...openids].sort());
    const perUser = await deliveriesPerUser(h);
    expect([...perUser.keys()].sort()).toEqual([...openids].sort());
    expect([...perUser.values()]).toEqual([1, 1, 1, 1]);
  });
});

describe('a broadcast whose template WeChat refuses', () => {
  let h: DispatchHarness;
  beforeAll(async () => {
    // one send at a time, so that the pause is decided before the next message is taken
    h = await startDispatchHarness({ concurrency: 1 });
  });
  afterAll(() => h.close());

  it('pauses after 3 consecutive 40037 and spends no other user’s credit', async () => {
    const openids = await usersWithFormIds(h, 10);
    const id = await startBroadcast(h, {
      templateId: 'tmpl-not-registered',
      audience: { type: 'openids', openids },
    });
    const paused = await waitForStatus(h, id, 'paused');
    expect(paused.pausedReason).toMatch(/40037/);
    expect(paused.pausedReason).toMatch(/3 consecutive/);
    await sleep(1_500);
    const later = await view(h, id);
    expect(later).toMatchObject({ status: 'paused', total: 10, failed: 3, sent: 0, pending: 7 });
    expectCountsAddUp(later);
    const messages = await h.db.message.findMany({ where: { broadcastId: id } });
    const untouched = messages.filter((m) => m.status === 'queued');
    expect(untouched).toHaveLength(7);
    for (const message of untouched) {
      expect(message.attempts).toBe(0);
      expect((await h.credits(message.openid)).map((c) => [c.state, c.usesLeft])).toEqual([['available', 1]]);
    }
    expect(await h.deliveries()).toEqual([]);
  });

  it('completes when the send that pauses it is its last', async () => {
    const openids = await usersWithFormIds(h, 3);
    const id = await startBroadcast(h, {
      templateId: 'tmpl-not-registered',
      audience: { type: 'openids', openids },
    });
    const done = await waitForStatus(h, id, 'completed', 10_000);
    expect(done).toMatchObject({ total: 3, failed: 3, sent: 0, pending: 0 });
    expect(done.finishedAt).toEqual(expect.any(String));
    // why its sends failed is still told
    expect(done.pausedReason).toMatch(/40037 on 3 consecutive/);
    expectCountsAddUp(done);
  });
});

describe('a broadcast cancelled while its messages hold credits', () => {
  let h: DispatchHarness;
  beforeEach(async () => {
    h = await startDispatchHarness();
  });
  afterEach(() => h.close());

  /** A broadcast whose every message claimed its user's formId, met the daily quota and waits, queued. */
  async function broadcastWaitingOutTheQuota(users: number) {
    const openids = await usersWithFormIds(h, users);
    await h.fault({ endpoint: 'template_send', errcode: 45009, times: users });
    const id = await startBroadcast(h, { audience: { type: 'openids', openids } });
    await waitFor('every message back in the queue, holding its credit', async () => {
      const messages = await h.db.message.findMany({ where: { broadcastId: id } });
      return (
        messages.length === users &&
        messages.every((m) => m.status === 'queued' && m.creditId !== null) &&
        (await h.db.messageAttempt.count({
          where: { messageId: { in: messages.map((m) => m.id) }, errcode: 45009 },
        })) > 0
      );
    });
    for (const openid of openids) {
      expect((await h.credits(openid)).map((c) => [c.state, c.usesLeft])).toEqual([['spent', 0]]);
    }
    return { id, openids };
  }

  async function expectCreditsBack(id: string, openids: readonly string[]) {
    const messages = await h.db.message.findMany({ where: { broadcastId: id } });
    expect(messages.map((m) => [m.status, m.creditId])).toEqual(messages.map(() => ['cancelled', null]));
    for (const openid of openids) {
      expect((await h.credits(openid)).map((c) => [c.state, c.usesLeft])).toEqual([['available', 1]]);
    }
    expect(await h.deliveries()).toEqual([]);
  }

  it('gives back every credit use its queued messages held', async () => {
    const { id, openids } = await broadcastWaitingOutTheQuota(4);
    const cancel = await h.api('POST', `/v1/broadcasts/${id}/cancel`);
    expect(cancel).toEqual({ status: 200, body: { id, status: 'cancelled' } });
    await expectCreditsBack(id, openids);
  });

  it('gives back the credits of messages a sender takes after the cancel', async () => {
    const { id, openids } = await broadcastWaitingOutTheQuota(4);
    // the cancel that raced a sender: the broadcast is cancelled but its messages are still queued
    await h.db.broadcast.update({ where: { id }, data: { status: 'cancelled' } });
    await h.endQuotaPause();
    await h.dispatcher?.close(2_000);
    h.startDispatcher();
    await waitFor('every message cancelled by the send path', async () =>
      (await h.db.message.findMany({ where: { broadcastId: id } })).every((m) => m.status === 'cancelled'),
    );
    await expectCreditsBack(id, openids);
  });
});
