import { z } from 'zod';
import type { SandboxApp } from '../state/app-state.js';
import { fail, WechatErrcode, type WechatOutcome, wechatFailure } from '../wechat-errors.js';
import {
  checkDailySendLimit,
  checkMessageTarget,
  checkSensitiveWords,
  deliver,
  type SendAnswer,
} from './message-checks.js';
import { checkSubscribeData } from './subscribe-value-rules.js';
import { checkTemplateKeys } from './template-list.js';

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

/**
 * The `ErrorCode` of a failed delivery when a `subscribe_delivery` fault names none. WeChat documents
 * only 0 (`success`) and no failure codes, so this one is the sandbox's choice (the code
 * `@minapush/wechat/push`'s tests use for a failed delivery); `ErrorStatus` is "fail: " and the code's
 * errmsg.
 */
export const SANDBOX_DELIVERY_FAILURE_CODE = 10005;

function isOneOf<T extends string>(options: readonly T[], value: string): value is T {
  return (options as readonly string[]).includes(value);
}

/**
 * A subscribe message, paid for with one accepted credit of that user for that template. Every
 * check runs before the credit is spent, so a rejected message costs the user nothing.
 */
/**
 * Whether WeChat's delivery of an accepted message fails, by the app's `subscribe_delivery` faults;
 * the failure is reported only by the sent event, never by the send's answer.
 */
function deliveryFailure(
  app: SandboxApp,
  random: () => number,
): { errorCode: number; errorStatus: string } | undefined {
  const effect = app.faults.nextEffect('subscribe_delivery', random);
  if (effect === undefined) return undefined;
  const errorCode = effect.errcode ?? SANDBOX_DELIVERY_FAILURE_CODE;
  return { errorCode, errorStatus: `fail: ${wechatFailure(errorCode).errmsg}` };
}

export function sendSubscribeMessage(
  app: SandboxApp,
  body: SubscribeSendBody,
  nextMsgid: () => number,
  random: () => number,
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
  const keysCheck = checkTemplateKeys(app.subscribeTemplates.get(templateId), data);
  if (!keysCheck.ok) return fail(WechatErrcode.argumentInvalid, keysCheck.detail);
  const clean = checkSensitiveWords(app, data);
  if (!clean.ok) return clean;
  const withinLimit = checkDailySendLimit(app, 'subscribe');
  if (!withinLimit.ok) return withinLimit;
  if (app.subscribeCreditsOf(openid, templateId) <= 0) return fail(WechatErrcode.userRefused);

  app.spendSubscribeCredit(openid, templateId);
  const failure = deliveryFailure(app, random);
  const sent = deliver(app, nextMsgid(), {
    kind: 'subscribe',
    openid,
    templateId,
    data,
    page: body.page,
    miniprogramState,
    lang,
    deliveryError: failure,
  });
  if (sent.ok) {
    app.pushes.enqueue({
      type: 'sent',
      openid,
      templateId,
      msgid: sent.value.msgid,
      errorCode: failure?.errorCode ?? 0,
      errorStatus: failure?.errorStatus ?? 'success',
      createTime: app.nowSeconds(),
    });
  }
  return sent;
}
