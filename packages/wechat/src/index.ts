export {
  type AccessTokenGrant,
  type ApiQuota,
  type AppCredentials,
  createWechatClient,
  DEFAULT_TIMEOUT_MS,
  type LoginSession,
  type MiniprogramState,
  type SendCallOptions,
  type SubscribeMessage,
  type SubscribeMessageLang,
  type SubscribeSendReceipt,
  type TemplateMessage,
  type TemplateSendReceipt,
  type WechatClient,
  type WechatClientOptions,
  type WechatRequestEvent,
  type WechatResult,
} from './client.js';
export { WECHAT_ENDPOINT_PATHS, type WechatEndpoint } from './endpoints.js';
export {
  describeErrcode,
  type ErrcodeEntry,
  type ErrcodeKind,
  errorForErrcode,
  TEMPLATE_LEVEL_ERRCODES,
  WECHAT_CREDENTIAL_ERRCODES,
  WECHAT_ERRCODES,
} from './errcodes.js';
export {
  isCreditDead,
  isMisconfiguration,
  isOutcomeUnknown,
  isQuotaExceeded,
  isRetryable,
  isStaleToken,
  isUnrecoverable,
  isWechatError,
} from './error-predicates.js';
export { ApiRetiredError } from './errors/api-retired-error.js';
export { WechatClientClosedError } from './errors/client-closed-error.js';
export { CreditDeadError } from './errors/credit-dead-error.js';
export { InvalidClientOptionsError } from './errors/invalid-client-options-error.js';
export { InvalidLoginCodeError } from './errors/invalid-login-code-error.js';
export { InvalidRequestError } from './errors/invalid-request-error.js';
export { type OutcomeUnknownCode, OutcomeUnknownError } from './errors/outcome-unknown-error.js';
export { QuotaExceededError, type QuotaWindow } from './errors/quota-exceeded-error.js';
export { RequestNotSentError } from './errors/request-not-sent-error.js';
export { SendingBannedError } from './errors/sending-banned-error.js';
export { StaleTokenError } from './errors/stale-token-error.js';
export { UnexpectedHttpStatusError } from './errors/unexpected-http-status-error.js';
export { UnknownErrcodeError } from './errors/unknown-errcode-error.js';
export { WechatError, type WechatErrorCategory, type WechatErrorDetails } from './errors/wechat-error.js';
export { WechatMisconfigurationError } from './errors/wechat-misconfiguration-error.js';
export { WechatUnavailableError } from './errors/wechat-unavailable-error.js';
export { HELD_BACK } from './exchange.js';
export { startOfNextChinaDay, startOfNextMinute } from './quota-windows.js';
export {
  type SubscribeTemplate,
  type SubscribeTemplateKey,
  type SubscribeType,
  templateKeyKind,
} from './subscribe-templates.js';
export {
  SUBSCRIBE_VALUE_RULES,
  type SubscribeDataVerdict,
  type SubscribeKeyPrefix,
  subscribeKeyPrefix,
  validateSubscribeData,
} from './subscribe-value-rules.js';
export {
  MAX_TEMPLATE_DATA_KEY_LENGTH,
  MAX_TEMPLATE_DATA_KEYS,
  MAX_TEMPLATE_DATA_VALUE_LENGTH,
  normaliseTemplateData,
  type TemplateDataInput,
  type TemplateDataResult,
  type TemplateDataValue,
  type WireTemplateData,
} from './template-data.js';
