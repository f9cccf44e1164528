import {
  parseEnvironment,
  portSchema,
  serviceEnvironmentShape,
  serviceSettings,
  WECHAT_APPS_HINT,
} from '@minapush/config';
import { z } from 'zod';

const environmentSchema = z.object({
  ...serviceEnvironmentShape,
  DISPATCHER_PORT: portSchema.default(3002),
  DISPATCHER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(20),
  CREDIT_EXPIRY_MARGIN_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(86_400_000)
    .default(10 * 60_000),
  MESSAGE_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(200).max(3_600_000).default(15_000),
  // how long a job may go without its worker's heartbeat before BullMQ hands it to another worker
  JOB_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
});

/** The dispatcher's configuration: the only place that reads the environment. */
export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = parseEnvironment(environmentSchema, env, { WECHAT_APPS: WECHAT_APPS_HINT });
  return {
    ...serviceSettings(parsed),
    port: parsed.DISPATCHER_PORT,
    concurrency: parsed.DISPATCHER_CONCURRENCY,
    creditExpiryMarginMs: parsed.CREDIT_EXPIRY_MARGIN_MS,
    leaseMs: parsed.MESSAGE_LEASE_MS,
    sweepIntervalMs: parsed.SWEEP_INTERVAL_MS,
    shutdownTimeoutMs: parsed.SHUTDOWN_TIMEOUT_MS,
    jobLockMs: parsed.JOB_LOCK_MS,
  };
}

export type DispatcherConfig = ReturnType<typeof loadConfig>;
