import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

const WRONG_SECRET = 'wrong-secret-that-must-not-leak-0123456789';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false, secret: WRONG_SECRET });
});
afterAll(() => h.close());

describe('an app whose secret WeChat refuses', () => {
  it('answers 503 app_misconfigured, with neither the secret nor a token in the body or the logs', async () => {
    const get = await fetch(`${h.url}/v1/apps/${h.appId}/access-token`, {
      headers: { authorization: `Bearer ${h.apiKey}` },
    });
    expect(get.status).toBe(503);
    expect(get.headers.get('retry-after')).toEqual(expect.any(String));
    const text = await get.text();
    expect(JSON.parse(text).error).toMatchObject({ code: 'app_misconfigured', details: { errcode: 40125 } });

    const refresh = await h.post(
      `/v1/apps/${h.appId}/access-token/refresh`,
      { staleToken: 'some-token' },
      h.apiKey,
    );
    expect(refresh.status).toBe(503);
    const refreshText = await refresh.text();

    // Readiness stays 200 (Postgres and Redis answer) and names the app WeChat refuses.
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).apps[h.appId]).toEqual({ status: 'misconfigured', errcode: 40125 });

    for (const leak of [WRONG_SECRET, h.secret]) {
      expect(text).not.toContain(leak);
      expect(refreshText).not.toContain(leak);
      expect(h.logs.text()).not.toContain(leak);
    }
  });
});
