import { WechatError } from './wechat-error.js';

/** An errcode this client does not know; treated as unrecoverable, with the errcode kept. */
export class UnknownErrcodeError extends WechatError {
  override readonly name = 'UnknownErrcodeError';
  readonly category = 'unrecoverable';
}
