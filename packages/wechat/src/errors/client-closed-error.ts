import type { WechatEndpoint } from '../endpoints.js';
import { WechatError } from './wechat-error.js';

/** The client was closed before this call; nothing was sent. A programming error, not a WeChat one. */
export class WechatClientClosedError extends WechatError {
  override readonly name = 'WechatClientClosedError';
  readonly category = 'unrecoverable';

  constructor(endpoint: WechatEndpoint) {
    super(`${endpoint}: the WeChat client is closed; nothing was sent`, { endpoint, code: 'client_closed' });
  }
}
