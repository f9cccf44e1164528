import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DispatchHarness, FINAL_STATUSES, sleep, startDispatchHarness } from './harness.js';

const USERS = 2_000;
let h: DispatchHarness;

beforeAll(async () => {
  h = await startDispatchHarness({ concurrency: 50 });
}, 60_000);
afterAll(() => h.close());

/** Runs `task` over `items`, `width` at a time. */
async function inParallel<T, R>(
  items: readonly T[],
  width: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index] as T);
      }
    }),
  );
  return results;
}

describe('2,000 messages to 2,000 users under faults', () => {
  it('delivers at most once per user, spends no credit twice, and leaves nothing pending', async () => {
    // Half the users gave two formIds, half accepted the subscribe template twice.
    const users = await inParallel(
      Array.from({ length: USERS }, (_, i) => i),
      25,
      async (i) =>
        i % 2 === 0
          ? { kind: 'template' as const, ...(await h.userWithFormIds(2)) }
          : { kind: 'subscribe' as const, ...(await h.userWithSubscription(2)) },
    );
    for (const endpoint of ['template_send', 'subscribe_send']) {
      await h.fault({ endpoint, errcode: -1, probability: 0.1 });
      await h.fault({ endpoint, dropReply: true, probability: 0.05 });
      await h.fault({ endpoint, errcode: 40001, probability: 0.02 });
    }

    const ids = await inParallel(users, 25, (user) =>
      user.kind === 'template' ? h.sendTemplate(user.openid) : h.sendSubscribe(user.openid),
    );
    const deadline = Date.now() + 150_000;
    let pending = USERS;
    while (pending > 0 && Date.now() < deadline) {
      await sleep(500);
      pending = await h.db.message.count({
        where: { appId: h.app.appId, status: { in: ['queued', 'sending'] } },
      });
    }
    expect(pending).toBe(0);

    const messages = await h.db.message.findMany({ where: { id: { in: ids } } });
    expect(messages.every((m) => FINAL_STATUSES.has(m.status))).toBe(true);
    expect(messages.filter((m) => m.status === 'sent' && !m.sentAt).map((m) => m.id)).toEqual([]);
    const deliveries = await h.deliveries();
    const perUser = new Map<string, number>();
    for (const d of deliveries) perUser.set(d.openid, (perUser.get(d.openid) ?? 0) + 1);
    expect(Math.max(...perUser.values())).toBe(1);

    const statusOf = new Map(messages.map((m) => [m.openid, m.status]));
    const counts: Record<string, number> = {};
    for (const user of users) {
      const status = statusOf.get(user.openid)!;
      counts[`${user.kind}:${status}`] = (counts[`${user.kind}:${status}`] ?? 0) + 1;
      const delivered = perUser.get(user.openid) ?? 0;
      // sent: delivered exactly once; unknown: a lost subscribe reply, delivered once or not at all;
      // anything else: nothing delivered.
      if (status === 'sent') expect(delivered).toBe(1);
      else if (status === 'unknown') expect(user.kind).toBe('subscribe');
      else expect(delivered).toBe(0);
    }
    // Template messages recover lost replies through 41029, so none end unknown.
    expect(counts['template:sent']).toBe(USERS / 2);
    expect((counts['subscribe:sent'] ?? 0) + (counts['subscribe:unknown'] ?? 0)).toBe(USERS / 2);
    expect(counts['subscribe:unknown'] ?? 0).toBeGreaterThan(0);

    // No credit spent twice: every formId delivered at most once, and no subscribe user lost
    // more than one of their two credits.
    const formIds = deliveries.filter((d) => d.formId).map((d) => d.formId);
    expect(new Set(formIds).size).toBe(formIds.length);
    const credits = await h.db.sendCredit.findMany({ where: { appId: h.app.appId } });
    const usedPerUser = new Map<string, number>();
    for (const c of credits)
      if (c.state !== 'available') usedPerUser.set(c.openid, (usedPerUser.get(c.openid) ?? 0) + 1);
    expect(Math.max(...usedPerUser.values())).toBe(1);
    expect(credits.every((c) => c.usesLeft >= 0)).toBe(true);
    console.log('chaos outcome', counts);
  }, 240_000);
});
