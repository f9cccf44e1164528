import { redisKeys } from '@minapush/queues';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DispatchHarness,
  deliveriesPerUser,
  LEGACY_TEMPLATE,
  pausableClock,
  startDispatchHarness,
  waitFor,
} from './harness.js';
import { exited, freePort, spawnDispatcher } from './processes.js';

let h: DispatchHarness;
afterEach(() => h?.close());

async function broadcastToAll(): Promise<string> {
  const created = await h.api<{ id: string }>('POST', '/v1/broadcasts', {
    kind: 'template',
    templateId: LEGACY_TEMPLATE,
    data: { keyword1: 'paced' },
    audience: { type: 'all' },
  });
  expect(created.status).toBe(202);
  return created.body.id;
}
const deliveryTimes = async () =>
  (await h.deliveries()).map((d) => new Date(d.at).getTime()).sort((a, b) => a - b);

describe('sendRatePerSecond counts messages, across dispatcher processes', () => {
  it('two dispatcher processes together hold the app to its rate within ±10% over 10 s', async () => {
    const RATE = 50;
    h = await startDispatchHarness({ dispatcher: false, sendRatePerSecond: RATE });
    await h.seedUsersWithFormIds(1_200);
    const ports = [await freePort(), await freePort()];
    const outputs: string[][] = [[], []];
    const children = ports.map((port, i) =>
      spawnDispatcher(h, outputs[i] ?? [], { DISPATCHER_PORT: String(port), BATCH_SIZE: '50' }),
    );
    try {
      for (const output of outputs) {
        await waitFor('a dispatcher to start', () => output.join('').includes('dispatcher started'));
      }
      await broadcastToAll();
      // past the start (fan-out, first token), then ten seconds of steady sending
      const from = await waitFor('sending to be under way', async () => {
        const times = await deliveryTimes();
        return times.length >= 2 * RATE ? (times.at(-1) ?? 0) : undefined;
      });
      const times = await waitFor(
        'ten more seconds of deliveries',
        async () => {
          const all = await deliveryTimes();
          return (all.at(-1) ?? 0) >= from + 10_000 ? all : undefined;
        },
        60_000,
        200,
      );
      const inWindow = times.filter((at) => at > from && at <= from + 10_000).length;
      expect(inWindow).toBeGreaterThanOrEqual(10 * RATE * 0.9);
      expect(inWindow).toBeLessThanOrEqual(10 * RATE * 1.1);

      // both processes sent: the budget is shared, not held by one of them
      for (const port of ports) {
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        // every lane's series exists from the start (at 0): the messages sent are their sum
        const sent = [...metrics.matchAll(/minapush_messages_finished_total\{[^}]*status="sent"\} (\d+)/g)];
        expect(sent.reduce((sum, match) => sum + Number(match[1]), 0)).toBeGreaterThan(0);
      }
      console.log('two processes', { rate: RATE, deliveredIn10s: inWindow });
    } finally {
      for (const child of children) {
        child.kill('SIGTERM');
        await exited(child);
      }
    }
  }, 180_000);
});

describe('45011: WeChat says the app sends too fast', () => {
  it('slows the app down after a burst of 45011, then climbs back to its rate, sending everyone once', async () => {
    const RATE = 40;
    const clock = pausableClock();
    h = await startDispatchHarness({
      now: clock.now,
      sendRatePerSecond: RATE,
      sendRateRecoveryMs: 4_000,
      batchSize: 50,
    });
    const openids = await h.seedUsersWithFormIds(400);
    await h.tokens.getToken(h.app.appId);
    // The app's clock stands 3 s before a minute boundary until the 45011s come: a short pause.
    const boundary = (Math.floor(Date.now() / 60_000) + 2) * 60_000;
    clock.standAt(boundary - 3_000);
    await h.fault({ endpoint: 'template_send', errcode: 45011, times: 3 });
    const gate = h.dispatcher?.gate;
    if (!gate) throw new Error('the harness runs a dispatcher');

    const id = await broadcastToAll();
    // the counter exists at 0 from the start: wait for the pause to be counted, not for its label
    await waitFor('the quota pause', async () =>
      /window="per_minute"[^}]*\} [1-9]/.test(
        await h.metrics.registry.getSingleMetricAsString('minapush_quota_pauses_total'),
      ),
    );
    const resumesAt = await clock.runOnFromPause(h, boundary);
    // the three answers of one burst halve the rate once, to climb back from the end of the pause
    const slowdown = JSON.parse(
      (await h.redis.get(redisKeys(h.prefix).sendRateSlowdown(h.app.appId))) ?? '{}',
    ) as { reducedTo?: number };
    expect(slowdown.reducedTo).toBe(RATE / 2);
    expect(await h.metrics.registry.getSingleMetricAsString('minapush_send_rate_per_second')).toContain(
      `} ${RATE / 2}`,
    );

    await waitFor(
      'the app to climb back to its rate',
      async () => (await gate.currentRate(h.app.appId)) === RATE,
      30_000,
    );
    await waitFor(
      'the broadcast to complete',
      async () =>
        (await h.api<{ status: string }>('GET', `/v1/broadcasts/${id}`)).body.status === 'completed',
      60_000,
    );
    const times = await deliveryTimes();
    // In the first whole second of the clock after the pause (the limiter's windows), the rate in
    // force was still near the halved one: it climbs back over 4 s, so by then at most by 2/4.
    const firstSecond = Math.ceil(resumesAt / 1_000) * 1_000;
    const sentInIt = times.filter((at) => at >= firstSecond && at < firstSecond + 1_000).length;
    expect(sentInIt).toBeLessThanOrEqual(RATE / 2 + RATE / 4 + 2);
    const perUser = deliveriesPerUser(await h.deliveries());
    for (const openid of openids) expect(perUser.get(openid)).toBe(1);
  }, 120_000);
});
