/** The WeChat error codes the sandbox answers, named after what they mean. */
export const WechatErrcode = {
  systemBusy: -1,
  invalidCredential: 40001,
  invalidGrantType: 40002,
  invalidOpenid: 40003,
  invalidAppid: 40013,
  invalidCode: 40029,
  invalidTemplateId: 40037,
  invalidAppsecret: 40125,
  codeBeenUsed: 40163,
  accessTokenMissing: 41001,
  appidMissing: 41002,
  appsecretMissing: 41004,
  codeMissing: 41008,
  invalidFormId: 41028,
  formIdUsedUp: 41029,
  invalidPage: 41030,
  accessTokenExpired: 42001,
  userRefused: 43101,
  sendingBanned: 43107,
  concurrentSendToUser: 43108,
  dailyQuotaReached: 45009,
  minuteQuotaReached: 45011,
  dataFormatError: 47001,
  argumentInvalid: 47003,
  sensitiveContent: 45168,
  cgiPathNotFound: 76021,
} as const;

const ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40013: 'invalid appid',
  40029: 'invalid code',
  40037: 'invalid template_id',
  40125: 'invalid appsecret',
  40163: 'code been used',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  41008: 'missing code',
  41028: 'invalid form id',
  41029: 'form id used count reach limit',
  41030: 'invalid page',
  42001: 'access_token expired',
  43101: 'user refuse to accept the msg',
  43107: 'subscribe message capability banned',
  43108: 'Cannot make concurrent calls to the same OpenID, please try again',
  45168: 'keyword blocked',
  76021: 'cgi_path not found, please check',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit  mustslower  retry next minute',
  47001: 'data format error',
  47003: 'argument invalid!',
};

/** A failure answer exactly as WeChat shapes it (HTTP 200, non-zero errcode). */
export interface WechatFailure {
  errcode: number;
  errmsg: string;
}

/** WeChat's answer for `errcode`; `detail` is appended the way WeChat names the offending field. */
export function wechatFailure(errcode: number, detail?: string): WechatFailure {
  const base = ERRMSG[errcode] ?? `sandbox fault ${errcode}`;
  return { errcode, errmsg: detail ? `${base} ${detail}` : base };
}

/** The result of a WeChat rule: the success body, or WeChat's failure answer. */
export type WechatOutcome<T> = { ok: true; value: T } | { ok: false; failure: WechatFailure };

export function succeed<T>(value: T): WechatOutcome<T> {
  return { ok: true, value };
}

export function fail<T = never>(errcode: number, detail?: string): WechatOutcome<T> {
  return { ok: false, failure: wechatFailure(errcode, detail) };
}
