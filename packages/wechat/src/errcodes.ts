import { CREDENTIAL_ENDPOINTS, type WechatEndpoint } from './endpoints.js';
import { ApiRetiredError } from './errors/api-retired-error.js';
import { CreditDeadError } from './errors/credit-dead-error.js';
import { InvalidLoginCodeError } from './errors/invalid-login-code-error.js';
import { InvalidRequestError } from './errors/invalid-request-error.js';
import { QuotaExceededError } from './errors/quota-exceeded-error.js';
import { SendingBannedError } from './errors/sending-banned-error.js';
import { StaleTokenError } from './errors/stale-token-error.js';
import { UnknownErrcodeError } from './errors/unknown-errcode-error.js';
import type { WechatError, WechatErrorCategory } from './errors/wechat-error.js';
import { WechatMisconfigurationError } from './errors/wechat-misconfiguration-error.js';
import { WechatUnavailableError } from './errors/wechat-unavailable-error.js';
import { startOfNextChinaDay, startOfNextMinute } from './quota-windows.js';

/** Which error class an errcode becomes. */
export type ErrcodeKind =
  | 'busy'
  | 'stale_token'
  | 'credit_dead'
  | 'quota'
  | 'user_busy'
  | 'sending_banned'
  | 'api_retired'
  | 'invalid_login_code'
  | 'invalid_request'
  | 'misconfiguration';

export interface ErrcodeEntry {
  /** snake_case name of this answer, the error's `code` */
  readonly code: string;
  readonly kind: ErrcodeKind;
  readonly category: WechatErrorCategory;
  /** what WeChat means, in words fit for an error message */
  readonly meaning: string;
}

const busy = (code: string, meaning: string): ErrcodeEntry => ({
  code,
  kind: 'busy',
  category: 'retryable',
  meaning,
});
const stale = (code: string, meaning: string): ErrcodeEntry => ({
  code,
  kind: 'stale_token',
  category: 'stale_token',
  meaning,
});
const dead = (code: string, meaning: string): ErrcodeEntry => ({
  code,
  kind: 'credit_dead',
  category: 'credit_dead',
  meaning,
});
const quota = (code: string, meaning: string): ErrcodeEntry => ({
  code,
  kind: 'quota',
  category: 'quota',
  meaning,
});
const userBusy = (code: string, meaning: string): ErrcodeEntry => ({
  code,
  kind: 'user_busy',
  category: 'retryable',
  meaning,
});
const banned = (code: string, meaning: string): ErrcodeEntry => ({
  code,
  kind: 'sending_banned',
  category: 'unrecoverable',
  meaning,
});
const unrecoverable =
  (kind: 'api_retired' | 'invalid_login_code' | 'invalid_request' | 'misconfiguration') =>
  (code: string, meaning: string): ErrcodeEntry => ({ code, kind, category: 'unrecoverable', meaning });
const retired = unrecoverable('api_retired');
const badLogin = unrecoverable('invalid_login_code');
const badRequest = unrecoverable('invalid_request');
const misconfigured = unrecoverable('misconfiguration');

/**
 * Every errcode of docs/wechat-platform.md, as it reads on a message call. Credential endpoints (token,
 * stable_token, jscode2session) read some codes differently: see WECHAT_CREDENTIAL_ERRCODES.
 */
export const WECHAT_ERRCODES: Readonly<Record<number, ErrcodeEntry>> = {
  [-1]: busy('system_busy', 'WeChat is busy'),
  40001: stale('invalid_credential', 'the access_token is invalid or not the latest'),
  40014: stale('invalid_access_token', 'the access_token is invalid'),
  41001: stale('access_token_missing', 'the access_token is missing'),
  42001: stale('access_token_expired', 'the access_token has expired'),
  41028: dead('form_id_invalid', 'the form_id is invalid or expired'),
  41029: dead('form_id_used', 'the form_id was already used'),
  43101: dead('subscription_refused', 'the user refused or unsubscribed from this template'),
  // "Cannot make concurrent calls to the same OpenID, please try again": not in WeChat's tables,
  // answered when a second send to one user starts before the first has finished
  43108: userBusy('concurrent_send_to_user', 'another send to this user is still in flight'),
  // the account's subscribe-message capability, or the template, is banned (Tencent Cloud's table
  // of mini-program errcodes: "Subscription message capability banned")
  43107: banned('sending_banned', "the app's sending capability or this template is banned by WeChat"),
  45009: quota('daily_quota_reached', 'the daily quota is reached'),
  45011: quota('minute_quota_reached', 'the per-minute quota is reached'),
  45103: retired('api_unsupported', 'WeChat no longer supports this API'),
  45109: retired('api_retired', 'WeChat has retired this API'),
  40029: badLogin('invalid_login_code', 'the login code is invalid or expired'),
  40163: badLogin('login_code_used', 'the login code was already used'),
  40226: badLogin('user_blocked', 'WeChat blocked this user as high-risk'),
  40002: badRequest('invalid_grant_type', 'the grant_type is invalid'),
  40003: badRequest('invalid_openid', 'the openid is invalid'),
  40037: badRequest('invalid_template_id', 'the template_id is invalid'),
  41030: badRequest('invalid_page', 'the page is invalid'),
  47003: badRequest('invalid_data', 'the template data is invalid'),
  45168: badRequest(
    'sensitive_content',
    "the message content contains words WeChat blocks; change the message's data (the user and the credit are not at fault)",
  ),
  76021: badRequest('cgi_path_not_found', 'quota/get: no such cgi_path'),
  76022: badRequest('cgi_path_not_permitted', "quota/get: this token's account may not read that cgi_path"),
  48001: badRequest('api_unauthorized', 'this app is not authorised to call this API'),
  40013: misconfigured('invalid_appid', 'the appid is invalid'),
  40125: misconfigured('invalid_secret', 'the app secret is invalid'),
  40164: misconfigured('ip_not_whitelisted', "the caller's IP is not on the app's whitelist"),
  89501: misconfigured('ip_awaiting_confirmation', "the caller's IP awaits the admin's confirmation"),
  89503: misconfigured('ip_needs_confirmation', "calls from this IP need the admin's confirmation"),
  89506: misconfigured('ip_rejected_for_24h', 'the admin rejected this IP twice; it is barred for 24 hours'),
  89507: misconfigured('ip_rejected_for_1h', 'the admin rejected this IP; it is barred for 1 hour'),
  40243: misconfigured('secret_frozen', 'the app secret is frozen'),
};

/**
 * Codes that mean something else on the endpoints that authenticate with the app secret: there,
 * 40001 is a wrong secret, not a stale token, and refreshing the token cannot help.
 */
export const WECHAT_CREDENTIAL_ERRCODES: Readonly<Record<number, ErrcodeEntry>> = {
  40001: misconfigured('wrong_secret', 'the app secret is wrong'),
};

/** Errcodes whose fault lies with the template, so that every user's send would fail alike. */
export const TEMPLATE_LEVEL_ERRCODES: ReadonlySet<number> = new Set([40037, 41030, 47003, 48001, 45168]);

/** The table entry for an errcode as `endpoint` answers it; undefined when unknown. */
export function describeErrcode(endpoint: WechatEndpoint, errcode: number): ErrcodeEntry | undefined {
  if (CREDENTIAL_ENDPOINTS.has(endpoint)) {
    const special = WECHAT_CREDENTIAL_ERRCODES[errcode];
    if (special) return special;
  }
  return WECHAT_ERRCODES[errcode];
}

/** The error for a non-zero errcode answered by `endpoint`. `now` dates quota windows. */
export function errorForErrcode(
  endpoint: WechatEndpoint,
  errcode: number,
  errmsg: string | undefined,
  now: Date = new Date(),
): WechatError {
  const entry = describeErrcode(endpoint, errcode);
  if (!entry) {
    return new UnknownErrcodeError(
      `${endpoint}: WeChat answered errcode ${errcode}, which this client does not know`,
      {
        endpoint,
        code: 'unknown_errcode',
        errcode,
        errmsg,
      },
    );
  }
  const details = { endpoint, code: entry.code, errcode, errmsg };
  const message = `${endpoint}: ${entry.meaning} (errcode ${errcode})`;
  switch (entry.kind) {
    case 'busy':
      return WechatUnavailableError.busy(endpoint, errmsg);
    case 'user_busy':
      return WechatUnavailableError.userBusy(endpoint, errmsg);
    case 'sending_banned':
      return new SendingBannedError(
        `${message}; check the account's notices and the template in WeChat's console`,
        details,
      );
    case 'stale_token':
      return new StaleTokenError(`${message}; refresh the token, then retry`, details);
    case 'credit_dead':
      return new CreditDeadError(message, details);
    case 'quota': {
      const daily = errcode === 45009;
      const retryAt = daily ? startOfNextChinaDay(now) : startOfNextMinute(now);
      return new QuotaExceededError(`${message}; retry at ${retryAt.toISOString()}`, {
        ...details,
        window: daily ? 'daily' : 'per_minute',
        retryAt,
      });
    }
    case 'api_retired':
      return new ApiRetiredError(
        `${message}: template messages are retired for mini-programs; send subscribe messages instead (POST /cgi-bin/message/subscribe/send)`,
        details,
      );
    case 'invalid_login_code':
      return new InvalidLoginCodeError(`${message}; the mini-program must call wx.login() again`, details);
    case 'invalid_request':
      return new InvalidRequestError(message, {
        ...details,
        templateLevel: TEMPLATE_LEVEL_ERRCODES.has(errcode),
        field: errcode === 47003 ? fieldNamedBy(errmsg) : undefined,
      });
    case 'misconfiguration':
      return new WechatMisconfigurationError(`${message}; fix the app's configuration`, details);
  }
}

/** 47003's errmsg names the bad key, e.g. `argument invalid! data.thing1.value invalid`. */
function fieldNamedBy(errmsg: string | undefined): string | undefined {
  return errmsg?.match(/data\.([A-Za-z_]+\d*)\.value/)?.[1];
}
