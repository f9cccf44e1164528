import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, SandboxClient, startSandbox, type TestApp } from './sandbox-client.js';

const TEMPLATE = 'tpl-shipped';

let running: RunningSandbox;
let client: SandboxClient;

beforeAll(async () => {
  running = await startSandbox();
  client = new SandboxClient(running.baseUrl);
});

afterAll(async () => {
  await running.close();
});

async function subscribeApp(
  settings: Record<string, unknown> = {},
): Promise<{ app: TestApp; token: string }> {
  const app = await client.createApp({ templates: [{ id: TEMPLATE, kind: 'subscribe' }], ...settings });
  return { app, token: await client.accessToken(app) };
}

function message(touser: string, extra: Record<string, unknown> = {}) {
  return {
    touser,
    template_id: TEMPLATE,
    page: 'pages/order/detail?id=7',
    data: {
      thing1: { value: '您的订单已发货' },
      character_string2: { value: 'SF1234567890' },
      date3: { value: '2026-03-01 10:30' },
      amount4: { value: '¥88.00' },
    },
    ...extra,
  };
}

describe('POST /cgi-bin/message/subscribe/send', () => {
  it('spends one accepted credit per message, then answers 43101', async () => {
    const { app, token } = await subscribeApp();
    expect(await client.subscribe(app.appId, 'o-amy', TEMPLATE, 2)).toBe(2);
    const first = await client.subscribeSend(
      token,
      message('o-amy', { miniprogram_state: 'trial', lang: 'en_US' }),
    );
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ errcode: 0, errmsg: 'ok', msgid: expect.any(Number) });
    const second = await client.subscribeSend(token, message('o-amy'));
    expect(second.body.errcode).toBe(0);
    expect(second.body.msgid).not.toBe(first.body.msgid);
    const third = await client.subscribeSend(token, message('o-amy'));
    expect(third.body.errcode).toBe(43101);

    const deliveries = await client.deliveries(app.appId, '?openid=o-amy&kind=subscribe');
    expect(deliveries).toHaveLength(2);
    expect(deliveries[0]).toEqual({
      msgid: first.body.msgid,
      kind: 'subscribe',
      openid: 'o-amy',
      templateId: TEMPLATE,
      data: message('o-amy').data,
      page: 'pages/order/detail?id=7',
      miniprogramState: 'trial',
      lang: 'en_US',
      at: expect.any(String),
    });
    expect(deliveries[1]).toMatchObject({ miniprogramState: 'formal', lang: 'zh_CN' });
  });

  it('answers 43101 for a user without a credit, even with credits for another template or user', async () => {
    const { app, token } = await subscribeApp();
    await client.subscribe(app.appId, 'o-ben', 'tpl-other');
    await client.subscribe(app.appId, 'o-cat', TEMPLATE);
    const reply = await client.subscribeSend(token, message('o-ben'));
    expect(reply.body.errcode).toBe(43101);
    expect(await client.deliveries(app.appId)).toEqual([]);
  });

  it('answers 47003 naming the bad field, without spending the credit', async () => {
    const { app, token } = await subscribeApp();
    await client.subscribe(app.appId, 'o-dan', TEMPLATE, 1);
    const tooLong = message('o-dan', {
      data: { thing1: { value: '这是一条超过二十个字符的非常非常长的订单发货通知' } },
    });
    const rejected = await client.subscribeSend(token, tooLong);
    expect(rejected.body.errcode).toBe(47003);
    expect(rejected.body.errmsg).toBe('argument invalid! data.thing1.value invalid');
    const badDate = await client.subscribeSend(
      token,
      message('o-dan', { data: { thing1: { value: '已发货' }, date2: { value: 'tomorrow' } } }),
    );
    expect(badDate.body.errmsg).toContain('data.date2.value invalid');
    const newline = await client.subscribeSend(
      token,
      message('o-dan', { data: { thing1: { value: 'a\nb' } } }),
    );
    expect(newline.body.errcode).toBe(47003);
    expect((await client.subscribeSend(token, message('o-dan'))).body.errcode).toBe(0);
  });

  it('rejects a bad template, user, page or state without spending the credit', async () => {
    const { app, token } = await subscribeApp({ pages: ['pages/index/index', 'pages/order/detail'] });
    await client.control(app.appId, '/templates', { id: 'tpl-legacy', kind: 'template' });
    await client.subscribe(app.appId, 'o-eve', TEMPLATE, 1);
    expect((await client.subscribeSend(token, message('o-eve', { template_id: 'nope' }))).body.errcode).toBe(
      40037,
    );
    expect(
      (await client.subscribeSend(token, message('o-eve', { template_id: 'tpl-legacy' }))).body.errcode,
    ).toBe(40037);
    expect((await client.subscribeSend(token, message('o-stranger'))).body.errcode).toBe(40003);
    expect(
      (await client.subscribeSend(token, message('o-eve', { page: 'pages/secret/x?id=1' }))).body.errcode,
    ).toBe(41030);
    const badState = await client.subscribeSend(token, message('o-eve', { miniprogram_state: 'production' }));
    expect(badState.body).toMatchObject({
      errcode: 47003,
      errmsg: expect.stringContaining('miniprogram_state'),
    });
    expect((await client.subscribeSend(token, message('o-eve', { touser: 42 }))).body.errcode).toBe(47001);
    expect((await client.subscribeSend(token, message('o-eve'))).body.errcode).toBe(0);
    expect((await client.subscribeSend(token, message('o-eve'))).body.errcode).toBe(43101);
  });

  it('accepts any page when the app lists no pages', async () => {
    const { app, token } = await subscribeApp();
    await client.subscribe(app.appId, 'o-fay', TEMPLATE, 1);
    const reply = await client.subscribeSend(token, message('o-fay', { page: 'pages/anything/at-all?x=1' }));
    expect(reply.body.errcode).toBe(0);
  });

  it('answers 45009 past the daily send limit without spending the credit, until the next China day', async () => {
    const { app } = await subscribeApp({ dailySendLimit: 2 });
    await client.setClock(app.appId, { now: '2026-03-01T15:50:00.000Z' });
    const token = await client.accessToken(app);
    await client.subscribe(app.appId, 'o-gus', TEMPLATE, 3);
    expect((await client.subscribeSend(token, message('o-gus'))).body.errcode).toBe(0);
    expect((await client.subscribeSend(token, message('o-gus'))).body.errcode).toBe(0);
    expect((await client.subscribeSend(token, message('o-gus'))).body.errcode).toBe(45009);
    await client.advance(app.appId, 10 * 60_000 + 1000);
    expect((await client.subscribeSend(token, message('o-gus'))).body.errcode).toBe(0);
    const described = await client.control(app.appId, '');
    expect(described.body.sends).toBe(3);
    expect(described.body.today.sends.subscribe).toBe(1);
  });

  it('answers 47001 for a body that is not JSON or is over 64 KiB', async () => {
    const { token } = await subscribeApp();
    const reply = await client.subscribeSend(token, 'touser=o-x');
    expect(reply.status).toBe(200);
    expect(reply.body.errcode).toBe(47001);
    const huge = await client.subscribeSend(token, message('o-x', { page: 'p'.repeat(70_000) }));
    expect(huge.status).toBe(200);
    expect(huge.body).toMatchObject({ errcode: 47001, errmsg: expect.stringContaining('65536 bytes') });
  });
});

describe('GET /__sandbox/apps/:appId/deliveries', () => {
  it('filters by openid and kind and rejects an unknown kind', async () => {
    const app = await client.createApp({
      templates: [
        { id: TEMPLATE, kind: 'subscribe' },
        { id: 'tpl-legacy', kind: 'template' },
      ],
    });
    const token = await client.accessToken(app);
    await client.subscribe(app.appId, 'o-h1', TEMPLATE, 1);
    await client.subscribe(app.appId, 'o-h2', TEMPLATE, 1);
    const [credit] = await client.formIds(app.appId, 'o-h1');
    await client.subscribeSend(token, message('o-h1'));
    await client.subscribeSend(token, message('o-h2'));
    await client.templateSend(token, {
      touser: 'o-h1',
      template_id: 'tpl-legacy',
      form_id: credit!.formId,
      data: { keyword1: { value: 'x' } },
    });
    expect(await client.deliveries(app.appId)).toHaveLength(3);
    expect(await client.deliveries(app.appId, '?openid=o-h1')).toHaveLength(2);
    const legacy = await client.deliveries(app.appId, '?openid=o-h1&kind=template');
    expect(legacy.map((delivery) => delivery.templateId)).toEqual(['tpl-legacy']);
    const bad = await client.get(`/__sandbox/apps/${app.appId}/deliveries?kind=sms`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('query.kind'),
    });
  });
});
