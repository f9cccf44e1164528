import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createMinapush, LoginFailedError, WxUnavailableError } from '../src/index.js';
import { APP_ID, BASE_URL, createDevice, type Device } from './support/clients.js';

let device: Device;

afterEach(() => {
  device?.destroyAll();
});

describe('login', () => {
  it('exchanges a wx.login code for a session once, and keeps it in storage across restarts', async () => {
    device = createDevice();
    const first = device.launch();
    const outcome = await first.login();
    expect(outcome).toEqual({ ok: true, openid: 'o-user-1', expiresAt: expect.any(String) });
    expect(device.wx.loginCount).toBe(1);
    expect(device.wx.requestsTo('/v1/sessions').map((r) => r.data)).toEqual([
      { code: 'code-1', appId: APP_ID },
    ]);
    expect(device.wx.stored('minapush:session')).toMatchObject({ token: 'token-1', openid: 'o-user-1' });
    expect(first.status().openid).toBe('o-user-1');

    // Concurrent callers share one wx.login.
    await Promise.all([first.login(), first.login()]);
    device.kill(first);

    const second = device.launch();
    expect(await second.login()).toMatchObject({ ok: true, openid: 'o-user-1' });
    second.collect('f1');
    await second.flush();
    expect(device.wx.loginCount).toBe(1);
    expect(device.wx.requestsTo('/v1/form-ids')[0]!.header.authorization).toBe('Bearer token-1');
  });

  it('logs in again when forced, or when the session is about to expire', async () => {
    device = createDevice();
    const client = device.launch();
    await client.login();
    await client.login({ force: true });
    expect(device.api.issuedTokens).toBe(2);

    device.advance(3_600_000 - 30_000);
    client.collect('f1');
    await client.flush();
    expect(device.api.issuedTokens).toBe(3);
    expect(device.wx.requestsTo('/v1/form-ids')[0]!.header.authorization).toBe('Bearer token-3');
  });

  it('answers a failed wx.login or a refused code as a value, never a rejection', async () => {
    device = createDevice();
    const client = device.launch();
    device.wx.loginFailure = 'login:fail network error';
    const failed = await client.login();
    expect(failed.ok).toBe(false);
    if (failed.ok) return;
    expect(failed.error).toBeInstanceOf(LoginFailedError);
    expect(failed.error.message).toContain('login:fail network error');

    device.wx.loginFailure = undefined;
    device.api.answerNext('/v1/sessions', {
      status: 401,
      body: { error: { code: 'invalid_code', message: 'call wx.login() again' } },
    });
    const refused = await client.login();
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error.reason).toBeInstanceOf(ApiError);
    expect(refused.error.reason).toMatchObject({ status: 401, apiCode: 'invalid_code' });
    expect(device.wx.stored('minapush:session')).toBeUndefined();

    expect(await client.login()).toMatchObject({ ok: true });
  });

  it('refuses to start without a wx runtime or a base URL', () => {
    expect(() => createMinapush({ baseUrl: BASE_URL })).toThrow(WxUnavailableError);
    device = createDevice();
    expect(() => createMinapush({ baseUrl: 'push.example.test', wx: device.wx })).toThrow(/baseUrl/);
  });
});

describe('session renewal', () => {
  it('logs in again when the API answers 401, and retries the upload with the new token', async () => {
    device = createDevice();
    const client = device.launch();
    await client.login();
    device.api.revokeAll();
    client.collect('f1');

    const report = await client.flush();
    expect(report).toMatchObject({ sent: 1, accepted: 1, pending: 0 });
    expect(device.wx.requests.map((r) => [r.path, r.header.authorization])).toEqual([
      ['/v1/sessions', undefined],
      ['/v1/form-ids', 'Bearer token-1'],
      ['/v1/sessions', undefined],
      ['/v1/form-ids', 'Bearer token-2'],
    ]);
    expect(device.wx.stored('minapush:session')).toMatchObject({ token: 'token-2' });
  });

  it('renews once per request: a fresh session refused too waits for the next attempt', async () => {
    device = createDevice();
    const unauthorized = { status: 401, body: { error: { code: 'invalid_credentials', message: 'no' } } };
    device.api.answerNext('/v1/form-ids', unauthorized).answerNext('/v1/form-ids', unauthorized);
    const client = device.launch();
    client.collect('f1');

    const report = await client.flush();
    expect(report).toMatchObject({ sent: 0, pending: 1 });
    expect(report.error).toMatchObject({ status: 401 });
    expect(device.wx.requestsTo('/v1/form-ids')).toHaveLength(2);
    expect(device.wx.requestsTo('/v1/sessions')).toHaveLength(2);

    expect(await client.flush()).toMatchObject({ sent: 1, pending: 0 });
    expect(device.api.acceptedBatches).toEqual([['f1']]);
  });

  it('keeps formIds while logging in fails, and uploads them once it works', async () => {
    device = createDevice();
    device.wx.loginFailure = 'login:fail';
    const client = device.launch();
    client.collect('f1');
    const failed = await client.flush();
    expect(failed.error).toBeInstanceOf(LoginFailedError);
    expect(failed.pending).toBe(1);
    expect(device.wx.requestsTo('/v1/form-ids')).toEqual([]);
    expect(device.errors).toEqual([failed.error]);

    device.wx.loginFailure = undefined;
    expect(await client.flush()).toMatchObject({ sent: 1, pending: 0 });
  });

  it('keeps working when wx storage is full, and says so', async () => {
    device = createDevice();
    const write = vi.spyOn(device.wx, 'setStorageSync').mockImplementation(() => {
      throw { errMsg: 'setStorageSync:fail exceed storage max size 10Mb' };
    });
    const client = device.launch();
    expect(client.collect('f1')).toBe(true);
    expect(device.errors[0]).toMatchObject({ code: 'storage_failed' });
    expect(device.errors[0]!.message).toContain('exceed storage max size');
    write.mockRestore();
    expect(await client.flush()).toMatchObject({ sent: 1 });
  });
});
