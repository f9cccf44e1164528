import {
  parseEnvironment,
  portSchema,
  REDIS_CLUSTER_NODES_HINT,
  retentionDaysSchema,
  serviceEnvironmentShape,
  serviceSettings,
  WECHAT_APPS_HINT,
} from '@minapush/config';
import { HOUSEKEEPING_TIMEZONE } from '@minapush/queues';
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';

const cronSchema = z
  .string()
  .trim()
  .superRefine((pattern, ctx) => {
    try {
      CronExpressionParser.parse(pattern, { tz: HOUSEKEEPING_TIMEZONE });
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `not a cron pattern (${(error as Error).message}); e.g. "0 3 * * *" for 03:00 China time every day`,
      });
    }
  });

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const environmentSchema = z
  .object({
    ...serviceEnvironmentShape,
    DISPATCHER_PORT: portSchema.default(3002),
    // single messages (the transactional lane) in flight per app and process
    DISPATCHER_CONCURRENCY: count(1, 500).default(20),
    // broadcast batches (the bulk lane) in flight per app and process
    BATCH_CONCURRENCY: count(1, 64).default(4),
    // WeChat calls in flight per batch
    BATCH_SEND_CONCURRENCY: count(1, 256).default(32),
    // messages per batch: one bulk job, one lease and a few statements each
    BATCH_SIZE: count(1, 1_000).default(250),
    // sockets to WeChat per process, kept alive across sends
    WECHAT_CONNECTIONS: count(1, 1_024).default(128),
    CREDIT_EXPIRY_MARGIN_MS: count(0, 86_400_000).default(10 * 60_000),
    MESSAGE_LEASE_MS: count(1_000, 3_600_000).default(60_000),
    RECONCILE_INTERVAL_MS: count(200, 3_600_000).default(2_000),
    // a queued message or batch untouched this long without a live job is queued again
    RECONCILE_GRACE_MS: count(0, 3_600_000).default(10_000),
    // after a 45011 halves an app's rate, the time it takes to climb back to sendRatePerSecond
    SEND_RATE_RECOVERY_MS: count(1_000, 86_400_000).default(5 * 60_000),
    // how long a job may go without its worker's heartbeat before BullMQ hands it to another worker
    JOB_LOCK_MS: count(1_000, 600_000).default(30_000),
    SHUTDOWN_TIMEOUT_MS: count(100, 300_000).default(10_000),
    // when housekeeping runs (China time): minute hour day-of-month month day-of-week
    HOUSEKEEPING_CRON: cronSchema.default('0 3 * * *'),
    // when every app's subscribe templates are read from WeChat into the template registry
    TEMPLATE_SYNC_CRON: cronSchema.default('*/10 * * * *'),
    RETENTION_DAYS: retentionDaysSchema,
  })
  .superRefine((env, ctx) => {
    // A call leaves only while the lease has more than a call's timeout left, and the lease is
    // extended by MESSAGE_LEASE_MS at a time: a lease no longer than that never lets a call leave,
    // and every broadcast stays 'sending' for good. Twice the timeout leaves room for the call.
    if (env.MESSAGE_LEASE_MS < 2 * env.WECHAT_TIMEOUT_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['MESSAGE_LEASE_MS'],
        message: `must be at least twice WECHAT_TIMEOUT_MS (${env.WECHAT_TIMEOUT_MS} ms): a message is sent only while its lease outlasts a call's timeout; raise it to ${2 * env.WECHAT_TIMEOUT_MS} or more, or lower WECHAT_TIMEOUT_MS`,
      });
    }
  });

/** The dispatcher's configuration: the only place that reads the environment. */
export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = parseEnvironment(environmentSchema, env, {
    WECHAT_APPS: WECHAT_APPS_HINT,
    REDIS_CLUSTER_NODES: REDIS_CLUSTER_NODES_HINT,
  });
  return {
    ...serviceSettings(parsed),
    port: parsed.DISPATCHER_PORT,
    concurrency: parsed.DISPATCHER_CONCURRENCY,
    batchConcurrency: parsed.BATCH_CONCURRENCY,
    batchSendConcurrency: parsed.BATCH_SEND_CONCURRENCY,
    batchSize: parsed.BATCH_SIZE,
    wechatConnections: parsed.WECHAT_CONNECTIONS,
    creditExpiryMarginMs: parsed.CREDIT_EXPIRY_MARGIN_MS,
    leaseMs: parsed.MESSAGE_LEASE_MS,
    reconcileIntervalMs: parsed.RECONCILE_INTERVAL_MS,
    reconcileGraceMs: parsed.RECONCILE_GRACE_MS,
    sendRateRecoveryMs: parsed.SEND_RATE_RECOVERY_MS,
    shutdownTimeoutMs: parsed.SHUTDOWN_TIMEOUT_MS,
    jobLockMs: parsed.JOB_LOCK_MS,
    housekeeping: { cron: parsed.HOUSEKEEPING_CRON, retentionDays: parsed.RETENTION_DAYS },
    templateSync: { cron: parsed.TEMPLATE_SYNC_CRON },
  };
}

export type DispatcherConfig = ReturnType<typeof loadConfig>;
