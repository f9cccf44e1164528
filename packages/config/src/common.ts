import { z } from 'zod';
import { hostSchema } from './host.js';
import { clusterQueuePrefix, type RedisTarget, redisClusterNodesSchema } from './redis-target.js';
import { WECHAT_APPS_EXAMPLE, wechatAppsSchema } from './wechat-apps.js';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/minapush';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_WECHAT_API_BASE_URL = 'https://api.weixin.qq.com';

export const logLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Variables every minapush app reads; apps extend this object with their own. */
export const commonEnvironmentShape = {
  DATABASE_URL: z.string().url().default(DEFAULT_DATABASE_URL),
  REDIS_URL: z.string().url().default(DEFAULT_REDIS_URL),
  WECHAT_API_BASE_URL: z.string().url().default(DEFAULT_WECHAT_API_BASE_URL),
  LOG_LEVEL: logLevelSchema.default('info'),
  HOST: hostSchema,
};

export const portSchema = z.coerce.number().int().min(0).max(65535);

/**
 * `RETENTION_DAYS`: how long finished messages (with their attempts), finished broadcasts and
 * token history are kept. Read by every app that runs housekeeping (the dispatcher's schedule,
 * the ingest API's POST /v1/housekeeping/run), so that both delete the same.
 */
export const retentionDaysSchema = z.coerce
  .number()
  .int()
  .min(1, 'keep finished messages at least 1 day (an idempotencyKey is answered from them)')
  .max(3650)
  .default(30);

/** `API_KEYS`: comma-separated; blanks ignored. */
export const apiKeysSchema = z
  .string()
  .default('')
  .transform((raw) =>
    raw
      .split(',')
      .map((key) => key.trim())
      .filter((key) => key.length > 0),
  );

/**
 * Variables of the apps that serve WeChat apps through the queues (ingest-api, token-refresher,
 * dispatcher), on top of the common ones.
 */
export const serviceEnvironmentShape = {
  ...commonEnvironmentShape,
  WECHAT_APPS: wechatAppsSchema,
  // set: minapush runs on this Redis Cluster, and REDIS_URL is not used
  REDIS_CLUSTER_NODES: redisClusterNodesSchema.optional(),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - and _ only')
    .default('minapush'),
  WECHAT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
};

/** What to say next to a bad WECHAT_APPS. */
export const WECHAT_APPS_HINT = `a JSON array such as ${WECHAT_APPS_EXAMPLE}; \`npm start\` without it runs the local sandbox`;

type ServiceEnvironment = z.infer<z.ZodObject<typeof serviceEnvironmentShape>>;

/** The settings every service app takes from its parsed environment, under their code names. */
export function serviceSettings(parsed: ServiceEnvironment) {
  const cluster = parsed.REDIS_CLUSTER_NODES;
  const redis: RedisTarget = cluster ?? parsed.REDIS_URL;
  return {
    databaseUrl: parsed.DATABASE_URL,
    /** a single server's URL, or the cluster's nodes */
    redis,
    wechatApiBaseUrl: parsed.WECHAT_API_BASE_URL,
    wechatTimeoutMs: parsed.WECHAT_TIMEOUT_MS,
    logLevel: parsed.LOG_LEVEL,
    host: parsed.HOST,
    apps: parsed.WECHAT_APPS,
    /** BullMQ's prefix and our keys' (`redisKeys`): a hash tag on a cluster, one slot for all */
    queuePrefix: cluster ? clusterQueuePrefix(parsed.QUEUE_PREFIX) : parsed.QUEUE_PREFIX,
  };
}
