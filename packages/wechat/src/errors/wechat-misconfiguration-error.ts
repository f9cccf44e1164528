import { WechatError } from './wechat-error.js';

/**
 * The app's setup is wrong: unknown appid, wrong or frozen secret, or the caller's IP is not
 * whitelisted or awaits the admin's confirmation. No retry loop: report the app unhealthy until a
 * person fixes the configuration.
 */
export class WechatMisconfigurationError extends WechatError {
  override readonly name = 'WechatMisconfigurationError';
  readonly category = 'unrecoverable';
  override readonly misconfiguration = true;
}
