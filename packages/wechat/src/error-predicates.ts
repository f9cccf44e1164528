import { OutcomeUnknownError } from './errors/outcome-unknown-error.js';
import { QuotaExceededError } from './errors/quota-exceeded-error.js';
import { WechatError } from './errors/wechat-error.js';

export function isWechatError(value: unknown): value is WechatError {
  return value instanceof WechatError;
}

/** Nothing took effect and trying again later may work: back off with jitter, then resend. */
export function isRetryable(error: WechatError): boolean {
  return error.category === 'retryable';
}

/** The access_token is stale: refresh it (compare-and-swap), then resend at once. */
export function isStaleToken(error: WechatError): boolean {
  return error.category === 'stale_token';
}

/** The credit (formId, prepay_id, subscription) is spent or refused: try the user's next one. */
export function isCreditDead(error: WechatError): boolean {
  return error.category === 'credit_dead';
}

/** A rate limit: pause until `error.retryAt`. */
export function isQuotaExceeded(error: WechatError): error is QuotaExceededError {
  return error instanceof QuotaExceededError;
}

/** The request went out and no usable reply came: see `safeToResend` before sending it again. */
export function isOutcomeUnknown(error: WechatError): error is OutcomeUnknownError {
  return error instanceof OutcomeUnknownError;
}

/** The same request will fail again: do not retry. */
export function isUnrecoverable(error: WechatError): boolean {
  return error.category === 'unrecoverable';
}

/** The app's setup is wrong (appid, secret, IP whitelist): report it unhealthy, no retry loop. */
export function isMisconfiguration(error: WechatError): boolean {
  return error.misconfiguration;
}
