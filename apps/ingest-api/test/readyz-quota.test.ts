import { QUOTA_APIS, readQuotaReadings, redisKeys, storeQuotaReading } from '@minapush/queues';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(() => h.close());

const readyApp = async () => {
  const ready = await fetch(`${h.url}/readyz`);
  expect(ready.status).toBe(200);
  return (await ready.json()).apps[h.appId];
};

describe("/readyz shows each app's daily WeChat quota", () => {
  it('shows nothing before a reading, and never turns unready over one', async () => {
    expect(await readyApp()).toEqual({ status: 'ok' });
    // a reading nobody can parse is as good as none
    await h.redis.set(redisKeys(h.prefix).wechatQuota(h.appId, 'subscribe_send'), 'not json');
    expect(await readyApp()).toEqual({ status: 'ok' });
  });

  it("shows the token-refresher's last reading of WeChat's quota/get", async () => {
    // what the token-refresher stores: WeChat's (the sandbox's) answer to quota/get
    const token = await fetch(`${h.url}/v1/apps/${h.appId}/access-token`, {
      headers: { authorization: `Bearer ${h.apiKey}` },
    });
    const { accessToken } = (await token.json()) as { accessToken: string };
    const [{ api, cgiPath }] = QUOTA_APIS;
    const answer = await h.wechat.getApiQuota(accessToken, cgiPath);
    if (!answer.ok) throw answer.error;
    const readAt = new Date().toISOString();
    const keys = redisKeys(h.prefix);
    await storeQuotaReading(h.redis, keys, h.appId, api, { ...answer.value, readAt });
    expect((await readQuotaReadings(h.redis, keys, [h.appId])).get(h.appId)).toEqual({
      subscribe_send: { dailyLimit: 10_000_000, used: 0, remain: 10_000_000, readAt },
    });

    expect(await readyApp()).toEqual({
      status: 'ok',
      quota: { subscribe_send: { dailyLimit: 10_000_000, used: 0, remain: 10_000_000, readAt } },
    });
  });
});
