import { hostSchema, logLevelSchema, parseEnvironment, portSchema } from '@minapush/config';
import { z } from 'zod';

const demoAppSchema = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.strictObject({ appId: z.string().min(1).max(64), secret: z.string().min(1).max(256) }));

const environmentSchema = z.object({
  HOST: hostSchema,
  SANDBOX_PORT: portSchema.default(3900),
  LOG_LEVEL: logLevelSchema.default('info'),
  SANDBOX_DEMO_APP: demoAppSchema.optional(),
});

export type SandboxConfig = z.infer<typeof environmentSchema>;

/** The sandbox's whole configuration, read once at start-up. */
export function loadConfig(env: Record<string, string | undefined> = process.env): SandboxConfig {
  return parseEnvironment(environmentSchema, env, {
    SANDBOX_DEMO_APP: 'a JSON object like {"appId":"wxdemo0000000001","secret":"demo-secret"}',
  });
}
