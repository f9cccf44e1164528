import { MINUTE_MS } from '../clock.js';
import { newLoginCode, newSessionKey } from '../ids.js';
import type { LoginCode, SandboxApp } from '../state/app-state.js';
import { fail, succeed, WechatErrcode, type WechatOutcome } from '../wechat-errors.js';

/** How long a `wx.login()` code can be exchanged. */
export const LOGIN_CODE_LIFETIME_MS = 5 * MINUTE_MS;

export interface LoginRequest {
  secret: string | undefined;
  grantType: string | undefined;
  code: string | undefined;
}

export interface SessionAnswer {
  openid: string;
  session_key: string;
  unionid?: string;
}

/** What `wx.login()` hands the mini-program: a one-time code for that user. */
export function createLoginCode(app: SandboxApp, openid: string, unionid?: string): LoginCode {
  app.ensureUser(openid, unionid);
  const code: LoginCode = {
    code: newLoginCode(),
    openid,
    expiresAt: app.now() + LOGIN_CODE_LIFETIME_MS,
    used: false,
  };
  app.codes.set(code.code, code);
  return code;
}

/** `GET /sns/jscode2session`: each code works once, within five minutes. */
export function exchangeLoginCode(app: SandboxApp, request: LoginRequest): WechatOutcome<SessionAnswer> {
  if (request.secret === undefined) return fail(WechatErrcode.appsecretMissing);
  if (request.secret !== app.settings.secret) return fail(WechatErrcode.invalidAppsecret);
  if (request.grantType !== 'authorization_code') return fail(WechatErrcode.invalidGrantType);
  if (request.code === undefined) return fail(WechatErrcode.codeMissing);
  const code = app.codes.get(request.code);
  if (!code) return fail(WechatErrcode.invalidCode);
  if (code.used) return fail(WechatErrcode.codeBeenUsed);
  if (app.now() >= code.expiresAt) return fail(WechatErrcode.invalidCode);
  code.used = true;
  const user = app.ensureUser(code.openid);
  const session: SessionAnswer = { openid: user.openid, session_key: newSessionKey() };
  if (user.unionid !== undefined) session.unionid = user.unionid;
  return succeed(session);
}
