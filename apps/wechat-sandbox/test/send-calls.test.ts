import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, SandboxClient, startSandbox, type TestApp } from './sandbox-client.js';

const LEGACY = 'tpl-calls-legacy';
const SUBSCRIBE = 'tpl-calls-subscribe';

let running: RunningSandbox;
let client: SandboxClient;

beforeAll(async () => {
  running = await startSandbox();
  client = new SandboxClient(running.baseUrl);
});

afterAll(async () => {
  await running.close();
});

async function newApp(settings: Record<string, unknown> = {}): Promise<{ app: TestApp; token: string }> {
  const app = await client.createApp({
    templates: [
      { id: LEGACY, kind: 'template' },
      { id: SUBSCRIBE, kind: 'subscribe' },
    ],
    ...settings,
  });
  return { app, token: await client.accessToken(app) };
}

async function callsOf(appId: string): Promise<{ template_send: number; subscribe_send: number }> {
  const described = await client.control(appId, '');
  expect(described.status).toBe(200);
  return described.body.calls;
}

const subscribeMessage = { touser: 'o-calls', template_id: SUBSCRIBE, data: { thing1: { value: 'x' } } };

describe('send call counters in GET /__sandbox/apps/:appId', () => {
  it('start at zero and count token fetches and control calls as nothing', async () => {
    const { app } = await newApp();
    await client.formIds(app.appId, 'o-calls');
    expect(await callsOf(app.appId)).toEqual({ template_send: 0, subscribe_send: 0 });
  });

  it('count every call per endpoint, whatever it answered', async () => {
    const { app, token } = await newApp();
    const [formId] = await client.formIds(app.appId, 'o-calls');
    await client.subscribe(app.appId, 'o-calls', SUBSCRIBE);

    const template = { touser: 'o-calls', template_id: LEGACY, form_id: formId!.formId, data: {} };
    expect((await client.templateSend(token, template)).body.errcode).toBe(0);
    expect((await client.templateSend(token, template)).body.errcode).toBe(41029);
    expect((await client.templateSend(token, 'not json')).body.errcode).toBe(47001);
    // refused before its body is even read: over WeChat's 64 KiB
    const tooBig = { ...template, data: { keyword1: { value: 'x'.repeat(70_000) } } };
    expect((await client.templateSend(token, tooBig)).body.errcode).toBe(47001);
    expect((await client.subscribeSend(token, subscribeMessage)).body.errcode).toBe(0);
    expect((await client.subscribeSend(token, subscribeMessage)).body.errcode).toBe(43101);

    expect(await callsOf(app.appId)).toEqual({ template_send: 4, subscribe_send: 2 });
    // The delivered-message counter still counts deliveries only.
    expect((await client.control(app.appId, '')).body.sends).toBe(2);
  });

  it('count calls a fault answered, delayed or dropped, and calls with a replaced or dead token', async () => {
    const { app, token } = await newApp();
    await client.subscribe(app.appId, 'o-calls', SUBSCRIBE, 5);
    await client.control(app.appId, '/faults', { endpoint: 'subscribe_send', errcode: -1, times: 1 });
    await client.control(app.appId, '/faults', { endpoint: 'subscribe_send', httpStatus: 502, times: 1 });
    await client.control(app.appId, '/faults', { endpoint: 'subscribe_send', delayMs: 50, times: 1 });
    expect((await client.subscribeSend(token, subscribeMessage)).body.errcode).toBe(-1);
    expect((await client.subscribeSend(token, subscribeMessage)).status).toBe(502);
    expect((await client.subscribeSend(token, subscribeMessage)).body.errcode).toBe(0);
    await client.control(app.appId, '/faults', { endpoint: 'subscribe_send', dropReply: true, times: 1 });
    await expect(client.subscribeSend(token, subscribeMessage)).rejects.toThrow();

    // A second classic fetch replaces the token; a third kills it (40001), yet both calls reached us.
    await client.accessToken(app);
    await client.accessToken(app);
    expect((await client.subscribeSend(token, subscribeMessage)).body.errcode).toBe(40001);
    expect(await callsOf(app.appId)).toEqual({ template_send: 0, subscribe_send: 5 });
  });

  it('count calls refused by the per-minute limit (45011)', async () => {
    const app = await client.createApp({
      perMinuteLimit: 1,
      templates: [{ id: SUBSCRIBE, kind: 'subscribe' }],
    });
    // A minute's start, so the real seconds this test takes stay inside one minute.
    await client.setClock(app.appId, { now: '2026-03-01T10:00:00.000Z' });
    await client.subscribe(app.appId, 'o-calls', SUBSCRIBE, 3);
    // The token fetch uses this minute's one call.
    const token = await client.accessToken(app);
    expect((await client.subscribeSend(token, subscribeMessage)).body.errcode).toBe(45011);
    expect((await client.subscribeSend(token, subscribeMessage)).body.errcode).toBe(45011);
    expect(await callsOf(app.appId)).toEqual({ template_send: 0, subscribe_send: 2 });
  });

  it('are per app', async () => {
    const one = await newApp();
    const other = await newApp();
    await client.subscribeSend(one.token, subscribeMessage);
    expect(await callsOf(one.app.appId)).toEqual({ template_send: 0, subscribe_send: 1 });
    expect(await callsOf(other.app.appId)).toEqual({ template_send: 0, subscribe_send: 0 });
  });
});
