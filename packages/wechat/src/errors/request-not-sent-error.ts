import type { WechatEndpoint } from '../endpoints.js';
import { WechatError } from './wechat-error.js';

/**
 * The request never left this process: the connection was refused, reset or timed out before the
 * request was written, or no connection became free in time. Nothing can have happened at WeChat,
 * so resending is always safe.
 */
export class RequestNotSentError extends WechatError {
  override readonly name = 'RequestNotSentError';
  readonly category = 'retryable';
  /** the transport's error code (`ECONNREFUSED`, `UND_ERR_CONNECT_TIMEOUT`, `queue_timeout`) */
  readonly transportCode: string;

  constructor(endpoint: WechatEndpoint, transportCode: string) {
    super(`${endpoint}: the request could not be sent (${transportCode}); nothing reached WeChat`, {
      endpoint,
      code: 'request_not_sent',
    });
    this.transportCode = transportCode;
  }
}
