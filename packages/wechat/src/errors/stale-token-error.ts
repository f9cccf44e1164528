import { WechatError } from './wechat-error.js';

/**
 * The access_token used is no longer current (40001, 40014, 41001, 42001 on a message call). Refresh
 * it centrally (compare-and-swap: only if the stored token is still the one that failed), then retry.
 */
export class StaleTokenError extends WechatError {
  override readonly name = 'StaleTokenError';
  readonly category = 'stale_token';
}
