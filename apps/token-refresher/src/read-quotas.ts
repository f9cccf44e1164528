import type { Logger } from '@minapush/logger';
import { QUOTA_APIS, type Redis, type RedisKeys, storeQuotaReading } from '@minapush/queues';
import type { TokenService } from '@minapush/tokens';
import type { WechatClient } from '@minapush/wechat';

export interface QuotaReaderDeps {
  tokens: Pick<TokenService, 'getToken'>;
  wechat: Pick<WechatClient, 'getApiQuota'>;
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  now?: () => number;
}

export type QuotaReadOutcome =
  | { ok: true; read: number }
  | { ok: false; reason: 'no_token' | 'wechat_refused'; message: string };

/**
 * Reads the app's daily quota of each API of QUOTA_APIS from WeChat and stores the reading in
 * Redis, where /readyz and the metrics find it. A failed reading is logged and leaves the last
 * good one in place: the quota is something to watch, not something sending depends on.
 */
export async function readWechatQuotas(deps: QuotaReaderDeps, appId: string): Promise<QuotaReadOutcome> {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ appId });
  const token = await deps.tokens.getToken(appId);
  if (!token.ok) {
    log.warn({ reason: token.reason }, `quota not read: no access_token (${token.message})`);
    return { ok: false, reason: 'no_token', message: token.message };
  }
  let read = 0;
  for (const { api, cgiPath } of QUOTA_APIS) {
    const answer = await deps.wechat.getApiQuota(token.token.accessToken, cgiPath);
    if (!answer.ok) {
      log.warn({ api, err: answer.error }, `quota of ${api} not read: ${answer.error.message}`);
      return { ok: false, reason: 'wechat_refused', message: answer.error.message };
    }
    await storeQuotaReading(deps.redis, deps.keys, appId, api, {
      ...answer.value,
      readAt: new Date(now()).toISOString(),
    });
    read += 1;
  }
  return { ok: true, read };
}
