import { WechatError, type WechatErrorDetails } from './wechat-error.js';

/**
 * The request itself is wrong (bad openid, template, page, data, grant_type, or an API the app may
 * not call); the same request fails again. Also returned, without calling WeChat, for template data
 * that cannot be put on the wire.
 */
export class InvalidRequestError extends WechatError {
  override readonly name = 'InvalidRequestError';
  readonly category = 'unrecoverable';
  /**
   * true when the fault lies with the template rather than the user (40037, 41030, 47003, 48001):
   * the same answer on several sends of a broadcast means every send will fail.
   */
  readonly templateLevel: boolean;
  /** the data key at fault, when known */
  readonly field: string | undefined;

  constructor(message: string, details: WechatErrorDetails & { templateLevel: boolean; field?: string }) {
    super(message, details);
    this.templateLevel = details.templateLevel;
    this.field = details.field;
  }
}
