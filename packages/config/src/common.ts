import { z } from 'zod';

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
};

export const portSchema = z.coerce.number().int().min(0).max(65535);

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
