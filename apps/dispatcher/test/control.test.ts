import { enqueueMessageJob } from '@minapush/queues';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DispatchHarness,
  deliveriesPerUser,
  LEGACY_TEMPLATE,
  startDispatchHarness,
  waitFor,
} from './harness.js';

// Control (issue 10) where what the dispatcher does is the point: a resumed broadcast sends the
// rest, a cancelled message is never sent, a message waits for its sendAt, and each call shows in
// the message's attempt history.

interface BroadcastView {
  id: string;
  status: string;
  total: number;
  sent: number;
  failed: number;
  pending: number;
  pausedReason?: string;
}

async function broadcastView(h: DispatchHarness, id: string): Promise<BroadcastView> {
  return (await h.api<BroadcastView>('GET', `/v1/broadcasts/${id}`)).body;
}

function waitForBroadcast(h: DispatchHarness, id: string, status: string) {
  return waitFor(`broadcast ${id} ${status}`, async () => {
    const view = await broadcastView(h, id);
    return view.status === status ? view : undefined;
  });
}

async function usersWithFormIds(h: DispatchHarness, count: number) {
  const openids: string[] = [];
  for (let i = 0; i < count; i += 1) openids.push((await h.userWithFormIds(1)).openid);
  return openids;
}

describe('resuming a broadcast its template errors paused', () => {
  let h: DispatchHarness;
  beforeAll(async () => {
    // one send at a time, so that the pause is decided before the next message is taken
    h = await startDispatchHarness({ concurrency: 1 });
  });
  afterAll(() => h.close());

  it('sends the messages it had not sent, to each user once, and completes', async () => {
    const openids = await usersWithFormIds(h, 10);
    // the template is wrong for three sends in a row (as if it were fixed after them)
    await h.fault({ endpoint: 'template_send', errcode: 40037, times: 3 });
    const created = await h.api<{ id: string }>('POST', '/v1/broadcasts', {
      kind: 'template',
      templateId: LEGACY_TEMPLATE,
      data: { keyword1: 'spring sale' },
      audience: { type: 'openids', openids },
    });
    const { id } = created.body;
    const paused = await waitForBroadcast(h, id, 'paused');
    expect(paused.pausedReason).toMatch(/40037 on 3 consecutive/);
    await waitFor('the batch to leave the rest queued', async () => {
      const view = await broadcastView(h, id);
      return view.status === 'paused' && view.failed === 3 && view.pending === 7 ? view : undefined;
    });
    expect(await h.deliveries()).toEqual([]);

    const resumed = await h.api('POST', `/v1/broadcasts/${id}/resume`);
    expect(resumed).toEqual({ status: 200, body: { id, status: 'running' } });
    const done = await waitForBroadcast(h, id, 'completed');
    expect(done).toMatchObject({ total: 10, sent: 7, failed: 3, pending: 0 });
    expect(done.pausedReason).toBeUndefined();

    const perUser = deliveriesPerUser(await h.deliveries());
    expect([...perUser.values()]).toEqual(Array(7).fill(1));
    const failed = await h.db.message.findMany({ where: { broadcastId: id, status: 'failed' } });
    for (const message of failed) expect(perUser.has(message.openid)).toBe(false);
    for (const openid of openids.filter((o) => !failed.some((m) => m.openid === o))) {
      expect(perUser.get(openid)).toBe(1);
    }
  });

  it('refuses a running or completed broadcast with 409 not_paused', async () => {
    const openids = await usersWithFormIds(h, 1);
    const { body } = await h.api<{ id: string }>('POST', '/v1/broadcasts', {
      kind: 'template',
      templateId: LEGACY_TEMPLATE,
      data: { keyword1: 'spring sale' },
      audience: { type: 'openids', openids },
    });
    await waitForBroadcast(h, body.id, 'completed');
    const refused = await h.api<{ error: { code: string; details: unknown } }>(
      'POST',
      `/v1/broadcasts/${body.id}/resume`,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'not_paused', details: { status: 'completed' } });

    // a running broadcast
    const running = await h.db.broadcast.create({
      data: {
        appId: h.app.appId,
        kind: 'template',
        templateId: LEGACY_TEMPLATE,
        data: {},
        audience: { type: 'all' },
        status: 'running',
      },
    });
    const again = await h.api<{ error: { code: string; details: unknown } }>(
      'POST',
      `/v1/broadcasts/${running.id}/resume`,
    );
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'not_paused', details: { status: 'running' } });
    await h.db.broadcast.update({ where: { id: running.id }, data: { status: 'cancelled' } });
  });
});

describe('cancelling a single message', () => {
  let h: DispatchHarness;
  beforeAll(async () => {
    h = await startDispatchHarness();
  });
  afterAll(() => h.close());

  it('of one waiting out the daily quota with its formId: never sent, the formId usable again', async () => {
    const { openid } = await h.userWithFormIds(1);
    await h.fault({ endpoint: 'template_send', errcode: 45009, times: 1 });
    const id = await h.sendTemplate(openid);
    await waitFor('the message back in the queue, holding its formId', async () => {
      const message = await h.db.message.findUniqueOrThrow({ where: { id } });
      const quota = await h.db.messageAttempt.count({ where: { messageId: id, errcode: 45009 } });
      return message.status === 'queued' && message.creditId !== null && quota > 0;
    });
    expect((await h.credits(openid)).map((c) => [c.state, c.usesLeft])).toEqual([['spent', 0]]);

    const cancelled = await h.api('POST', `/v1/messages/${id}/cancel`);
    expect(cancelled).toEqual({ status: 200, body: { id, status: 'cancelled' } });
    expect((await h.credits(openid)).map((c) => [c.state, c.usesLeft])).toEqual([['available', 1]]);

    // the quota window ends, and a send job for it runs anyway (the cancel took its job out of
    // the queue; a job it could not take, or one the reconciler had added, must send nothing)
    await h.endQuotaPause();
    // a worker that met the quota waits out BullMQ's rate limit before it fetches again
    await h.dispatcher?.close(2_000);
    h.startDispatcher();
    await enqueueMessageJob(h.messageQueue, id);
    await waitFor('the stray job to be done', async () => (await h.messageQueue.getJob(id)) === undefined);
    expect((await h.message(id)).status).toBe('cancelled');
    expect(await h.deliveries(openid)).toEqual([]);

    // the formId it gave back carries the user's next message
    const next = await h.waitUntilFinal(await h.sendTemplate(openid));
    expect(next.status).toBe('sent');
    expect(await h.deliveries(openid)).toHaveLength(1);
  });

  it('of one already sent: 409 not_cancellable', async () => {
    const { openid } = await h.userWithFormIds(1);
    const id = await h.sendTemplate(openid);
    expect((await h.waitUntilFinal(id)).status).toBe('sent');
    const refused = await h.api<{ error: { code: string; details: unknown } }>(
      'POST',
      `/v1/messages/${id}/cancel`,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'not_cancellable', details: { status: 'sent' } });
    expect((await h.message(id)).status).toBe('sent');
  });
});

describe('sendAt on a single message', () => {
  let h: DispatchHarness;
  beforeAll(async () => {
    h = await startDispatchHarness();
  });
  afterAll(() => h.close());

  const deliveredAt = async (openid: string) => {
    const [delivery, ...more] = await h.deliveries(openid);
    expect(more).toEqual([]);
    return new Date(delivery?.at ?? 0).getTime();
  };

  it('is held until then, then sent', async () => {
    const { openid } = await h.userWithFormIds(1);
    const sendAt = new Date(Date.now() + 2_500);
    const id = await h.sendTemplate(openid, { sendAt: sendAt.toISOString() });
    const early = await h.message(id);
    if (Date.now() < sendAt.getTime()) expect(early.status).toBe('queued');
    const view = await h.waitUntilFinal(id);
    expect(view.status).toBe('sent');
    expect(new Date(view.sentAt ?? 0).getTime()).toBeGreaterThanOrEqual(sendAt.getTime());
    expect(await deliveredAt(openid)).toBeGreaterThanOrEqual(sendAt.getTime());
  });

  it('is not taken by a send job that runs before it', async () => {
    const { openid } = await h.userWithFormIds(1);
    const sendAt = new Date(Date.now() + 3_000);
    const id = await h.sendTemplate(openid, { sendAt: sendAt.toISOString() });
    // its delayed job is replaced by one that runs at once (a clock ahead, a job added by hand)
    await h.messageQueue.remove(id);
    await enqueueMessageJob(h.messageQueue, id);
    const view = await h.waitUntilFinal(id);
    expect(view.status).toBe('sent');
    expect(await deliveredAt(openid)).toBeGreaterThanOrEqual(sendAt.getTime());
  });

  it('gets its job back, delayed until then, after Redis lost it', async () => {
    const { openid } = await h.userWithFormIds(1);
    const sendAt = new Date(Date.now() + 5_000);
    const id = await h.sendTemplate(openid, { sendAt: sendAt.toISOString() });
    await h.messageQueue.remove(id);
    // the reconciler runs every 500 ms here and re-queues work untouched for 1 s
    const state = await waitFor('the reconciler to queue it again', async () => {
      const job = await h.messageQueue.getJob(id);
      return job ? job.getState() : undefined;
    });
    if (Date.now() < sendAt.getTime() - 200) expect(state).toBe('delayed');
    const view = await h.waitUntilFinal(id);
    expect(view.status).toBe('sent');
    expect(await deliveredAt(openid)).toBeGreaterThanOrEqual(sendAt.getTime());
  });
});

describe('attempt history', () => {
  let h: DispatchHarness;
  beforeAll(async () => {
    h = await startDispatchHarness();
  });
  afterAll(() => h.close());

  it('lists each call of a retried send, oldest first, with its outcome and errcode', async () => {
    const { openid } = await h.userWithFormIds(1);
    await h.fault({ endpoint: 'template_send', errcode: -1, times: 1 });
    const id = await h.sendTemplate(openid);
    const view = await h.waitUntilFinal(id, 30_000);
    expect(view.status).toBe('sent');
    const { body } = await h.api<{
      attempts: number;
      attemptHistory: Array<{ at: string; outcome: string; errcode?: number; errmsg?: string }>;
    }>('GET', `/v1/messages/${id}`);
    expect(body.attempts).toBe(2);
    expect(body.attemptHistory).toEqual([
      { at: expect.any(String), outcome: 'transient', errcode: -1, errmsg: expect.any(String) },
      { at: expect.any(String), outcome: 'sent' },
    ]);
    const [first, second] = body.attemptHistory.map((attempt) => new Date(attempt.at).getTime());
    expect(second).toBeGreaterThan(first ?? Number.POSITIVE_INFINITY);
    expect(await h.deliveries(openid)).toHaveLength(1);
  }, 40_000);

  it('shows a quota answer that did not count as an attempt', async () => {
    const { openid } = await h.userWithFormIds(1);
    await h.fault({ endpoint: 'template_send', errcode: 45011, times: 1 });
    const id = await h.sendTemplate(openid);
    await waitFor('the quota answer', async () =>
      (await h.db.messageAttempt.count({ where: { messageId: id, errcode: 45011 } })) > 0 ? true : undefined,
    );
    await h.endQuotaPause();
    await h.dispatcher?.close(2_000);
    h.startDispatcher();
    const view = await h.waitUntilFinal(id, 30_000);
    expect(view.status).toBe('sent');
    const { body } = await h.api<{
      attempts: number;
      attemptHistory: Array<{ outcome: string; errcode?: number }>;
    }>('GET', `/v1/messages/${id}`);
    expect(body.attempts).toBe(1);
    expect(body.attemptHistory.map((attempt) => [attempt.outcome, attempt.errcode])).toEqual([
      ['rejected', 45011],
      ['sent', undefined],
    ]);
  }, 40_000);
});
