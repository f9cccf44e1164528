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

/** The body of `POST /cgi-bin/message/wxopen/template/send`; a wrong type is WeChat's 47001. */
export const templateSendBodySchema = z.object({
  touser: z.string().optional(),
  template_id: z.string().optional(),
  page: z.string().optional(),
  form_id: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  emphasis_keyword: z.string().optional(),
});

export type TemplateSendBody = z.infer<typeof templateSendBodySchema>;

/** The first data entry that is not `{"value": "…"}`, named as WeChat names it. */
function badTemplateDataField(data: Record<string, unknown>): string | undefined {
  for (const [key, entry] of Object.entries(data)) {
    const value =
      typeof entry === 'object' && entry !== null ? (entry as { value?: unknown }).value : undefined;
    if (typeof value !== 'string' && typeof value !== 'number') return `data.${key}.value`;
  }
  return undefined;
}

/**
 * A legacy template message, paid for with a formId (one use) or a prepay_id (three uses) of the
 * same user, within seven days. Every check runs before the formId is spent.
 */
export function sendTemplateMessage(
  app: SandboxApp,
  body: TemplateSendBody,
  nextMsgid: () => number,
): WechatOutcome<SendAnswer> {
  const target = checkMessageTarget(app, body, 'template');
  if (!target.ok) return target;
  const { openid, templateId } = target.value;
  const data = body.data ?? {};
  const badField = badTemplateDataField(data);
  if (badField) return fail(WechatErrcode.argumentInvalid, `${badField} invalid`);
  const clean = checkSensitiveWords(app, data);
  if (!clean.ok) return clean;
  const withinLimit = checkDailySendLimit(app, 'template');
  if (!withinLimit.ok) return withinLimit;

  const credit = body.form_id === undefined ? undefined : app.formIds.get(body.form_id);
  if (!credit || credit.openid !== openid) return fail(WechatErrcode.invalidFormId);
  if (credit.usesLeft <= 0) return fail(WechatErrcode.formIdUsedUp);
  if (app.now() >= credit.expiresAt) return fail(WechatErrcode.invalidFormId);

  credit.usesLeft -= 1;
  return deliver(app, nextMsgid(), {
    kind: 'template',
    openid,
    templateId,
    data,
    page: body.page,
    formId: credit.formId,
    emphasisKeyword: body.emphasis_keyword,
  });
}
