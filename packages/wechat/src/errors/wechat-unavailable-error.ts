import type { WechatEndpoint } from '../endpoints.js';
import { WechatError } from './wechat-error.js';

/**
 * WeChat (or a proxy before it) said it cannot serve the call right now: errcode -1 "system busy",
 * 43108 (a send to the same user is in flight), or HTTP 5xx, 408 or 429. The call did not take effect; retry with backoff and jitter.
 */
export class WechatUnavailableError extends WechatError {
  override readonly name = 'WechatUnavailableError';
  readonly category = 'retryable';
  readonly httpStatus: number | undefined;

  static busy(endpoint: WechatEndpoint, errmsg: string | undefined): WechatUnavailableError {
    return new WechatUnavailableError(`${endpoint}: WeChat is busy (errcode -1); retry later`, {
      endpoint,
      code: 'system_busy',
      errcode: -1,
      errmsg,
    });
  }

  /**
   * 43108: a send to the same user is still in flight. Nothing was sent; the message goes again
   * once the other send has finished.
   */
  static userBusy(endpoint: WechatEndpoint, errmsg: string | undefined): WechatUnavailableError {
    return new WechatUnavailableError(
      `${endpoint}: another send to this user is still in flight (errcode 43108); send again shortly`,
      { endpoint, code: 'concurrent_send_to_user', errcode: 43108, errmsg },
    );
  }

  static httpStatus(endpoint: WechatEndpoint, status: number): WechatUnavailableError {
    return new WechatUnavailableError(`${endpoint}: WeChat answered HTTP ${status}; retry later`, {
      endpoint,
      code: 'http_unavailable',
      httpStatus: status,
    });
  }

  private constructor(
    message: string,
    details: ConstructorParameters<typeof WechatError>[1] & { httpStatus?: number },
  ) {
    super(message, details);
    this.httpStatus = details.httpStatus;
  }
}
