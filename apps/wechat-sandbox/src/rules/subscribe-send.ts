import { z } from 'zod';
import type { SandboxApp } from '../state/app-state.js';
import { fail, WechatErrcode, type WechatOutcome } from '../wechat-errors.js';
import {
  checkDailySendLimit,
  checkMessageTarget,
  checkSensitiveWords,
  deliver,
  type SendAnswer,
} from './message-checks.js';
import { checkSubscribeData } from './subscribe-value-rules.js';

export const MINIPROGRAM_STATES = ['developer', 'trial', 'formal'] as const;
export const SUBSCRIBE_LANGS = ['zh_CN', 'en_US', 'zh_HK', 'zh_TW'] as const;

/** The body of `POST /cgi-bin/message/subscribe/send`; a wrong type is WeChat's 47001. */
export const subscribeSendBodySchema = z.object({
  touser: z.string().optional(),
  template_id: z.string().optional(),
  page: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  miniprogram_state: z.string().optional(),
  lang: z.string().optional(),
});

export type SubscribeSendBody = z.infer<typeof subscribeSendBodySchema>;

function isOneOf<T extends string>(options: readonly T[], value: string): value is T {
  return (options as readonly string[]).includes(value);
}

/**
 * A subscribe message, paid for with one accepted credit of that user for that template. Every
 * check runs before the credit is spent, so a rejected message costs the user nothing.
 */
export function sendSubscribeMessage(
  app: SandboxApp,
  body: SubscribeSendBody,
  nextMsgid: () => number,
): WechatOutcome<SendAnswer> {
  const target = checkMessageTarget(app, body, 'subscribe');
  if (!target.ok) return target;
  const { openid, templateId } = target.value;
  const miniprogramState = body.miniprogram_state ?? 'formal';
  if (!isOneOf(MINIPROGRAM_STATES, miniprogramState)) {
    return fail(WechatErrcode.argumentInvalid, 'miniprogram_state invalid');
  }
  const lang = body.lang ?? 'zh_CN';
  if (!isOneOf(SUBSCRIBE_LANGS, lang)) return fail(WechatErrcode.argumentInvalid, 'lang invalid');
  const data = body.data ?? {};
  const dataCheck = checkSubscribeData(data);
  if (!dataCheck.ok) return fail(WechatErrcode.argumentInvalid, `${dataCheck.field} invalid`);
  const clean = checkSensitiveWords(app, data);
  if (!clean.ok) return clean;
  const withinLimit = checkDailySendLimit(app, 'subscribe');
  if (!withinLimit.ok) return withinLimit;
  if (app.subscribeCreditsOf(openid, templateId) <= 0) return fail(WechatErrcode.userRefused);

  app.spendSubscribeCredit(openid, templateId);
  return deliver(app, nextMsgid(), {
    kind: 'subscribe',
    openid,
    templateId,
    data,
    page: body.page,
    miniprogramState,
    lang,
  });
}
