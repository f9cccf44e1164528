import type { Delivery, MessageKind, SandboxApp, TemplateKind } from '../state/app-state.js';
import { fail, succeed, WechatErrcode, type WechatOutcome } from '../wechat-errors.js';

/** The answer of a successful send. */
export interface SendAnswer {
  errcode: 0;
  errmsg: 'ok';
  msgid: number;
}

function pagePath(page: string): string {
  return (page.split('?')[0] ?? '').replace(/^\/+/, '');
}

/**
 * The checks every message call makes before it may spend a credit: the user, the template, the
 * page. None of them changes any state.
 */
export function checkMessageTarget(
  app: SandboxApp,
  request: { touser?: string; template_id?: string; page?: string },
  templateKind: TemplateKind,
): WechatOutcome<{ openid: string; templateId: string }> {
  const openid = request.touser;
  if (openid === undefined || !app.users.has(openid)) return fail(WechatErrcode.invalidOpenid);
  const templateId = request.template_id;
  if (templateId === undefined || app.templates.get(templateId) !== templateKind) {
    return fail(WechatErrcode.invalidTemplateId);
  }
  const pages = app.settings.pages;
  if (pages && request.page) {
    const path = pagePath(request.page);
    if (!pages.some((page) => pagePath(page) === path)) return fail(WechatErrcode.invalidPage);
  }
  return succeed({ openid, templateId });
}

/**
 * WeChat refuses a message whose content holds a word it blocks (45168), before anything is
 * spent; the sandbox's words are the app's `sensitiveWords`.
 */
export function checkSensitiveWords(app: SandboxApp, data: Record<string, unknown>): WechatOutcome<true> {
  const words = app.settings.sensitiveWords;
  if (!words || words.length === 0) return succeed(true);
  for (const entry of Object.values(data)) {
    const value = (entry as { value?: unknown } | null)?.value;
    const text = typeof value === 'string' ? value : typeof entry === 'string' ? entry : undefined;
    if (text !== undefined && words.some((word) => text.includes(word))) {
      return fail(WechatErrcode.sensitiveContent);
    }
  }
  return succeed(true);
}

export function checkDailySendLimit(app: SandboxApp, kind: MessageKind): WechatOutcome<true> {
  const sentToday = app.counters.sends[kind].today(app.now());
  return sentToday >= app.dailySendLimit(kind) ? fail(WechatErrcode.dailyQuotaReached) : succeed(true);
}

/** Records a message as delivered to the user's WeChat and answers like WeChat does. */
export function deliver(
  app: SandboxApp,
  msgid: number,
  delivery: Omit<Delivery, 'msgid' | 'at'>,
): WechatOutcome<SendAnswer> {
  const now = app.now();
  app.counters.sends[delivery.kind].add(now);
  const recorded: Delivery = { msgid, ...delivery, at: new Date(now).toISOString() };
  for (const key of Object.keys(recorded) as (keyof Delivery)[]) {
    if (recorded[key] === undefined) delete recorded[key];
  }
  app.deliveries.push(recorded);
  return succeed({ errcode: 0, errmsg: 'ok', msgid });
}
