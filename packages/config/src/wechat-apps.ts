import { z } from 'zod';
import { quietHoursSchema } from './quiet-hours.js';

export const tokenModeSchema = z.enum(['stable', 'classic']);
export type TokenMode = z.infer<typeof tokenModeSchema>;

export const wechatAppSchema = z.object({
  appId: z.string().min(1).max(64),
  secret: z.string().min(1).max(256),
  tokenMode: tokenModeSchema.default('stable'),
  /** messages per second, all lanes and dispatcher processes together (README: why 500 is safe) */
  sendRatePerSecond: z.number().int().positive().max(100_000).default(500),
  /** overrides WeChat's daily access_token fetch limit for this app (2000 classic, 500000 stable) */
  tokenDailyLimit: z.number().int().positive().optional(),
  /** quiet hours of the app's broadcasts (a broadcast's own override them); single messages ignore them */
  quietHours: quietHoursSchema.optional(),
  /**
   * The Token of the console's message-push settings (消息推送): signs every push to
   * /v1/apps/:appId/wechat/events. A secret. Without it the app's push endpoint answers 404.
   */
  pushToken: z
    .string()
    .regex(
      /^[A-Za-z0-9]{3,32}$/,
      'pushToken is 3 to 32 letters or digits, as the mini-program console takes it',
    )
    .optional(),
  /**
   * The EncodingAESKey of the same settings, for the compatible and secure modes. A secret.
   */
  encodingAesKey: z
    .string()
    .regex(
      /^[A-Za-z0-9+/]{43}$/,
      'encodingAesKey is the 43 characters (letters, digits, + and /) the console shows',
    )
    .optional(),
});
export type WechatAppConfig = z.infer<typeof wechatAppSchema>;

/** `WECHAT_APPS`: a JSON array; the first entry is the default app. */
export const wechatAppsSchema = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(wechatAppSchema)
      .min(1, 'needs at least one app')
      .refine((apps) => new Set(apps.map((a) => a.appId)).size === apps.length, 'lists an appId twice'),
  );

export const WECHAT_APPS_EXAMPLE = '[{"appId":"wx0123456789abcdef","secret":"…","tokenMode":"stable"}]';
