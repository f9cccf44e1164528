export {
  apiKeysSchema,
  commonEnvironmentShape,
  DEFAULT_DATABASE_URL,
  DEFAULT_REDIS_URL,
  DEFAULT_WECHAT_API_BASE_URL,
  logLevelSchema,
  portSchema,
  retentionDaysSchema,
  serviceEnvironmentShape,
  serviceSettings,
  WECHAT_APPS_HINT,
} from './common.js';
export { ConfigError } from './config-error.js';
export { DEFAULT_HOST, hostSchema, localUrl } from './host.js';
export { loadConfigOrExit } from './load-or-exit.js';
export { parseEnvironment } from './parse-environment.js';
export {
  CHINA_TIME_ZONE,
  canonicalTimeZone,
  type QuietHours,
  quietHoursSchema,
} from './quiet-hours.js';
export {
  clusterQueuePrefix,
  REDIS_CLUSTER_NODES_HINT,
  type RedisClusterTarget,
  type RedisTarget,
  redisClusterNodesSchema,
} from './redis-target.js';
export {
  type TokenMode,
  tokenModeSchema,
  WECHAT_APPS_EXAMPLE,
  type WechatAppConfig,
  wechatAppSchema,
  wechatAppsSchema,
} from './wechat-apps.js';
