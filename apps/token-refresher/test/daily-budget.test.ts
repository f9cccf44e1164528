import { afterEach, describe, expect, it } from 'vitest';
import { type RefresherHarness, startRefresherHarness } from './harness.js';

let h: RefresherHarness;
afterEach(() => h.close());

describe('the daily fetch budget', () => {
  it('stops automatic fetches at its share of the limit and keeps the rest for stale-token reports', async () => {
    h = await startRefresherHarness({ tokenMode: 'classic' });
    h.app.tokenDailyLimit = 5;
    // Always "due", so that every scheduled check wants a fetch.
    const tokens = h.tokenService({
      automaticShare: 0.8,
      refreshAheadMs: { classic: 3 * 3_600_000, stable: 0 },
    });

    const automatic = [];
    for (let i = 0; i < 6; i += 1) automatic.push(await tokens.refreshTokenIfDue(h.app.appId));
    expect(automatic.map((o) => (o.ok ? 'fetched' : o.reason))).toEqual([
      'fetched',
      'fetched',
      'fetched',
      'fetched',
      'budget_exhausted',
      'budget_exhausted',
    ]);
    expect(await h.fetches()).toHaveLength(4);
    const refused = automatic[4]!;
    expect(!refused.ok && refused.retryAt && refused.retryAt.getTime() > h.now()).toBe(true);

    // The reserve: a sender told the token is stale still gets a new one, up to the limit.
    const current = await tokens.peek(h.app.appId);
    const passive = await tokens.refreshTokenIfStale(h.app.appId, current!.accessToken);
    expect(passive.ok && passive.fetched).toBe(true);
    const exhausted = await tokens.refreshTokenIfStale(
      h.app.appId,
      passive.ok ? passive.token.accessToken : '',
    );
    expect(exhausted.ok ? 'fetched' : exhausted.reason).toBe('budget_exhausted');
    expect(await h.fetches()).toHaveLength(5);
    expect(await tokens.fetchesToday(h.app.appId)).toBe(5);
    expect(h.logs()).toMatch(/daily access_token fetch budget of app .* reached/);
  });
});
