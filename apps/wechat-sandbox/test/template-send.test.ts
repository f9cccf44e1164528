import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, SandboxClient, startSandbox, type TestApp } from './sandbox-client.js';

const DAY = 24 * 60 * 60_000;
const TEMPLATE = 'tpl-order-paid';

let running: RunningSandbox;
let client: SandboxClient;

beforeAll(async () => {
  running = await startSandbox();
  client = new SandboxClient(running.baseUrl);
});

afterAll(async () => {
  await running.close();
});

async function legacyApp(settings: Record<string, unknown> = {}): Promise<{ app: TestApp; token: string }> {
  const app = await client.createApp({ templates: [{ id: TEMPLATE, kind: 'template' }], ...settings });
  return { app, token: await client.accessToken(app) };
}

function message(touser: string, formId: string, extra: Record<string, unknown> = {}) {
  return {
    touser,
    template_id: TEMPLATE,
    form_id: formId,
    page: 'pages/order/detail?id=42',
    data: { keyword1: { value: 'A-1001' }, keyword2: { value: '¥88.00' } },
    emphasis_keyword: 'keyword1.DATA',
    ...extra,
  };
}

describe('POST /cgi-bin/message/wxopen/template/send', () => {
  it('delivers with a formId of the user and lists the delivery', async () => {
    const { app, token } = await legacyApp();
    const [credit] = await client.formIds(app.appId, 'o-alice');
    const reply = await client.templateSend(token, message('o-alice', credit!.formId));
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ errcode: 0, errmsg: 'ok', msgid: expect.any(Number) });
    const deliveries = await client.deliveries(app.appId);
    expect(deliveries).toEqual([
      {
        msgid: reply.body.msgid,
        kind: 'template',
        openid: 'o-alice',
        templateId: TEMPLATE,
        data: { keyword1: { value: 'A-1001' }, keyword2: { value: '¥88.00' } },
        page: 'pages/order/detail?id=42',
        formId: credit!.formId,
        emphasisKeyword: 'keyword1.DATA',
        at: expect.any(String),
      },
    ]);
  });

  it('answers 41028 for a formId of another user, and the owner can still use it', async () => {
    const { app, token } = await legacyApp();
    const [credit] = await client.formIds(app.appId, 'o-alice');
    await client.control(app.appId, '/users', { openid: 'o-bob' });
    expect((await client.templateSend(token, message('o-bob', credit!.formId))).body.errcode).toBe(41028);
    expect((await client.templateSend(token, message('o-alice', credit!.formId))).body.errcode).toBe(0);
  });

  it('answers 41028 for an unknown formId and 41029 for a formId used already', async () => {
    const { app, token } = await legacyApp();
    const [credit] = await client.formIds(app.appId, 'o-alice');
    expect((await client.templateSend(token, message('o-alice', 'f'.repeat(32)))).body.errcode).toBe(41028);
    expect((await client.templateSend(token, message('o-alice', credit!.formId))).body.errcode).toBe(0);
    const reused = await client.templateSend(token, message('o-alice', credit!.formId));
    expect(reused.body.errcode).toBe(41029);
    expect(await client.deliveries(app.appId)).toHaveLength(1);
  });

  it('answers 41028 once a formId is 7 days old', async () => {
    const { app } = await legacyApp();
    const [early, late] = await client.formIds(app.appId, 'o-alice', 'form_id', 2);
    expect(Date.parse(early!.expiresAt) - Date.parse(early!.createdAt)).toBe(7 * DAY);
    await client.advance(app.appId, 7 * DAY - 60_000);
    const token = await client.accessToken(app);
    expect((await client.templateSend(token, message('o-alice', early!.formId))).body.errcode).toBe(0);
    await client.advance(app.appId, 60_000);
    expect((await client.templateSend(token, message('o-alice', late!.formId))).body.errcode).toBe(41028);
  });

  it('lets a prepay_id pay for three messages, then answers 41029', async () => {
    const { app, token } = await legacyApp();
    const [prepay] = await client.formIds(app.appId, 'o-carol', 'prepay_id');
    expect(prepay!.kind).toBe('prepay_id');
    for (let use = 0; use < 3; use += 1) {
      expect((await client.templateSend(token, message('o-carol', prepay!.formId))).body.errcode).toBe(0);
    }
    expect((await client.templateSend(token, message('o-carol', prepay!.formId))).body.errcode).toBe(41029);
    expect(await client.deliveries(app.appId, '?openid=o-carol')).toHaveLength(3);
  });

  it('rejects a bad template, user or page without spending the formId', async () => {
    const { app, token } = await legacyApp({ pages: ['pages/index/index', '/pages/order/detail'] });
    await client.control(app.appId, '/templates', { id: 'tpl-subscribe-only', kind: 'subscribe' });
    const [credit] = await client.formIds(app.appId, 'o-dave');
    const formId = credit!.formId;
    const unknownTemplate = await client.templateSend(
      token,
      message('o-dave', formId, { template_id: 'nope' }),
    );
    expect(unknownTemplate.body.errcode).toBe(40037);
    const wrongKind = await client.templateSend(
      token,
      message('o-dave', formId, { template_id: 'tpl-subscribe-only' }),
    );
    expect(wrongKind.body.errcode).toBe(40037);
    expect((await client.templateSend(token, message('o-nobody', formId))).body.errcode).toBe(40003);
    const badPage = await client.templateSend(
      token,
      message('o-dave', formId, { page: 'pages/admin/index?x=1' }),
    );
    expect(badPage.body.errcode).toBe(41030);
    const badData = await client.templateSend(
      token,
      message('o-dave', formId, { data: { keyword1: 'bare' } }),
    );
    expect(badData.body).toMatchObject({
      errcode: 47003,
      errmsg: expect.stringContaining('data.keyword1.value'),
    });
    // The page list matches the path part, with or without a leading slash.
    expect((await client.templateSend(token, message('o-dave', formId))).body.errcode).toBe(0);
  });

  it('answers 47001 for a body that is not JSON and 45009 past the daily send limit', async () => {
    const { app, token } = await legacyApp({ dailySendLimit: 1 });
    const [first, second] = await client.formIds(app.appId, 'o-erin', 'form_id', 2);
    const broken = await client.templateSend(token, '{"touser": "o-erin"');
    expect(broken.body.errcode).toBe(47001);
    expect((await client.templateSend(token, message('o-erin', first!.formId))).body.errcode).toBe(0);
    expect((await client.templateSend(token, message('o-erin', second!.formId))).body.errcode).toBe(45009);
    await client.advance(app.appId, DAY);
    const fresh = await client.accessToken(app);
    expect((await client.templateSend(fresh, message('o-erin', second!.formId))).body.errcode).toBe(0);
  });
});
