export type { AppTokenHealth } from './app-health.js';
export { chinaDay, nextChinaMidnight } from './china-day.js';
export type { BudgetPolicy, FetchKind } from './fetch-budget.js';
export { logTokenEvent } from './log-token-event.js';
export { hashToken, type SealingApp, sealToken, unsealToken } from './token-seal.js';
export {
  createTokenService,
  type TokenEvent,
  type TokenFailureReason,
  type TokenOutcome,
  type TokenService,
  type TokenServiceOptions,
  WECHAT_DAILY_TOKEN_LIMITS,
} from './token-service.js';
export type { CentralToken } from './token-store.js';
