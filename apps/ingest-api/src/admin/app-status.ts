import type { WechatAppConfig } from '@minapush/config';
import { type Redis, redisKeys } from '@minapush/queues';
import { type AppTokenHealth, type TokenService, WECHAT_DAILY_TOKEN_LIMITS } from '@minapush/tokens';

/** What the admin view shows of an app's token and quotas; never the token itself. */
export interface AppStatus {
  appId: string;
  tokenMode: WechatAppConfig['tokenMode'];
  /** the central token in Redis: when it was fetched and when it expires */
  token: { fetchedAt: Date; expiresAt: Date } | undefined;
  health: AppTokenHealth;
  /** token fetches today (China day) against WeChat's daily limit for the app's mode */
  tokenFetches: { used: number; dailyLimit: number };
  /** messages a second the app is configured for */
  sendRatePerSecond: number;
  /** WeChat's quota (45009 daily, 45011 per minute) paused the app's sending until then */
  sendPausedUntil: Date | undefined;
  /** a 45011 cut the app's rate to this, from then on climbing back */
  sendRateCut: { reducedTo: number; at: Date } | undefined;
}

export interface AppStatusDeps {
  redis: Redis;
  queuePrefix: string;
  tokens: Pick<TokenService, 'peek' | 'readHealth' | 'fetchesToday'>;
}

/**
 * Reads what the token service and the dispatcher's send gate keep in Redis about an app: token
 * health and expiry, the daily token fetch budget, a quota pause and a rate cut.
 */
export async function readAppStatus(deps: AppStatusDeps, app: WechatAppConfig): Promise<AppStatus> {
  const keys = redisKeys(deps.queuePrefix);
  const [token, health, used, pause, cut] = await Promise.all([
    deps.tokens.peek(app.appId),
    deps.tokens.readHealth(app.appId),
    deps.tokens.fetchesToday(app.appId),
    deps.redis.get(keys.sendPause(app.appId)),
    deps.redis.get(keys.sendRateSlowdown(app.appId)),
  ]);
  const slowdown = cut ? (JSON.parse(cut) as { reducedTo: number; at: number }) : undefined;
  return {
    appId: app.appId,
    tokenMode: app.tokenMode,
    token: token ? { fetchedAt: new Date(token.fetchedAt), expiresAt: new Date(token.expiresAt) } : undefined,
    health,
    tokenFetches: { used, dailyLimit: app.tokenDailyLimit ?? WECHAT_DAILY_TOKEN_LIMITS[app.tokenMode] },
    sendRatePerSecond: app.sendRatePerSecond,
    // the pause key holds its end (epoch ms) and expires then
    sendPausedUntil: pause ? new Date(Number(pause)) : undefined,
    sendRateCut: slowdown ? { reducedTo: slowdown.reducedTo, at: new Date(slowdown.at) } : undefined,
  };
}
