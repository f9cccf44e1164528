import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, SandboxClient, startSandbox } from './sandbox-client.js';

let running: RunningSandbox;
let client: SandboxClient;

beforeAll(async () => {
  running = await startSandbox();
  client = new SandboxClient(running.baseUrl);
});

afterAll(async () => {
  await running.close();
});

describe('per-minute limit', () => {
  it('answers 45011 on every endpoint past perMinuteLimit, until the next calendar minute', async () => {
    const app = await client.createApp({
      perMinuteLimit: 3,
      templates: [{ id: 'tpl-m', kind: 'subscribe' }],
    });
    // A minute's start, so the real seconds this test takes stay inside one minute.
    await client.setClock(app.appId, { now: '2026-03-01T10:00:00.000Z' });
    await client.subscribe(app.appId, 'o-minute', 'tpl-m', 5);
    const token = await client.accessToken(app);
    const send = () =>
      client.subscribeSend(token, {
        touser: 'o-minute',
        template_id: 'tpl-m',
        data: { thing1: { value: 'x' } },
      });
    expect((await send()).body.errcode).toBe(0);
    expect((await client.stableToken(app)).body.access_token).toEqual(expect.any(String));

    const limited = await send();
    expect(limited.status).toBe(200);
    expect(limited.body.errcode).toBe(45011);
    expect((await client.classicToken(app)).body.errcode).toBe(45011);
    const { code } = (await client.control(app.appId, '/codes', { openid: 'o-minute' })).body;
    expect((await client.jscode2session(app, code)).body.errcode).toBe(45011);
    expect(await client.deliveries(app.appId)).toHaveLength(1);

    await client.setClock(app.appId, { now: '2026-03-01T10:01:00.000Z' });
    expect((await send()).body.errcode).toBe(0);
    expect((await client.jscode2session(app, code)).body.openid).toBe('o-minute');
  });

  it('is off by default', async () => {
    const app = await client.createApp();
    for (let call = 0; call < 30; call += 1) {
      expect((await client.stableToken(app)).body.access_token).toEqual(expect.any(String));
    }
  });
});
