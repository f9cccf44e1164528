import { tokenRefreshCatalog } from '@minapush/queues';
import { afterEach, describe, expect, it } from 'vitest';
import { createRefresherMetrics, scheduleTokenRefreshes } from '../src/index.js';
import { type RefresherHarness, startRefresherHarness } from './harness.js';

let h: RefresherHarness;
afterEach(() => h.close());

describe('token refresher metrics', () => {
  it('exposes its counters at 0 from the start, then counts a fetch', async () => {
    h = await startRefresherHarness();
    const app = h.app.appId;
    let text = await h.metrics.registry.metrics();
    for (const outcome of ['ok', 'failed', 'misconfigured']) {
      expect(text).toContain(`minapush_token_fetches_total{app="${app}",outcome="${outcome}"} 0`);
    }
    for (const kind of ['automatic', 'passive']) {
      expect(text).toContain(`minapush_token_budget_exhausted_total{app="${app}",kind="${kind}"} 0`);
    }
    const tokens = h.tokenService();
    expect((await tokens.getToken(app)).ok).toBe(true);
    text = await h.metrics.registry.metrics();
    expect(text).toContain(`minapush_token_fetches_total{app="${app}",outcome="ok"} 1`);
  });

  it('reads the token-refresh queue depth on scrape', async () => {
    h = await startRefresherHarness();
    const queue = h.queue();
    const metrics = createRefresherMetrics({ queues: [{ queue, lane: 'none' }], maxAgeMs: 0 });
    const depth = (text: string, state: string) =>
      Number(
        new RegExp(
          `minapush_queue_depth\\{queue="${tokenRefreshCatalog.queue}",lane="none",state="${state}"\\} (\\d+)`,
        ).exec(text)?.[1],
      );
    const before = await metrics.registry.metrics();
    expect(depth(before, 'waiting') + depth(before, 'delayed')).toBe(0);
    // no worker runs: the scheduled check of the app waits in the queue
    await scheduleTokenRefreshes(queue, [h.app], 60_000);
    const after = await metrics.registry.metrics();
    expect(depth(after, 'waiting') + depth(after, 'delayed')).toBe(1);
  });
});
