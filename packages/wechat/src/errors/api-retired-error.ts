import { WechatError } from './wechat-error.js';

/**
 * WeChat no longer offers this API to mini-programs (45103, 45109): the legacy template message was
 * shut down on 2020-01-10. Subscribe messages replace it.
 */
export class ApiRetiredError extends WechatError {
  override readonly name = 'ApiRetiredError';
  readonly category = 'unrecoverable';
}
