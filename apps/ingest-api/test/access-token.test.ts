import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(() => h.close());

const get = (path: string, token?: string) =>
  fetch(`${h.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('the central access_token for other backends', () => {
  it('answers 401 without an API key and 403 to a mini-program session', async () => {
    const anonymous = await get(`/v1/apps/${h.appId}/access-token`);
    expect(anonymous.status).toBe(401);
    const session = await h.login();
    const withSession = await get(`/v1/apps/${h.appId}/access-token`, session.token);
    expect(withSession.status).toBe(403);
    const refresh = await h.post(`/v1/apps/${h.appId}/access-token/refresh`, { staleToken: 'x' });
    expect(refresh.status).toBe(401);
  });

  it('hands out the one current token, fetched once, and swaps it only for the token reported stale', async () => {
    const fetchesOf = async () =>
      ((await h.sandboxCall<{ fetches: unknown[] }>('/token-fetches')).fetches as unknown[]).length;
    const first = await get(`/v1/apps/${h.appId}/access-token`, h.apiKey);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const { accessToken, expiresAt } = await first.json();
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now() + 60 * 60_000);
    const again = await (await get(`/v1/apps/${h.appId}/access-token`, h.apiKey)).json();
    expect(again.accessToken).toBe(accessToken);
    expect(await fetchesOf()).toBe(1);

    const notCurrent = await h.post(
      `/v1/apps/${h.appId}/access-token/refresh`,
      { staleToken: 'an-old-token' },
      h.apiKey,
    );
    expect(notCurrent.status).toBe(200);
    expect((await notCurrent.json()).accessToken).toBe(accessToken);
    expect(await fetchesOf()).toBe(1);

    const current = await h.post(
      `/v1/apps/${h.appId}/access-token/refresh`,
      { staleToken: accessToken },
      h.apiKey,
    );
    expect(current.status).toBe(200);
    expect(await fetchesOf()).toBe(2);
  });

  it('answers 404 for an app it does not serve and 400 for a refresh without staleToken', async () => {
    const unknown = await get('/v1/apps/wx-not-ours/access-token', h.apiKey);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('unknown_app');
    const missing = await h.post(`/v1/apps/${h.appId}/access-token/refresh`, {}, h.apiKey);
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.message).toMatch(/staleToken/);
  });
});
