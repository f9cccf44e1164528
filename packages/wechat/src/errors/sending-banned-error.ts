import { WechatError } from './wechat-error.js';

/**
 * 43107: WeChat banned the app's subscribe-message capability, or the template. Every send of the
 * app (or of that template) fails alike until the ban is lifted in WeChat's console; the same
 * request fails again.
 */
export class SendingBannedError extends WechatError {
  override readonly name = 'SendingBannedError';
  readonly category = 'unrecoverable';
}
