import { WechatError } from './wechat-error.js';

/**
 * The wx.login() code cannot be exchanged: unknown or expired (40029), already used (40163), or the
 * user is blocked as high-risk (40226). The mini-program must call wx.login() again.
 */
export class InvalidLoginCodeError extends WechatError {
  override readonly name = 'InvalidLoginCodeError';
  readonly category = 'unrecoverable';
}
