import { redisKeys } from '@minapush/queues';
import { hashToken, type TokenEvent } from '@minapush/tokens';
import { afterEach, describe, expect, it } from 'vitest';
import { type RefresherHarness, startRefresherHarness } from './harness.js';

const MINUTE = 60_000;
let h: RefresherHarness;
afterEach(() => h.close());

/** Redis loses the app's token, as a restart without persistence or a failover does. */
async function loseRedisToken() {
  const redis = h.connection();
  expect(await redis.del(redisKeys(h.prefix).token(h.app.appId))).toBe(1);
}

describe('token history', () => {
  it('refills a lost Redis from the sealed token of the last fetch, with no new fetch (classic)', async () => {
    h = await startRefresherHarness({ tokenMode: 'classic' });
    const fetched = await h.tokenService().refreshTokenIfDue(h.app.appId);
    expect(fetched.ok && fetched.fetched).toBe(true);
    const token = fetched.ok ? fetched.token.accessToken : '';
    await loseRedisToken();

    // another process, with nothing in memory, asks for the token
    const events: TokenEvent[] = [];
    const restored = await h.tokenService({ onEvent: (event) => events.push(event) }).getToken(h.app.appId);

    expect(restored.ok && restored.token.accessToken).toBe(token);
    expect(restored.ok && restored.fetched).toBe(false);
    expect(events).toEqual([{ type: 'restored', appId: h.app.appId }]);
    expect(await h.fetches()).toHaveLength(1);
    // the token WeChat issued still works: a new fetch would have invalidated it
    const { openid } = await h.control<{ openid: string }>('POST', `/apps/${h.app.appId}/users`, {});
    await h.control('POST', `/apps/${h.app.appId}/subscriptions`, { openid, templateId: 'tmpl-r', count: 1 });
    const sent = await h.wechat.sendSubscribeMessage(token, {
      touser: openid,
      templateId: 'tmpl-r',
      data: { thing1: { value: 'hi' } },
    });
    expect(sent.ok).toBe(true);
  });

  it('keeps a hash of every token and the sealed token of the newest fetch only', async () => {
    h = await startRefresherHarness({ tokenMode: 'classic' });
    const tokens = h.tokenService();
    const first = await tokens.refreshTokenIfDue(h.app.appId);
    await h.advance(111 * MINUTE); // due for a classic token
    const second = await tokens.refreshTokenIfDue(h.app.appId);
    expect(second.ok && second.fetched).toBe(true);

    const history = await h.db.accessTokenFetch.findMany({
      where: { appId: h.app.appId },
      orderBy: { id: 'asc' },
    });
    expect(history.map((row) => row.tokenHash)).toEqual([
      hashToken(first.ok ? first.token.accessToken : ''),
      hashToken(second.ok ? second.token.accessToken : ''),
    ]);
    expect(history.map((row) => row.tokenSealed !== null)).toEqual([false, true]);
  });

  it('fetches anew when the last fetch holds no sealed token (recorded before tokens were sealed)', async () => {
    h = await startRefresherHarness({ tokenMode: 'stable' });
    const fetched = await h.tokenService().getToken(h.app.appId);
    expect(fetched.ok && fetched.fetched).toBe(true);
    // what the migration leaves of a fetch recorded with the token in plain text: its hash only
    await h.db.accessTokenFetch.updateMany({ where: { appId: h.app.appId }, data: { tokenSealed: null } });
    await loseRedisToken();

    const again = await h.tokenService().getToken(h.app.appId);

    expect(again.ok && again.fetched).toBe(true);
    expect(await h.fetches()).toHaveLength(2);
  });
});
