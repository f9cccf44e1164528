import type { WechatEndpoint } from '../endpoints.js';
import { WechatError } from './wechat-error.js';

/**
 * An HTTP status WeChat never sends (it answers 200 to everything, errors included), such as the 404
 * of a base URL that points somewhere else. Retrying the same request gives the same answer.
 */
export class UnexpectedHttpStatusError extends WechatError {
  override readonly name = 'UnexpectedHttpStatusError';
  readonly category = 'unrecoverable';
  readonly httpStatus: number;

  constructor(endpoint: WechatEndpoint, httpStatus: number) {
    super(`${endpoint}: unexpected HTTP ${httpStatus}; check that the WeChat base URL is right`, {
      endpoint,
      code: 'unexpected_http_status',
    });
    this.httpStatus = httpStatus;
  }
}
