import {
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
  TOKEN_REFRESHER_PORT: portSchema.default(3001),
  TOKEN_CHECK_INTERVAL_MS: z.coerce.number().int().min(1_000).max(600_000).default(60_000),
  TOKEN_AUTOMATIC_SHARE: z.coerce.number().gt(0).max(1).default(0.8),
  // WeChat's quota/get has a daily budget of its own: every 5 minutes is 288 calls a day per app
  QUOTA_READ_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(300_000),
});

/** The token refresher's configuration: the only place that reads the environment. */
export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = parseEnvironment(environmentSchema, env, {
    WECHAT_APPS: WECHAT_APPS_HINT,
    REDIS_CLUSTER_NODES: REDIS_CLUSTER_NODES_HINT,
  });
  return {
    ...serviceSettings(parsed),
    port: parsed.TOKEN_REFRESHER_PORT,
    checkIntervalMs: parsed.TOKEN_CHECK_INTERVAL_MS,
    automaticShare: parsed.TOKEN_AUTOMATIC_SHARE,
    quotaReadIntervalMs: parsed.QUOTA_READ_INTERVAL_MS,
  };
}

export type RefresherConfig = ReturnType<typeof loadConfig>;
