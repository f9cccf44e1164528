import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DispatchHarness,
  deliveriesPerUser,
  SUBSCRIBE_TEMPLATE,
  sleep,
  startDispatchHarness,
  waitFor,
} from './harness.js';

// Issue 11, item 5: one WeChat call per user at a time (43108), and the answers 43108, 43107 and
// 45168 as docs/send-policy.md says.

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

async function subscribeBroadcast(h: DispatchHarness, openids: string[]): Promise<string> {
  const created = await h.api<{ id: string }>('POST', '/v1/broadcasts', {
    kind: 'subscribe',
    templateId: SUBSCRIBE_TEMPLATE,
    data: { thing1: 'spring sale' },
    audience: { type: 'openids', openids },
  });
  expect(created.status).toBe(202);
  return created.body.id;
}

/** The sandbox's count of send calls it answered 43108 (one came while another to the user was in flight). */
async function concurrentSends(h: DispatchHarness): Promise<number> {
  return (await h.control<{ concurrentSends: number }>('GET', `/apps/${h.app.appId}`)).concurrentSends;
}

const sample = (text: string, name: string, labels: string) =>
  Number(new RegExp(`${name}\\{${labels}\\} (\\d+)`).exec(text)?.[1]);

describe('one call per user at a time', () => {
  let h: DispatchHarness;
  beforeAll(async () => {
    h = await startDispatchHarness();
  });
  afterAll(() => h.close());

  it('never overlaps two calls for one user: two single messages and a broadcast message, each sent once', async () => {
    const { openid } = await h.userWithSubscription(3);
    // every send takes a while: without the per-user order the three would overlap in the sandbox,
    // which answers 43108 to each call that comes while another to the user is in flight
    await h.fault({ endpoint: 'subscribe_send', delayMs: 300 });
    const [first, second, broadcastId] = await Promise.all([
      h.sendSubscribe(openid),
      h.sendSubscribe(openid),
      subscribeBroadcast(h, [openid]),
    ]);
    const singles = await Promise.all([h.waitUntilFinal(first), h.waitUntilFinal(second)]);
    const done = await waitForBroadcast(h, broadcastId, 'completed');
    expect(done).toMatchObject({ total: 1, sent: 1, failed: 0 });
    // a wait for the user was never a failed attempt: one counted attempt each
    expect(singles.map((view) => [view.status, view.attempts])).toEqual([
      ['sent', 1],
      ['sent', 1],
    ]);
    const [broadcastMessage] = await h.db.message.findMany({ where: { broadcastId } });
    expect([broadcastMessage?.status, broadcastMessage?.attempts]).toEqual(['sent', 1]);

    expect(await concurrentSends(h)).toBe(0);
    expect(deliveriesPerUser(await h.deliveries(openid)).get(openid)).toBe(3);
    expect((await h.credits(openid)).map((credit) => credit.state)).toEqual(['spent', 'spent', 'spent']);
    // WeChat was never asked twice for a message: three calls in all
    const attempts = await h.db.messageAttempt.findMany({
      where: { messageId: { in: [first, second, broadcastMessage?.id ?? ''] } },
    });
    expect(attempts.map((attempt) => attempt.outcome)).toEqual(['sent', 'sent', 'sent']);
    const text = await h.metrics.registry.metrics();
    expect(sample(text, 'minapush_wechat_answers_total', `app="${h.app.appId}",errcode="43108"`)).toBe(0);
  });

  it('sends again shortly after a 43108, without counting a failed attempt', async () => {
    await h.control('DELETE', `/apps/${h.app.appId}/faults`);
    const { openid } = await h.userWithSubscription(1);
    await h.fault({ endpoint: 'subscribe_send', errcode: 43108, times: 1 });
    const view = await h.waitUntilFinal(await h.sendSubscribe(openid));
    expect(view).toMatchObject({ status: 'sent', attempts: 1 });
    const attempts = await h.db.messageAttempt.findMany({
      where: { messageId: view.id },
      orderBy: { id: 'asc' },
    });
    expect(attempts.map((attempt) => [attempt.outcome, attempt.errcode])).toEqual([
      ['transient', 43108],
      ['sent', null],
    ]);
    expect(await h.deliveries(openid)).toHaveLength(1);
    expect((await h.credits(openid)).map((credit) => credit.state)).toEqual(['spent']);
    // the job was not failed for it: its first BullMQ attempt completed
    const job = await waitFor('the job completed', async () =>
      (await h.messageQueue.getCompleted()).find((candidate) => candidate.data.messageId === view.id),
    );
    expect(job.attemptsMade).toBe(1);
  });

  it('45168: failed, no retry, an errmsg naming the content, the credit given back', async () => {
    await h.control('DELETE', `/apps/${h.app.appId}/faults`);
    const { openid } = await h.userWithSubscription(1);
    await h.fault({ endpoint: 'subscribe_send', errcode: 45168, times: 1 });
    const view = await h.waitUntilFinal(await h.sendSubscribe(openid));
    expect(view).toMatchObject({ status: 'failed', errcode: 45168, attempts: 1 });
    expect(view.errmsg).toMatch(/content contains words WeChat blocks/);
    expect(view.errmsg).toMatch(/not at fault/);
    // WeChat was called once: no retry, though the fault is gone (a retry would come after ~1 s)
    await sleep(1_500);
    expect(await h.db.messageAttempt.count({ where: { messageId: view.id } })).toBe(1);
    expect((await h.message(view.id)).status).toBe('failed');
    expect(await h.deliveries(openid)).toEqual([]);
    expect((await h.credits(openid)).map((credit) => [credit.state, credit.usesLeft])).toEqual([
      ['available', 1],
    ]);
  });
});

describe('43107: WeChat banned the app’s sending', () => {
  let h: DispatchHarness;
  beforeAll(async () => {
    // one send at a time, so that the pause is decided before the next message is taken
    h = await startDispatchHarness({ concurrency: 1 });
  });
  afterAll(() => h.close());

  it('pauses the running broadcasts with the reason, alerts, fails the message with 43107, and resumes', async () => {
    const openids: string[] = [];
    for (let i = 0; i < 5; i += 1) openids.push((await h.userWithSubscription(1)).openid);
    await h.fault({ endpoint: 'subscribe_send', errcode: 43107, times: 1 });
    const id = await subscribeBroadcast(h, openids);
    const paused = await waitForBroadcast(h, id, 'paused');
    expect(paused.pausedReason).toMatch(/sending banned by WeChat \(43107\)/);
    await waitFor('the batch to leave the rest queued', async () => {
      const view = await broadcastView(h, id);
      return view.status === 'paused' && view.failed === 1 && view.pending === 4 ? view : undefined;
    });
    const [failed] = await h.db.message.findMany({ where: { broadcastId: id, status: 'failed' } });
    expect(failed?.errcode).toBe(43107);
    // the use goes back to the user: WeChat refused the send
    expect((await h.credits(failed?.openid ?? '')).map((credit) => credit.state)).toEqual(['available']);
    expect(await h.deliveries()).toEqual([]);

    const text = await h.metrics.registry.metrics();
    expect(sample(text, 'minapush_sending_banned_total', `app="${h.app.appId}"`)).toBe(1);
    const alert = h
      .logs()
      .split('\n')
      .filter((line) => line.includes('"errcode":43107') && line.includes('"level":50'));
    expect(alert).toHaveLength(1);
    expect(alert[0]).toContain(id);

    const resumed = await h.api('POST', `/v1/broadcasts/${id}/resume`);
    expect(resumed).toEqual({ status: 200, body: { id, status: 'running' } });
    const done = await waitForBroadcast(h, id, 'completed');
    expect(done).toMatchObject({ total: 5, sent: 4, failed: 1, pending: 0 });
    const perUser = deliveriesPerUser(await h.deliveries());
    expect([...perUser.values()]).toEqual([1, 1, 1, 1]);
    expect(perUser.has(failed?.openid ?? '')).toBe(false);
  });
});
