import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, SandboxClient, startSandbox, type TestApp } from './sandbox-client.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let running: RunningSandbox;
let client: SandboxClient;

beforeAll(async () => {
  running = await startSandbox();
  client = new SandboxClient(running.baseUrl);
});

afterAll(async () => {
  await running.close();
});

/** A subscribe send that passes every check but the token's: tells whether a token is accepted. */
async function appWithReceiver(): Promise<{ app: TestApp; trySend: (token: string) => Promise<number> }> {
  const app = await client.createApp({ templates: [{ id: 'tpl-ship', kind: 'subscribe' }] });
  await client.subscribe(app.appId, 'o-receiver', 'tpl-ship', 50);
  const trySend = async (token: string) => {
    const reply = await client.subscribeSend(token, {
      touser: 'o-receiver',
      template_id: 'tpl-ship',
      data: { thing1: { value: '已发货' } },
    });
    return reply.body.errcode as number;
  };
  return { app, trySend };
}

describe('GET /cgi-bin/token (classic)', () => {
  it('answers a new 7200 s token on every call', async () => {
    const app = await client.createApp();
    const first = await client.classicToken(app);
    const second = await client.classicToken(app);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ access_token: expect.any(String), expires_in: 7200 });
    expect(first.body.errcode).toBeUndefined();
    expect(second.body.access_token).not.toBe(first.body.access_token);
  });

  it('keeps the replaced token for 5 minutes only, and kills older ones at once', async () => {
    const { app, trySend } = await appWithReceiver();
    const first = await client.accessToken(app);
    const second = await client.accessToken(app);
    expect(await trySend(first)).toBe(0);
    await client.advance(app.appId, 4 * MINUTE);
    expect(await trySend(first)).toBe(0);
    await client.advance(app.appId, 2 * MINUTE);
    expect(await trySend(first)).toBe(40001);
    expect(await trySend(second)).toBe(0);

    const third = await client.accessToken(app);
    const fourth = await client.accessToken(app);
    expect(await trySend(second)).toBe(40001);
    expect(await trySend(third)).toBe(0);
    expect(await trySend(fourth)).toBe(0);
  });

  it('expires a token after 7200 s with 42001', async () => {
    const { app, trySend } = await appWithReceiver();
    const token = await client.accessToken(app);
    await client.advance(app.appId, 2 * HOUR - 1000);
    expect(await trySend(token)).toBe(0);
    await client.advance(app.appId, 1000);
    expect(await trySend(token)).toBe(42001);
  });

  it('answers 41001 without a token and 40001 for a token nobody issued', async () => {
    const { trySend } = await appWithReceiver();
    const missing = await client.post('/cgi-bin/message/subscribe/send', { touser: 'x' });
    expect(missing.body.errcode).toBe(41001);
    expect(await trySend('not-a-token')).toBe(40001);
  });

  it('checks grant_type, appid and secret', async () => {
    const app = await client.createApp();
    const ask = (query: Record<string, string>) => client.get(`/cgi-bin/token?${new URLSearchParams(query)}`);
    const good = { grant_type: 'client_credential', appid: app.appId, secret: app.secret };
    expect((await ask({ ...good, grant_type: 'password' })).body.errcode).toBe(40002);
    expect((await ask({ ...good, appid: 'wx-nobody' })).body.errcode).toBe(40013);
    expect((await ask({ ...good, secret: 'wrong' })).body.errcode).toBe(40125);
    expect((await ask({ grant_type: 'client_credential', secret: app.secret })).body.errcode).toBe(41002);
    const refused = await ask({ ...good, secret: 'wrong' });
    expect(refused.status).toBe(200);
    expect(refused.body.errmsg).toEqual(expect.any(String));
    // Refused calls are logged (no token issued) so that tests can count a retry loop.
    const fetches = await client.control(app.appId, '/token-fetches');
    expect(
      fetches.body.fetches.map((f: { errcode?: number; issued: boolean }) => [f.errcode, f.issued]),
    ).toEqual([
      [40002, false],
      [40125, false],
      [40125, false],
    ]);
  });

  it('answers 45009 past the daily limit until the next China day', async () => {
    const app = await client.createApp({ dailyTokenLimit: 3 });
    // 23:58 in China (UTC+8); the day turns at 16:00 UTC.
    await client.setClock(app.appId, { now: '2026-03-01T15:58:00.000Z' });
    for (let index = 0; index < 3; index += 1) {
      expect((await client.classicToken(app)).body.access_token).toEqual(expect.any(String));
    }
    const refused = await client.classicToken(app);
    expect(refused.body.errcode).toBe(45009);
    await client.advance(app.appId, 3 * MINUTE);
    expect((await client.classicToken(app)).body.access_token).toEqual(expect.any(String));
    const described = await client.control(app.appId, '');
    expect(described.body.tokenFetches.classic).toBe(4);
    expect(described.body.today.tokenFetches.classic).toBe(1);
  });
});

describe('POST /cgi-bin/stable_token', () => {
  it('answers the same token while more than 5 minutes remain, counting expires_in down', async () => {
    const app = await client.createApp();
    const first = await client.stableToken(app);
    expect(first.body).toEqual({ access_token: expect.any(String), expires_in: 7200 });
    await client.advance(app.appId, HOUR);
    const later = await client.stableToken(app);
    expect(later.body.access_token).toBe(first.body.access_token);
    expect(later.body.expires_in).toBeLessThanOrEqual(3600);
    expect(later.body.expires_in).toBeGreaterThan(3590);
  });

  it('rotates in the last 5 minutes and keeps the old token valid to its expiry', async () => {
    const { app, trySend } = await appWithReceiver();
    const first = await client.stableToken(app);
    await client.advance(app.appId, 2 * HOUR - 6 * MINUTE);
    const stillSame = await client.stableToken(app);
    expect(stillSame.body.access_token).toBe(first.body.access_token);
    expect(stillSame.body.expires_in).toBeGreaterThanOrEqual(300);

    await client.advance(app.appId, 2 * MINUTE);
    const rotated = await client.stableToken(app);
    expect(rotated.body.access_token).not.toBe(first.body.access_token);
    expect(rotated.body.expires_in).toBe(7200);
    expect(await trySend(first.body.access_token)).toBe(0);
    expect(await trySend(rotated.body.access_token)).toBe(0);
    await client.advance(app.appId, 5 * MINUTE);
    expect(await trySend(first.body.access_token)).toBe(42001);
    expect(await trySend(rotated.body.access_token)).toBe(0);

    const fetches = (await client.control(app.appId, '/token-fetches')).body.fetches;
    expect(fetches.map((fetch: { issued: boolean }) => fetch.issued)).toEqual([true, false, true]);
  });

  it('force_refresh makes a new token and kills the old one; at most one per 30 s and 20 a day', async () => {
    const { app, trySend } = await appWithReceiver();
    await client.setClock(app.appId, { now: '2026-03-02T01:00:00.000Z' });
    const first = await client.stableToken(app);
    const forced = await client.stableToken(app, true);
    expect(forced.body.access_token).not.toBe(first.body.access_token);
    expect(await trySend(first.body.access_token)).toBe(40001);
    expect(await trySend(forced.body.access_token)).toBe(0);

    const tooSoon = await client.stableToken(app, true);
    expect(tooSoon.body.errcode).toBe(45011);
    await client.advance(app.appId, 29_000);
    expect((await client.stableToken(app, true)).body.errcode).toBe(45011);
    await client.advance(app.appId, 1_000);
    expect((await client.stableToken(app, true)).body.access_token).toEqual(expect.any(String));

    for (let count = 2; count < 20; count += 1) {
      await client.advance(app.appId, 30_000);
      expect((await client.stableToken(app, true)).body.access_token).toEqual(expect.any(String));
    }
    await client.advance(app.appId, 30_000);
    expect((await client.stableToken(app, true)).body.errcode).toBe(45011);
    // Normal mode is not limited by the force budget.
    expect((await client.stableToken(app)).body.access_token).toEqual(expect.any(String));
    await client.setClock(app.appId, { now: '2026-03-02T16:00:01.000Z' });
    expect((await client.stableToken(app, true)).body.access_token).toEqual(expect.any(String));
  });

  it('is independent of classic tokens: neither kind invalidates the other', async () => {
    const { app, trySend } = await appWithReceiver();
    const stable = (await client.stableToken(app)).body.access_token as string;
    const classic = await client.accessToken(app);
    await client.accessToken(app);
    await client.accessToken(app);
    expect(await trySend(stable)).toBe(0);
    await client.stableToken(app, true);
    expect(await trySend(stable)).toBe(40001);
    const currentClassic = await client.accessToken(app);
    expect(await trySend(classic)).toBe(40001);
    await client.stableToken(app);
    expect(await trySend(currentClassic)).toBe(0);
  });

  it('checks credentials and answers 47001 for a body that is not JSON', async () => {
    const app = await client.createApp();
    const body = { grant_type: 'client_credential', appid: app.appId, secret: app.secret };
    expect((await client.post('/cgi-bin/stable_token', { ...body, secret: 'x' })).body.errcode).toBe(40125);
    expect((await client.post('/cgi-bin/stable_token', { ...body, appid: 'wx-none' })).body.errcode).toBe(
      40013,
    );
    expect((await client.post('/cgi-bin/stable_token', { ...body, grant_type: 'x' })).body.errcode).toBe(
      40002,
    );
    const broken = await client.post('/cgi-bin/stable_token', '{"grant_type":');
    expect(broken.status).toBe(200);
    expect(broken.body.errcode).toBe(47001);
    const mistyped = await client.post('/cgi-bin/stable_token', { ...body, force_refresh: 'yes' });
    expect(mistyped.body.errcode).toBe(47001);
  });

  it('reads the JSON body whatever the Content-Type', async () => {
    const app = await client.createApp();
    const reply = await client.post(
      '/cgi-bin/stable_token',
      { grant_type: 'client_credential', appid: app.appId, secret: app.secret },
      { headers: { 'content-type': 'text/plain' } },
    );
    expect(reply.body.access_token).toEqual(expect.any(String));
  });
});

describe('GET /__sandbox/apps/:appId/token-fetches', () => {
  it('lists each fetch by mode, never the token', async () => {
    const app = await client.createApp();
    const classic = await client.accessToken(app);
    const stable = (await client.stableToken(app)).body.access_token as string;
    await client.stableToken(app);
    await client.advance(app.appId, 31_000);
    await client.stableToken(app, true);
    const reply = await client.control(app.appId, '/token-fetches');
    expect(reply.body.fetches).toEqual([
      { mode: 'classic', forceRefresh: false, issued: true, at: expect.any(String) },
      { mode: 'stable', forceRefresh: false, issued: true, at: expect.any(String) },
      { mode: 'stable', forceRefresh: false, issued: false, at: expect.any(String) },
      { mode: 'stable', forceRefresh: true, issued: true, at: expect.any(String) },
    ]);
    const text = JSON.stringify(reply.body);
    expect(text).not.toContain(classic);
    expect(text).not.toContain(stable);
    const described = await client.control(app.appId, '');
    expect(described.body.tokenFetches).toEqual({ classic: 1, stable: 3, stableForced: 1 });
    expect(JSON.stringify(described.body)).not.toContain(app.secret);
  });
});
