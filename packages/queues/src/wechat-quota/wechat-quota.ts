import { z } from 'zod';
import type { Redis } from '../redis-connection.js';
import type { RedisKeys } from '../redis-keys.js';

/**
 * The WeChat APIs whose daily quota minapush reads (`POST /cgi-bin/openapi/quota/get`), by the
 * name of the endpoint in errors and metrics, with the path WeChat names them by.
 */
export const QUOTA_APIS = [{ api: 'subscribe_send', cgiPath: '/cgi-bin/message/subscribe/send' }] as const;

export type QuotaApi = (typeof QUOTA_APIS)[number]['api'];

/** One reading of an API's daily quota, as stored in Redis and shown in /readyz. */
export const quotaReadingSchema = z.object({
  dailyLimit: z.number().int().nonnegative(),
  used: z.number().int().nonnegative(),
  remain: z.number().int().nonnegative(),
  /** ISO time of the reading */
  readAt: z.string(),
});

export type QuotaReading = z.infer<typeof quotaReadingSchema>;

/** A reading older than this is dropped: WeChat's day has turned since, and nobody reads any more. */
const READING_TTL_SECONDS = 2 * 86_400;

/** Stores the last reading of an app's quota of `api`, replacing the one before. */
export async function storeQuotaReading(
  redis: Redis,
  keys: RedisKeys,
  appId: string,
  api: QuotaApi,
  reading: QuotaReading,
): Promise<void> {
  await redis.set(keys.wechatQuota(appId, api), JSON.stringify(reading), 'EX', READING_TTL_SECONDS);
}

/**
 * The last readings of every API of `appIds`, in one MGET: per app, per API, the reading or
 * nothing (never read, expired, or unreadable).
 */
export async function readQuotaReadings(
  redis: Redis,
  keys: RedisKeys,
  appIds: readonly string[],
): Promise<Map<string, Partial<Record<QuotaApi, QuotaReading>>>> {
  const pairs = appIds.flatMap((appId) => QUOTA_APIS.map(({ api }) => ({ appId, api })));
  const readings = new Map<string, Partial<Record<QuotaApi, QuotaReading>>>(appIds.map((id) => [id, {}]));
  if (pairs.length === 0) return readings;
  const raw = await redis.mget(pairs.map(({ appId, api }) => keys.wechatQuota(appId, api)));
  pairs.forEach(({ appId, api }, index) => {
    const text = raw[index];
    if (!text) return;
    try {
      const parsed = quotaReadingSchema.safeParse(JSON.parse(text));
      const forApp = readings.get(appId);
      if (parsed.success && forApp) forApp[api] = parsed.data;
    } catch {
      // not JSON: only a hand-edited key; treated as never read
    }
  });
  return readings;
}
