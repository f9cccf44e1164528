export {
  type AppLifecycle,
  createMinapush,
  DEFAULT_BATCH_SIZE,
  DEFAULT_FLUSH_INTERVAL_MS,
  type FlushReport,
  MAX_BATCH_SIZE,
  type Minapush,
  type MinapushOptions,
  type MinapushStatus,
  type SubscribeOutcome,
} from './client.js';
export {
  ApiError,
  CreditsDroppedError,
  InvalidArgumentError,
  LoginFailedError,
  MinapushError,
  type MinapushErrorCode,
  NetworkError,
  StorageError,
  SubscribeRequestFailedError,
  WxUnavailableError,
} from './errors.js';
export {
  FORM_ID_LIFETIME_MS,
  type FormIdSource,
  MAX_FORM_ID_LENGTH,
  MOCK_FORM_ID,
  spendableFormId,
} from './form-ids.js';
export { type FormIdCollector, findCollector, setCurrentCollector } from './registry.js';
export type { LoginOutcome, Session } from './session.js';
export type { WxRuntime } from './wx-runtime.js';
