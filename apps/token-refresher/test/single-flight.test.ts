import { afterEach, describe, expect, it } from 'vitest';
import { type RefresherHarness, startRefresherHarness } from './harness.js';

let h: RefresherHarness;
afterEach(() => h.close());

describe.each(['classic', 'stable'] as const)('single flight (%s)', (tokenMode) => {
  it('makes one fetch for 200 concurrent stale reports across 3 processes, and none for a replaced token', async () => {
    h = await startRefresherHarness({ tokenMode });
    const processes = [h.tokenService(), h.tokenService(), h.tokenService()];
    const first = await processes[0]!.getToken(h.app.appId);
    expect(first.ok).toBe(true);
    const stale = first.ok ? first.token.accessToken : '';
    const fetchesBefore = (await h.fetches()).length;

    const reports = await Promise.all(
      Array.from({ length: 200 }, (_, i) => processes[i % 3]!.refreshTokenIfStale(h.app.appId, stale)),
    );
    const tokens = new Set(reports.map((r) => (r.ok ? r.token.accessToken : `failed:${r.reason}`)));
    expect(tokens.size).toBe(1);
    const [fresh] = [...tokens];
    expect(reports.filter((r) => r.ok && r.fetched)).toHaveLength(1);
    expect(await h.fetches()).toHaveLength(fetchesBefore + 1);
    if (tokenMode === 'classic') expect(fresh).not.toBe(stale);

    // A late report of the token that was already replaced fetches nothing.
    const late = await processes[2]!.refreshTokenIfStale(
      h.app.appId,
      tokenMode === 'classic' ? stale : 'some-old-token',
    );
    expect(late.ok && late.token.accessToken).toBe(fresh);
    expect(late.ok && late.fetched).toBe(false);
    expect(await h.fetches()).toHaveLength(fetchesBefore + 1);
  });
});

describe('single flight when WeChat fails', () => {
  it('answers 200 concurrent callers with one failed fetch per process, not a fetch each', async () => {
    h = await startRefresherHarness({ tokenMode: 'classic' });
    const processes = [h.tokenService(), h.tokenService()];
    await h.control('POST', `/apps/${h.app.appId}/faults`, { endpoint: 'token', errcode: -1, times: 1_000 });
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) => processes[i % 2]!.getToken(h.app.appId)),
    );
    expect(new Set(outcomes.map((o) => (o.ok ? 'ok' : o.reason)))).toEqual(new Set(['unavailable']));
    // A fault answers before the sandbox logs a fetch; its countdown counts the calls instead.
    const state = await h.control<{ faults: Array<{ remaining: number }> }>('GET', `/apps/${h.app.appId}`);
    const calls = 1_000 - (state.faults[0]?.remaining ?? 1_000);
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(2);
  });
});
