import { nextChinaMidnight } from '@minapush/tokens';
import { afterEach, describe, expect, it } from 'vitest';
import { type DispatchHarness, pausableClock, sleep, startDispatchHarness } from './harness.js';

let h: DispatchHarness;
afterEach(() => h.close());

async function attemptWith(messageId: string, errcode: number, db: DispatchHarness['db']) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = await db.messageAttempt.findFirst({ where: { messageId, errcode } });
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no attempt with ${errcode}`);
    await sleep(20);
  }
}

describe('45011: per-minute quota', () => {
  it('pauses the app until the next minute, without counting a failed attempt', async () => {
    const clock = pausableClock();
    h = await startDispatchHarness({ now: clock.now });
    const [first, second] = [await h.userWithFormIds(1), await h.userWithFormIds(1)];
    // The app's clock stands 3 s before a minute boundary until the 45011 comes, however long that
    // takes on a loaded machine: the pause is short but observable.
    const boundary = (Math.floor(Date.now() / 60_000) + 2) * 60_000;
    clock.standAt(boundary - 3_000);
    await h.fault({ endpoint: 'template_send', errcode: 45011, times: 1 });

    const firstId = await h.sendTemplate(first!.openid);
    await attemptWith(firstId, 45011, h.db);
    await clock.runOnFromPause(h, boundary);
    const secondId = await h.sendTemplate(second!.openid);
    const views = await Promise.all([h.waitUntilFinal(firstId), h.waitUntilFinal(secondId)]);

    expect(views.map((v) => [v.status, v.attempts])).toEqual([
      ['sent', 1],
      ['sent', 1],
    ]);
    for (const view of views) expect(new Date(view.sentAt!).getTime()).toBeGreaterThanOrEqual(boundary);
    const metrics = await h.metrics.registry.getSingleMetricAsString('minapush_quota_pauses_total');
    expect(metrics).toContain(`app="${h.app.appId}",window="per_minute"} 1`);
  });
});

describe('45009: daily quota', () => {
  it('pauses the app until 00:00 China time and raises an alert, leaving the message queued', async () => {
    h = await startDispatchHarness();
    const { openid } = await h.userWithFormIds(1);
    await h.fault({ endpoint: 'template_send', errcode: 45009, times: 1 });
    const id = await h.sendTemplate(openid);
    await attemptWith(id, 45009, h.db);
    await sleep(300);

    const view = await h.message(id);
    expect([view.status, view.attempts]).toEqual(['queued', 0]);
    const ttl = await h.messageQueue.getRateLimitTtl();
    const expected = nextChinaMidnight(Date.now()).getTime() - Date.now();
    expect(Math.abs(ttl - expected)).toBeLessThan(5_000);
    expect(h.logs()).toMatch(/"level":50.*daily send quota of .* reached \(45009\)/);
    const metrics = await h.metrics.registry.getSingleMetricAsString('minapush_quota_pauses_total');
    expect(metrics).toContain(`window="daily"} 1`);
    expect(await h.deliveries(openid)).toEqual([]);

    // The next China day, in effect: the pause is lifted and a dispatcher picks the message up.
    await h.endQuotaPause();
    await h.dispatcher?.close(2_000);
    h.startDispatcher();
    expect((await h.waitUntilFinal(id)).status).toBe('sent');
  });
});

describe('sendRatePerSecond', () => {
  it('holds the app to its rate, counted in messages', async () => {
    h = await startDispatchHarness({ sendRatePerSecond: 4 });
    const users = [];
    for (let i = 0; i < 13; i += 1) users.push(await h.userWithFormIds(1));
    await h.tokens.getToken(h.app.appId); // so that no first send waits for a token fetch
    const ids = await Promise.all(users.map((u) => h.sendTemplate(u.openid)));
    await Promise.all(ids.map((id) => h.waitUntilFinal(id)));
    const times = (await h.deliveries()).map((d) => new Date(d.at).getTime()).sort((a, b) => a - b);
    expect(times).toHaveLength(13);
    // 13 sends at 4 per second span four limiter windows, about 3 s; unlimited they take ~50 ms.
    expect(times.at(-1)! - times[0]!).toBeGreaterThan(2_000);
  });
});
