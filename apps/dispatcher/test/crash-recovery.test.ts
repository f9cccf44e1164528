import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DispatchHarness, sleep, startDispatchHarness } from './harness.js';
import { exited, spawnDispatcher } from './processes.js';

const MESSAGES = 1_000;
let h: DispatchHarness;
beforeAll(async () => {
  h = await startDispatchHarness({ dispatcher: false });
}, 60_000);
afterAll(() => h.close());

describe('a dispatcher killed with SIGKILL in the middle of 1,000 sends', () => {
  it('is replaced by another that finishes the job without a duplicate delivery', async () => {
    const users: Array<{ openid: string; kind: 'template' | 'subscribe' }> = [];
    for (let i = 0; i < MESSAGES; i += 1) {
      users.push(
        i % 2 === 0
          ? { kind: 'template', ...(await h.userWithFormIds(2)) }
          : { kind: 'subscribe', ...(await h.userWithSubscription(2)) },
      );
    }
    // Slow sends, so that many are in flight when the process dies.
    await h.fault({ endpoint: 'template_send', delayMs: 40 });
    await h.fault({ endpoint: 'subscribe_send', delayMs: 40 });
    const ids: string[] = [];
    for (const user of users)
      ids.push(
        user.kind === 'template' ? await h.sendTemplate(user.openid) : await h.sendSubscribe(user.openid),
      );

    const output: string[] = [];
    const first = spawnDispatcher(h, output);
    const deadline = Date.now() + 60_000;
    while ((await h.deliveries()).length < MESSAGES / 3) {
      if (Date.now() > deadline) throw new Error(`the first dispatcher sent too little:\n${output.join('')}`);
      await sleep(50);
    }
    first.kill('SIGKILL');
    expect((await exited(first)).signal).toBe('SIGKILL');
    const inFlight = await h.db.message.count({ where: { id: { in: ids }, status: 'sending' } });

    const second = spawnDispatcher(h, output);
    try {
      const finishBy = Date.now() + 90_000;
      let pending = MESSAGES;
      while (pending > 0 && Date.now() < finishBy) {
        await sleep(250);
        pending = await h.db.message.count({
          where: { id: { in: ids }, status: { in: ['queued', 'sending'] } },
        });
      }
      expect(pending).toBe(0);
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }

    const deliveries = await h.deliveries();
    const perUser = new Map<string, number>();
    for (const d of deliveries) perUser.set(d.openid, (perUser.get(d.openid) ?? 0) + 1);
    expect(Math.max(...perUser.values())).toBe(1);
    const messages = await h.db.message.findMany({ where: { id: { in: ids } } });
    const byStatus: Record<string, number> = {};
    for (const m of messages) byStatus[m.status] = (byStatus[m.status] ?? 0) + 1;
    // Every message went out once, or is a subscribe message whose call was cut off by the kill.
    expect((byStatus.sent ?? 0) + (byStatus.unknown ?? 0)).toBe(MESSAGES);
    for (const m of messages) {
      if (m.status === 'sent') expect(perUser.get(m.openid)).toBe(1);
      if (m.status === 'unknown') expect(m.kind).toBe('subscribe');
    }
    const formIds = deliveries.filter((d) => d.formId).map((d) => d.formId);
    expect(new Set(formIds).size).toBe(formIds.length);
    console.log('crash recovery', { inFlightAtKill: inFlight, ...byStatus });
  }, 240_000);
});
