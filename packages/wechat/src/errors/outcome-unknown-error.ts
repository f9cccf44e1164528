import type { WechatEndpoint } from '../endpoints.js';
import { WechatError } from './wechat-error.js';

export type OutcomeUnknownCode = 'reply_timeout' | 'connection_lost' | 'malformed_reply';

/**
 * The request was written but no usable reply came back (timeout, connection closed mid-way, or an
 * unreadable body), so WeChat may have acted on it. A template send may be retried with the SAME
 * formId (a later 41029 proves the first went through); a subscribe send must not be resent, since
 * each resend could deliver again and spend another credit.
 */
export class OutcomeUnknownError extends WechatError {
  override readonly name = 'OutcomeUnknownError';
  readonly category = 'outcome_unknown';
  declare readonly code: OutcomeUnknownCode;
  /** the transport's error code, when a transport error ended the call */
  readonly transportCode: string | undefined;
  /** whether sending the same request again cannot do harm (false for subscribe sends) */
  readonly safeToResend: boolean;

  constructor(endpoint: WechatEndpoint, code: OutcomeUnknownCode, detail: string, transportCode?: string) {
    super(`${endpoint}: the request was sent but ${detail}; it may or may not have taken effect`, {
      endpoint,
      code,
    });
    this.transportCode = transportCode;
    this.safeToResend = endpoint !== 'subscribe_send';
  }
}
