import { z } from 'zod';
import type { SandboxApp } from '../state/app-state.js';
import type { DailyCounter } from '../state/counters.js';
import { fail, succeed, WechatErrcode, type WechatOutcome } from '../wechat-errors.js';

/** The body of `POST /cgi-bin/openapi/quota/get`. */
export const quotaGetBodySchema = z.object({ cgi_path: z.string().optional() });

export type QuotaGetBody = z.infer<typeof quotaGetBodySchema>;

export interface QuotaAnswer {
  errcode: 0;
  errmsg: 'ok';
  quota: { daily_limit: number; used: number; remain: number };
}

/** The APIs whose daily use the sandbox counts, by the path WeChat names them with. */
function countedApi(app: SandboxApp, cgiPath: string): { counter: DailyCounter; limit: number } | undefined {
  switch (cgiPath) {
    case '/cgi-bin/message/subscribe/send':
      return { counter: app.counters.sends.subscribe, limit: app.dailySendLimit('subscribe') };
    case '/cgi-bin/message/wxopen/template/send':
      return { counter: app.counters.sends.template, limit: app.dailySendLimit('template') };
    case '/cgi-bin/token':
      return { counter: app.counters.classicFetches, limit: app.settings.dailyTokenLimit };
    default:
      return undefined;
  }
}

/**
 * An API's calls today (China day) against its daily limit, from the same counters and limits
 * that answer 45009; a path the sandbox does not count is WeChat's 76021.
 */
export function readApiQuota(app: SandboxApp, body: QuotaGetBody): WechatOutcome<QuotaAnswer> {
  const api = body.cgi_path === undefined ? undefined : countedApi(app, body.cgi_path);
  if (!api) return fail(WechatErrcode.cgiPathNotFound);
  const used = api.counter.today(app.now());
  return succeed({
    errcode: 0,
    errmsg: 'ok',
    quota: { daily_limit: api.limit, used, remain: Math.max(0, api.limit - used) },
  });
}
