import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('logs', () => {
  it('hold neither the app secret, the session token, the API key, a session_key nor an access token', async () => {
    const session = await h.login();
    await h.post('/v1/form-ids', { formIds: ['f-log'] }, session.token);
    await h.post('/v1/form-ids', { formIds: ['f-log-2'], openid: 'o-2' }, h.apiKey);
    // A token fetch through the same client, answered by the sandbox, whose logs are captured too.
    const token = await h.wechat.fetchStableToken({ appId: h.appId, secret: h.secret });
    expect(token.ok).toBe(true);
    const accessToken = token.ok ? token.value.accessToken : 'unreachable';
    // And the code exchange itself, to learn a session_key the logs must not hold.
    const { code } = await h.mintCode(session.openid);
    const exchanged = await h.wechat.code2Session({ appId: h.appId, secret: h.secret, code });
    const sessionKey = exchanged.ok ? exchanged.value.sessionKey : 'unreachable';

    const text = h.logs.text();
    expect(text.length).toBeGreaterThan(0);
    expect(text).toContain('/v1/sessions');
    for (const secret of [h.secret, session.token, h.apiKey, accessToken, sessionKey]) {
      expect(secret.length).toBeGreaterThan(5);
      expect(text).not.toContain(secret);
    }
  });
});
