import { afterEach, describe, expect, it } from 'vitest';
import { scheduleTokenRefreshes } from '../src/index.js';
import { eventually, type RefresherHarness, startRefresherHarness } from './harness.js';

let h: RefresherHarness;
afterEach(() => h.close());

describe('secrets', () => {
  it('keeps the token and the secret out of logs and job payloads', async () => {
    h = await startRefresherHarness({ tokenMode: 'classic' });
    const tokens = h.tokenService();
    h.worker(tokens);
    const queue = h.queue();
    await scheduleTokenRefreshes(queue, [h.app], 100);
    const token = await eventually(() => tokens.peek(h.app.appId));
    const stale = await tokens.refreshTokenIfStale(h.app.appId, token.accessToken);
    expect(stale.ok && stale.fetched).toBe(true);

    const jobs = await queue.getJobs(['completed', 'waiting', 'delayed', 'active', 'failed']);
    expect(jobs.length).toBeGreaterThan(0);
    const payloads = JSON.stringify(
      jobs.map((job) => ({ data: job.data, result: job.returnvalue, opts: job.opts })),
    );
    expect(payloads).toContain(h.app.appId);

    const logs = h.logs();
    expect(logs).toContain('access_token fetched');
    for (const secret of [h.app.secret, token.accessToken, stale.ok ? stale.token.accessToken : '']) {
      expect(secret.length).toBeGreaterThan(5);
      expect(logs).not.toContain(secret);
      expect(payloads).not.toContain(secret);
    }
  });
});
