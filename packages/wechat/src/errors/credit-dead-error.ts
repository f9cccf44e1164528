import { WechatError } from './wechat-error.js';

/**
 * The credit used cannot send: the formId is invalid or expired (41028) or used up (41029), or the
 * user refused or unsubscribed from the template (43101). Take the user's next credit, if any.
 */
export class CreditDeadError extends WechatError {
  override readonly name = 'CreditDeadError';
  readonly category = 'credit_dead';
}
