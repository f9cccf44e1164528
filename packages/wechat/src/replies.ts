import { z } from 'zod';

/** Any WeChat reply that reports a failure. */
export const errorReplySchema = z.object({ errcode: z.number().int(), errmsg: z.unknown().optional() });

export const tokenReplySchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().int().positive(),
});

export const sessionReplySchema = z.object({
  openid: z.string().min(1),
  session_key: z.string().min(1),
  unionid: z.string().min(1).optional(),
});

// not .int(): zod 4 reads int as a safe integer, and msgids exceed 2^53
const msgidSchema = z.union([z.number().nonnegative(), z.string().min(1)]);

export const templateSendReplySchema = z.object({ msgid: msgidSchema.optional() });

export const subscribeSendReplySchema = z.object({ msgid: msgidSchema });

/**
 * msgid as a string, exact. WeChat's msgids are 64-bit and often exceed 2^53, which JSON.parse
 * rounds, so an unsafe number is read again from the raw reply text.
 */
export function exactMsgid(parsed: number | string, rawReply: string): string {
  if (typeof parsed === 'string' || Number.isSafeInteger(parsed)) return String(parsed);
  return /"msgid"\s*:\s*(\d+)/.exec(rawReply)?.[1] ?? String(parsed);
}

/** `POST /cgi-bin/openapi/quota/get`: an API's calls today, for the account of the token. */
export const quotaReplySchema = z.object({
  quota: z.object({
    daily_limit: z.number().int().nonnegative(),
    used: z.number().int().nonnegative(),
    remain: z.number().int().nonnegative(),
  }),
});
