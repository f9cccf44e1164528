export {
  type CreateSandboxOptions,
  createSandbox,
  DEMO_LEGACY_TEMPLATE_ID,
  DEMO_SUBSCRIBE_TEMPLATE_ID,
  type DemoAppCredentials,
  type Sandbox,
} from './create-sandbox.js';
export { FAULT_ENDPOINTS, type FaultEndpoint, type FaultSpec } from './faults.js';
export {
  PUSH_EVENT_NAMES,
  type PushFormat,
  type PushMode,
  type PushSettings,
} from './push/push-message.js';
export { PUSH_ATTEMPTS, PUSH_TIMEOUT_MS, type PushRecord, type PushStatus } from './push/push-outbox.js';
export { SANDBOX_DELIVERY_FAILURE_CODE } from './rules/subscribe-send.js';
export { checkSubscribeData, isValidSubscribeValue } from './rules/subscribe-value-rules.js';
export type {
  Delivery,
  FormIdKind,
  MessageKind,
  SandboxApp,
  TemplateKind,
  TokenFetch,
  TokenMode,
} from './state/app-state.js';
export type { NewAppInput, SandboxState } from './state/sandbox-state.js';
export { WechatErrcode } from './wechat-errors.js';
