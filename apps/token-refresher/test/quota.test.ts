import { readQuotaReadings, redisKeys } from '@minapush/queues';
import { afterEach, describe, expect, it } from 'vitest';
import { createRefresherMetrics, createTokenRefreshWorker, scheduleTokenRefreshes } from '../src/index.js';
import { eventually, type RefresherHarness, startRefresherHarness } from './harness.js';

const TEMPLATE = 'tpl-quota';

let h: RefresherHarness;
afterEach(() => h.close());

/** Sends `count` subscribe messages through the sandbox, as a dispatcher would. */
async function sendThroughSandbox(harness: RefresherHarness, accessToken: string, count: number) {
  const { appId } = harness.app;
  await harness.control('POST', `/apps/${appId}/templates`, { id: TEMPLATE, kind: 'subscribe' });
  await harness.control('POST', `/apps/${appId}/subscriptions`, {
    openid: 'o-q',
    templateId: TEMPLATE,
    count,
  });
  for (let i = 0; i < count; i += 1) {
    const sent = await harness.wechat.sendSubscribeMessage(accessToken, {
      touser: 'o-q',
      templateId: TEMPLATE,
      data: { thing1: 'hello' },
    });
    expect(sent.ok).toBe(true);
  }
}

const gauge = (text: string, app: string, field: string) =>
  Number(
    new RegExp(`minapush_wechat_quota\\{app="${app}",api="subscribe_send",field="${field}"\\} (\\d+)`).exec(
      text,
    )?.[1],
  );

describe("the app's daily WeChat quota", () => {
  it('is read on schedule, stored in Redis and shown as minapush_wechat_quota', async () => {
    h = await startRefresherHarness();
    const { appId } = h.app;
    const tokens = h.tokenService();
    const token = await tokens.getToken(appId);
    if (!token.ok) throw new Error(token.message);
    await sendThroughSandbox(h, token.token.accessToken, 3);

    const redis = h.connection();
    const keys = redisKeys(h.prefix);
    const metrics = createRefresherMetrics({ appIds: [appId], quotas: { redis, keys } });
    // no reading yet: no series
    expect(await metrics.registry.metrics()).not.toContain('minapush_wechat_quota{');

    const queue = h.queue();
    await scheduleTokenRefreshes(queue, [h.app], 60_000, 1_000);
    const worker = createTokenRefreshWorker({
      connection: h.connection(),
      prefix: h.prefix,
      tokens,
      logger: h.logger,
      quotas: { wechat: h.wechat, redis, keys },
    });
    try {
      const reading = await eventually(
        async () => (await readQuotaReadings(redis, keys, [appId])).get(appId)?.subscribe_send,
      );
      // the sandbox's default daily limit of subscribe messages, and its count of today's sends
      expect(reading).toMatchObject({ dailyLimit: 10_000_000, used: 3, remain: 9_999_997 });
      expect(Date.parse(reading.readAt)).toBeGreaterThan(Date.now() - 60_000);

      const text = await metrics.registry.metrics();
      expect(gauge(text, appId, 'daily_limit')).toBe(10_000_000);
      expect(gauge(text, appId, 'used')).toBe(3);
      expect(gauge(text, appId, 'remain')).toBe(9_999_997);

      // the next scheduled reading sees the next send
      await sendThroughSandbox(h, token.token.accessToken, 1);
      await eventually(async () =>
        (await readQuotaReadings(redis, keys, [appId])).get(appId)?.subscribe_send?.used === 4
          ? true
          : undefined,
      );
    } finally {
      await worker.close();
    }
    expect(h.logs()).not.toContain(token.token.accessToken);
  });

  it('keeps the last reading when a reading fails, and logs the failure', async () => {
    h = await startRefresherHarness();
    const { appId } = h.app;
    const tokens = h.tokenService();
    const redis = h.connection();
    const keys = redisKeys(h.prefix);
    const queue = h.queue();
    await scheduleTokenRefreshes(queue, [h.app], 60_000, 1_000);
    const worker = createTokenRefreshWorker({
      connection: h.connection(),
      prefix: h.prefix,
      tokens,
      logger: h.logger,
      quotas: { wechat: h.wechat, redis, keys },
    });
    try {
      const first = await eventually(
        async () => (await readQuotaReadings(redis, keys, [appId])).get(appId)?.subscribe_send,
      );
      await h.control('POST', `/apps/${appId}/faults`, { endpoint: 'quota_get', errcode: -1 });
      await eventually(async () =>
        h.logs().includes('quota of subscribe_send not read') ? true : undefined,
      );
      expect((await readQuotaReadings(redis, keys, [appId])).get(appId)?.subscribe_send).toEqual(first);
    } finally {
      await worker.close();
    }
  });
});
