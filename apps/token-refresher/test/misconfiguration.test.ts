import { afterEach, describe, expect, it } from 'vitest';
import { createServer, scheduleTokenRefreshes } from '../src/index.js';
import { eventually, type RefresherHarness, sleep, startRefresherHarness } from './harness.js';

let h: RefresherHarness;
afterEach(() => h.close());

describe('a misconfigured app', () => {
  it('is reported unhealthy in /readyz and metrics, logged once, and not retried in a loop', async () => {
    h = await startRefresherHarness({ wrongSecret: true });
    const tokens = h.tokenService();
    h.worker(tokens);
    await scheduleTokenRefreshes(h.queue(), [h.app], 50);

    await eventually(async () => ((await tokens.readHealth(h.app.appId)).healthy ? undefined : true));
    await sleep(1_000); // some 20 scheduled checks
    const fetches = await h.fetches();
    expect(fetches).toHaveLength(1);
    expect(fetches[0]?.issued).toBe(false);

    const server = createServer({
      apps: [h.app],
      tokens,
      db: h.db,
      redis: h.connection(),
      metrics: h.metrics,
      now: h.now,
    }).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const { port } = server.address() as { port: number };
    try {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(503);
      const body = await ready.json();
      expect(body.error.message).toContain(`app ${h.app.appId} is misconfigured`);
      expect(body.error.details.apps[h.app.appId]).toEqual({
        status: 'misconfigured',
        errcode: 40125,
        code: expect.any(String),
      });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain(`minapush_token_app_healthy{app="${h.app.appId}"} 0`);
      expect(metrics).toContain(
        `minapush_token_fetches_total{app="${h.app.appId}",outcome="misconfigured"} 1`,
      );
    } finally {
      server.close();
    }

    const errors = h
      .logs()
      .split('\n')
      .filter((line) => line.includes('"level":50'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(h.app.appId);
    expect(errors[0]).toContain('40125');
    expect(h.logs()).not.toContain(h.app.secret);
  });
});
