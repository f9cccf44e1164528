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

type Kind = 'form_id' | 'prepay_id' | 'subscribe';

describe('2,000 messages to 2,000 users under faults', () => {
  it('delivers at most once per user, spends no credit twice, and leaves nothing pending', async () => {
    // A quarter of the users gave two formIds, a quarter one prepay_id (three uses), half accepted
    // the subscribe template twice.
    const users = await inParallel(
      Array.from({ length: USERS }, (_, i) => i),
      25,
      async (i): Promise<{ kind: Kind; openid: string; formIds?: string[] }> =>
        i % 2 === 1
          ? { kind: 'subscribe', ...(await h.userWithSubscription(2)) }
          : i % 4 === 0
            ? { kind: 'form_id', ...(await h.userWithFormIds(2)) }
            : { kind: 'prepay_id', ...(await h.userWithFormIds(1, 'prepay_id')) },
    );
    for (const endpoint of ['template_send', 'subscribe_send']) {
      await h.fault({ endpoint, errcode: -1, probability: 0.1 });
      await h.fault({ endpoint, dropReply: true, probability: 0.05 });
      await h.fault({ endpoint, errcode: 40001, probability: 0.02 });
    }

    const ids = await inParallel(users, 25, (user) =>
      user.kind === 'subscribe' ? h.sendSubscribe(user.openid) : h.sendTemplate(user.openid),
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
      // sent: delivered exactly once; unknown: a lost reply on a subscribe accept or a prepay_id,
      // delivered once or not at all, never resent; anything else: nothing delivered.
      if (status === 'sent') expect(delivered).toBe(1);
      else if (status === 'unknown') expect(user.kind).not.toBe('form_id');
      else expect(delivered).toBe(0);
    }
    // Messages on formIds recover lost replies through 41029, so none end unknown.
    const quarter = USERS / 4;
    expect(counts['form_id:sent']).toBe(quarter);
    expect((counts['prepay_id:sent'] ?? 0) + (counts['prepay_id:unknown'] ?? 0)).toBe(quarter);
    expect(counts['prepay_id:unknown'] ?? 0).toBeGreaterThan(0);
    expect((counts['subscribe:sent'] ?? 0) + (counts['subscribe:unknown'] ?? 0)).toBe(2 * quarter);
    expect(counts['subscribe:unknown'] ?? 0).toBeGreaterThan(0);

    // No credit spent twice: every formId delivered at most once, and no subscribe user lost
    // more than one of their two credits.
    const credits = await h.db.sendCredit.findMany({ where: { appId: h.app.appId } });
    const kindOf = new Map(credits.map((c) => [c.formId, c.kind]));
    const formIds = deliveries
      .filter((d) => d.formId && kindOf.get(d.formId) === 'form_id')
      .map((d) => d.formId);
    expect(new Set(formIds).size).toBe(formIds.length);
    const usedPerUser = new Map<string, number>();
    for (const c of credits)
      if (c.state !== 'available') usedPerUser.set(c.openid, (usedPerUser.get(c.openid) ?? 0) + 1);
    expect(Math.max(...usedPerUser.values())).toBe(1);
    expect(credits.every((c) => c.usesLeft >= 0)).toBe(true);

    // No prepay_id use beyond its three: WeChat took at most three, and every use it may have
    // taken is counted here (a lost reply's too): each message spent exactly one.
    const deliveriesPer = new Map<string, number>();
    for (const d of deliveries)
      if (d.formId) deliveriesPer.set(d.formId, (deliveriesPer.get(d.formId) ?? 0) + 1);
    const prepays = credits.filter((c) => c.kind === 'prepay_id');
    expect(prepays).toHaveLength(quarter);
    for (const c of prepays) {
      const delivered = deliveriesPer.get(c.formId ?? '') ?? 0;
      expect(delivered).toBeLessThanOrEqual(1);
      expect([c.usesLeft, c.state]).toEqual([2, 'available']);
    }
    console.log('chaos outcome', counts);
  }, 240_000);
});
