import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, SandboxClient, startSandbox, type TestApp } from './sandbox-client.js';

// The answers behind docs/send-policy.md's 43108, 43107 and 45168 rows, and quota/get.
const TEMPLATE = 'tpl-policy';

let running: RunningSandbox;
let client: SandboxClient;

beforeAll(async () => {
  running = await startSandbox();
  client = new SandboxClient(running.baseUrl);
});

afterAll(async () => {
  await running.close();
});

async function appWithCredits(
  openids: string[],
  credits: number,
  settings: Record<string, unknown> = {},
): Promise<{ app: TestApp; token: string }> {
  const app = await client.createApp({ templates: [{ id: TEMPLATE, kind: 'subscribe' }], ...settings });
  for (const openid of openids) await client.subscribe(app.appId, openid, TEMPLATE, credits);
  return { app, token: await client.accessToken(app) };
}

const message = (touser: string, value = '您的订单已发货') => ({
  touser,
  template_id: TEMPLATE,
  data: { thing1: { value } },
});

const quota = (token: string, cgiPath: unknown) =>
  client.post(`/cgi-bin/openapi/quota/get?access_token=${token}`, { cgi_path: cgiPath });

describe('43108: concurrent sends to one user', () => {
  it('answers 43108 to a send that overlaps another to the same user, without spending its credit', async () => {
    const { app, token } = await appWithCredits(['o-one', 'o-two'], 3);
    await client.control(app.appId, '/faults', { endpoint: 'subscribe_send', delayMs: 300, times: 1 });
    const slow = client.subscribeSend(token, message('o-one'));
    // the first is in flight (its delay) once the fault is used up
    for (;;) {
      const faults = (await client.get(`/__sandbox/apps/${app.appId}`)).body.faults;
      if (faults.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const overlapping = await client.subscribeSend(token, message('o-one'));
    const otherUser = await client.subscribeSend(token, message('o-two'));
    expect(overlapping.body).toEqual({
      errcode: 43108,
      errmsg: 'Cannot make concurrent calls to the same OpenID, please try again',
    });
    expect(otherUser.body.errcode).toBe(0);
    expect((await slow).body.errcode).toBe(0);
    // one after the other is fine
    expect((await client.subscribeSend(token, message('o-one'))).body.errcode).toBe(0);
    const described = (await client.get(`/__sandbox/apps/${app.appId}`)).body;
    expect(described.concurrentSends).toBe(1);
    expect(await client.deliveries(app.appId, '?openid=o-one')).toHaveLength(2);
  });
});

describe('43107 and 45168', () => {
  it('a fault answers 43107 (sending banned) with its errmsg and no side effect', async () => {
    const { app, token } = await appWithCredits(['o-ban'], 1);
    await client.control(app.appId, '/faults', { endpoint: 'subscribe_send', errcode: 43107, times: 1 });
    expect((await client.subscribeSend(token, message('o-ban'))).body).toEqual({
      errcode: 43107,
      errmsg: 'subscribe message capability banned',
    });
    expect(await client.deliveries(app.appId)).toEqual([]);
    expect((await client.subscribeSend(token, message('o-ban'))).body.errcode).toBe(0);
  });

  it('a fault answers 45168 (sensitive words), and so does a data value holding a sensitive word of the app', async () => {
    const { app, token } = await appWithCredits(['o-words'], 1, { sensitiveWords: ['违禁'] });
    await client.control(app.appId, '/faults', { endpoint: 'subscribe_send', errcode: 45168, times: 1 });
    expect((await client.subscribeSend(token, message('o-words'))).body).toEqual({
      errcode: 45168,
      errmsg: 'keyword blocked',
    });
    expect((await client.subscribeSend(token, message('o-words', '含违禁词的提醒'))).body.errcode).toBe(
      45168,
    );
    // nothing was spent: the clean message goes out on the one credit
    expect(await client.deliveries(app.appId)).toEqual([]);
    expect((await client.subscribeSend(token, message('o-words'))).body.errcode).toBe(0);
    expect((await client.get(`/__sandbox/apps/${app.appId}`)).body.sensitiveWords).toEqual(['违禁']);
  });
});

describe('POST /cgi-bin/openapi/quota/get', () => {
  it("answers an API's daily limit, use and remainder from the sandbox's counters", async () => {
    const { app, token } = await appWithCredits(['o-q'], 3, { dailySendLimit: 10 });
    expect((await quota(token, '/cgi-bin/message/subscribe/send')).body).toEqual({
      errcode: 0,
      errmsg: 'ok',
      quota: { daily_limit: 10, used: 0, remain: 10 },
    });
    await client.subscribeSend(token, message('o-q'));
    await client.subscribeSend(token, message('o-q'));
    expect((await quota(token, '/cgi-bin/message/subscribe/send')).body.quota).toEqual({
      daily_limit: 10,
      used: 2,
      remain: 8,
    });
    expect((await quota(token, '/cgi-bin/message/wxopen/template/send')).body.quota).toEqual({
      daily_limit: 10,
      used: 0,
      remain: 10,
    });
    // the token fetch that gave this token counts
    expect((await quota(token, '/cgi-bin/token')).body.quota).toMatchObject({ used: 1 });
    const day = (await client.get(`/__sandbox/apps/${app.appId}`)).body.today.sends.subscribe;
    expect(day).toBe(2);
  });

  it('answers 76021 for a path it does not count, 40001 for a bad token, and takes faults', async () => {
    const { app, token } = await appWithCredits([], 0);
    expect((await quota(token, '/cgi-bin/nothing')).body.errcode).toBe(76021);
    expect((await quota(token, 42)).body.errcode).toBe(47001);
    expect((await quota('not-a-token', '/cgi-bin/token')).body.errcode).toBe(40001);
    await client.control(app.appId, '/faults', { endpoint: 'quota_get', errcode: -1, times: 1 });
    expect((await quota(token, '/cgi-bin/token')).body.errcode).toBe(-1);
    expect((await quota(token, '/cgi-bin/token')).body.errcode).toBe(0);
  });
});
