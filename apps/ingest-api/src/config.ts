import { isIP } from 'node:net';
import {
  apiKeysSchema,
  parseEnvironment,
  portSchema,
  REDIS_CLUSTER_NODES_HINT,
  retentionDaysSchema,
  serviceEnvironmentShape,
  serviceSettings,
  WECHAT_APPS_HINT,
} from '@minapush/config';
import { z } from 'zod';

/** express's `trust proxy`: no proxy, a number of proxies in front, or the proxies' addresses. */
export type TrustProxy = false | number | string[];

const PROXY_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (PROXY_KEYWORDS.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

const trustProxySchema = z
  .string()
  .optional()
  .transform((value, ctx): TrustProxy => {
    const text = value?.trim().toLowerCase() ?? '';
    if (text === '' || text === 'false' || text === 'off' || text === '0') return false;
    if (/^\d+$/.test(text)) return Number(text);
    const entries = text.split(',').map((entry) => entry.trim());
    if (text === 'true' || !entries.every(isProxyAddress)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'give the number of proxies in front of the API (1 for one nginx), or their addresses (loopback, 10.0.0.0/8, …), comma-separated; `true` would let any client choose its own address',
      });
      return z.NEVER;
    }
    return entries;
  });

const environmentSchema = z.object({
  ...serviceEnvironmentShape,
  PORT: portSchema.default(3000),
  API_KEYS: apiKeysSchema,
  SESSION_SECRET: z.string().min(1),
  SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(90 * 86_400)
    .default(7 * 86_400),
  ADMIN_USERNAME: z.string().optional(),
  ADMIN_PASSWORD: z.string().optional(),
  // Bull Board and the admin view only look unless an operator says otherwise.
  ADMIN_READ_ONLY: z
    .enum(['true', 'false', '1', '0'], {
      message: 'use true (the default: look only) or false (allow actions)',
    })
    .default('true')
    .transform((value) => value === 'true' || value === '1'),
  INGEST_WORKER_CONCURRENCY: z.coerce.number().int().min(0).max(64).default(4),
  // 10 a second per address: a burst of scripted logins is stopped, while a carrier NAT that puts
  // thousands of users behind one address still lets them log in.
  SESSION_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(600),
  TRUST_PROXY: trustProxySchema,
  // POST /v1/housekeeping/run deletes what the dispatcher's daily run would
  RETENTION_DAYS: retentionDaysSchema,
});

export type IngestConfig = ReturnType<typeof loadConfig>;

const hints = {
  WECHAT_APPS: WECHAT_APPS_HINT,
  REDIS_CLUSTER_NODES: REDIS_CLUSTER_NODES_HINT,
  SESSION_SECRET: 'a long random string that signs session tokens, e.g. `openssl rand -hex 32`',
};

/** The ingest API's configuration: the only place that reads the environment. */
export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = parseEnvironment(environmentSchema, env, hints);
  const admin =
    parsed.ADMIN_USERNAME && parsed.ADMIN_PASSWORD
      ? {
          username: parsed.ADMIN_USERNAME,
          password: parsed.ADMIN_PASSWORD,
          /** Bull Board refuses its actions and the admin view offers none */
          readOnly: parsed.ADMIN_READ_ONLY,
        }
      : undefined;
  return {
    ...serviceSettings(parsed),
    port: parsed.PORT,
    apiKeys: parsed.API_KEYS,
    session: { secret: parsed.SESSION_SECRET, ttlSeconds: parsed.SESSION_TTL_SECONDS },
    admin,
    ingestWorkerConcurrency: parsed.INGEST_WORKER_CONCURRENCY,
    /** POST /v1/sessions per client address per minute; 0 = no limit */
    loginRateLimitPerMinute: parsed.SESSION_RATE_LIMIT_PER_MINUTE,
    /** which reverse proxies' X-Forwarded-For to believe for the client address */
    trustProxy: parsed.TRUST_PROXY,
    /** what POST /v1/housekeeping/run keeps: finished messages, broadcasts and token history, in days */
    housekeeping: { retentionDays: parsed.RETENTION_DAYS },
    /** short session secrets are accepted but weak; main.ts warns about them */
    weakSessionSecret: parsed.SESSION_SECRET.length < 32,
  };
}
