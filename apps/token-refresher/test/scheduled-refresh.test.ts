import { afterEach, describe, expect, it } from 'vitest';
import { scheduleTokenRefreshes } from '../src/index.js';
import { eventually, type RefresherHarness, sleep, startRefresherHarness } from './harness.js';

const MINUTE = 60_000;
let h: RefresherHarness;
afterEach(() => h.close());

describe('scheduled refresh', () => {
  it('fetches a stable token at start and a new one ahead of expiry, never with force_refresh', async () => {
    h = await startRefresherHarness({ tokenMode: 'stable' });
    const tokens = h.tokenService();
    h.worker(tokens);
    await scheduleTokenRefreshes(h.queue(), [h.app], 100);

    const first = await eventually(() => tokens.peek(h.app.appId));
    expect(await h.fetches()).toHaveLength(1);

    // 10 minutes left: a stable token is not rotated yet, so the checks leave it alone.
    await h.advance(110 * MINUTE);
    await sleep(400);
    expect((await tokens.peek(h.app.appId))?.accessToken).toBe(first.accessToken);
    expect((await h.fetches()).filter((f) => f.issued)).toHaveLength(1);

    // 4 minutes left: inside WeChat's rotation window, so the next check fetches the new one.
    await h.advance(6 * MINUTE);
    const second = await eventually(async () => {
      const current = await tokens.peek(h.app.appId);
      return current && current.accessToken !== first.accessToken ? current : undefined;
    });
    expect(second.fetchedAt).toBeLessThan(first.expiresAt);
    expect(second.expiresAt - h.now()).toBeGreaterThan(100 * MINUTE);
    const fetches = await h.fetches();
    expect(fetches.every((f) => f.mode === 'stable' && f.forceRefresh === false)).toBe(true);

    const history = await h.db.accessTokenFetch.findMany({
      where: { appId: h.app.appId },
      orderBy: { id: 'asc' },
    });
    expect(history.map((row) => row.reason)).toEqual(['scheduled', 'scheduled']);
  });

  it('refreshes a classic token ahead of expiry, and the old one keeps working through the grace window', async () => {
    h = await startRefresherHarness({ tokenMode: 'classic' });
    const tokens = h.tokenService();
    const first = await tokens.refreshTokenIfDue(h.app.appId);
    expect(first.ok).toBe(true);
    const t1 = first.ok ? first.token.accessToken : '';

    await h.advance(111 * MINUTE); // 9 minutes left: due for a classic token
    const second = await tokens.refreshTokenIfDue(h.app.appId);
    expect(second.ok && second.fetched).toBe(true);
    const t2 = second.ok ? second.token.accessToken : '';
    expect(t2).not.toBe(t1);

    // A sender still holding T1 keeps working for 5 minutes after the new fetch...
    const { openid } = await h.control<{ openid: string }>('POST', `/apps/${h.app.appId}/users`, {});
    await h.control('POST', `/apps/${h.app.appId}/subscriptions`, {
      openid,
      templateId: 'tmpl-grace',
      count: 3,
    });
    const send = (token: string) =>
      h.wechat.sendSubscribeMessage(token, {
        touser: openid,
        templateId: 'tmpl-grace',
        data: { thing1: { value: 'hi' } },
      });
    await h.advance(4 * MINUTE);
    expect((await send(t1)).ok).toBe(true);

    // ...then T1 is refused, and reporting it stale hands out T2 without another fetch.
    await h.advance(2 * MINUTE);
    const refused = await send(t1);
    expect(refused.ok).toBe(false);
    expect(refused.ok ? undefined : refused.error.category).toBe('stale_token');
    const before = (await h.fetches()).length;
    const passive = await tokens.refreshTokenIfStale(h.app.appId, t1);
    expect(passive.ok && passive.token.accessToken).toBe(t2);
    expect(passive.ok && passive.fetched).toBe(false);
    expect(await h.fetches()).toHaveLength(before);
    expect((await send(t2)).ok).toBe(true);
  });
});
