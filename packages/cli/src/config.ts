import { parseEnvironment } from '@minapush/config';
import { z } from 'zod';

export const DEFAULT_URL = 'http://127.0.0.1:3000';

const httpUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. http://127.0.0.1:3000' })
  .transform((url) => url.replace(/\/+$/, ''));

const environmentSchema = z.object({
  MINAPUSH_URL: httpUrlSchema.optional(),
  MINAPUSH_API_KEY: z.string().min(1).optional(),
  MINAPUSH_APP_ID: z.string().min(1).max(64).optional(),
  /** where `npm start` keeps this checkout's generated secrets (scripts/workspace.mjs reads it too) */
  MINAPUSH_STATE_DIR: z.string().min(1).optional(),
});

export interface CliEnvironment {
  url: string | undefined;
  apiKey: string | undefined;
  appId: string | undefined;
  stateDir: string | undefined;
}

/** The CLI's configuration from its environment: the only place that reads it. */
export function loadCliEnvironment(env: Record<string, string | undefined> = process.env): CliEnvironment {
  const parsed = parseEnvironment(environmentSchema, env, {
    MINAPUSH_URL: 'the address of the minapush API',
  });
  return {
    url: parsed.MINAPUSH_URL,
    apiKey: parsed.MINAPUSH_API_KEY,
    appId: parsed.MINAPUSH_APP_ID,
    stateDir: parsed.MINAPUSH_STATE_DIR,
  };
}

/** The same URL rule for --url as for MINAPUSH_URL. */
export function parseUrlOption(value: string): { ok: true; url: string } | { ok: false; message: string } {
  const result = httpUrlSchema.safeParse(value);
  return result.success
    ? { ok: true, url: result.data }
    : { ok: false, message: result.error.issues[0]?.message ?? 'invalid URL' };
}
