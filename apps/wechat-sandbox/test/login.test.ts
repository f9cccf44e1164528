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

describe('GET /sns/jscode2session', () => {
  it('exchanges a code for the openid, a session_key and the unionid', async () => {
    const app = await client.createApp();
    const created = await client.control(app.appId, '/codes', { openid: 'o-login-1', unionid: 'u-1' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ code: expect.any(String), openid: 'o-login-1' });
    const reply = await client.jscode2session(app, created.body.code);
    expect(reply.body).toEqual({ openid: 'o-login-1', session_key: expect.any(String), unionid: 'u-1' });
  });

  it('leaves unionid out for a user without one and makes up an openid when none is given', async () => {
    const app = await client.createApp();
    const created = await client.control(app.appId, '/codes', {});
    expect(created.body.openid).toMatch(/^o[\w-]{27}$/);
    const reply = await client.jscode2session(app, created.body.code);
    expect(reply.body.openid).toBe(created.body.openid);
    expect('unionid' in reply.body).toBe(false);
  });

  it('accepts each code once: 40163 on reuse', async () => {
    const app = await client.createApp();
    const { code } = (await client.control(app.appId, '/codes', { openid: 'o-login-2' })).body;
    expect((await client.jscode2session(app, code)).body.openid).toBe('o-login-2');
    const again = await client.jscode2session(app, code);
    expect(again.status).toBe(200);
    expect(again.body.errcode).toBe(40163);
  });

  it('answers 40029 for an unknown code and for a code older than 5 minutes', async () => {
    const app = await client.createApp();
    expect((await client.jscode2session(app, 'made-up-code')).body.errcode).toBe(40029);
    const fresh = (await client.control(app.appId, '/codes', { openid: 'o-login-3' })).body.code;
    const stale = (await client.control(app.appId, '/codes', { openid: 'o-login-3' })).body.code;
    await client.advance(app.appId, 4 * 60_000);
    expect((await client.jscode2session(app, fresh)).body.openid).toBe('o-login-3');
    await client.advance(app.appId, 61_000);
    expect((await client.jscode2session(app, stale)).body.errcode).toBe(40029);
  });

  it('checks appid, secret and grant_type without spending the code', async () => {
    const app = await client.createApp();
    const { code } = (await client.control(app.appId, '/codes', { openid: 'o-login-4' })).body;
    expect((await client.jscode2session({ ...app, secret: 'wrong' }, code)).body.errcode).toBe(40125);
    expect((await client.jscode2session({ ...app, appId: 'wx-nobody' }, code)).body.errcode).toBe(40013);
    const query = new URLSearchParams({
      appid: app.appId,
      secret: app.secret,
      js_code: code,
      grant_type: 'x',
    });
    expect((await client.get(`/sns/jscode2session?${query}`)).body.errcode).toBe(40002);
    expect((await client.jscode2session(app, code)).body.openid).toBe('o-login-4');
  });
});
