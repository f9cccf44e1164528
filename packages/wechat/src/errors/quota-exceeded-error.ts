import type { WechatEndpoint } from '../endpoints.js';
import { WechatError } from './wechat-error.js';

export type QuotaWindow = 'per_minute' | 'daily';

/**
 * A rate limit was hit: 45011 per minute (pause until the next minute) or 45009 daily (pause until
 * 00:00 China time, UTC+8). Not a failed attempt: resume at `retryAt`.
 */
export class QuotaExceededError extends WechatError {
  override readonly name = 'QuotaExceededError';
  readonly category = 'quota';
  readonly window: QuotaWindow;
  /** the earliest moment the same call can succeed */
  readonly retryAt: Date;

  constructor(
    message: string,
    details: {
      endpoint: WechatEndpoint;
      code: string;
      errcode: number;
      errmsg?: string | undefined;
      window: QuotaWindow;
      retryAt: Date;
    },
  ) {
    super(message, details);
    this.window = details.window;
    this.retryAt = details.retryAt;
  }
}
