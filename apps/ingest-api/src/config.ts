import {
  apiKeysSchema,
  parseEnvironment,
  portSchema,
  REDIS_CLUSTER_NODES_HINT,
  serviceEnvironmentShape,
  serviceSettings,
  WECHAT_APPS_HINT,
} from '@minapush/config';
import { z } from 'zod';

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
  INGEST_WORKER_CONCURRENCY: z.coerce.number().int().min(0).max(64).default(4),
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
      ? { username: parsed.ADMIN_USERNAME, password: parsed.ADMIN_PASSWORD }
      : undefined;
  return {
    ...serviceSettings(parsed),
    port: parsed.PORT,
    apiKeys: parsed.API_KEYS,
    session: { secret: parsed.SESSION_SECRET, ttlSeconds: parsed.SESSION_TTL_SECONDS },
    admin,
    ingestWorkerConcurrency: parsed.INGEST_WORKER_CONCURRENCY,
    /** short session secrets are accepted but weak; main.ts warns about them */
    weakSessionSecret: parsed.SESSION_SECRET.length < 32,
  };
}
