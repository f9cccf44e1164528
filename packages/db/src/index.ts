export {
  type BroadcastAudience,
  type BroadcastQuietHours,
  type BroadcastToCreate,
  type BroadcastView,
  broadcastView,
  type CancelBroadcastResult,
  type CreatedBroadcast,
  cancelBroadcast,
  completeBroadcastIfDone,
  createBroadcast,
  deleteUnstartedBroadcast,
  findBroadcast,
  findBroadcastView,
  finishBroadcastFanOut,
  pauseBroadcast,
  type StoredBroadcast,
  startBroadcast,
} from './broadcasts/broadcasts.js';
export {
  type BroadcastReach,
  type BroadcastReachRequest,
  countBroadcastReach,
} from './broadcasts/count-broadcast-reach.js';
export { type BroadcastCount, countBroadcasts } from './broadcasts/count-broadcasts.js';
export {
  type FanOutChunkRequest,
  type FanOutChunkResult,
  fanOutChunk,
  type SendBatch,
} from './broadcasts/fan-out-chunk.js';
export {
  type BroadcastQuietState,
  findBroadcastQuietHours,
} from './broadcasts/find-broadcast-quiet-hours.js';
export { type BroadcastListQuery, listBroadcasts } from './broadcasts/list-broadcasts.js';
export { markBroadcastWaiting } from './broadcasts/mark-broadcast-waiting.js';
export { pauseAppBroadcasts } from './broadcasts/pause-app-broadcasts.js';
export { type ResumeBroadcastResult, resumeBroadcast } from './broadcasts/resume-broadcast.js';
export {
  type CreateDatabaseOptions,
  createDatabase,
  type Database,
  pingDatabase,
} from './create-database.js';
export { type AppInventory, findAppInventory } from './credits/find-app-inventory.js';
export { findUserCredits, type UserCredits } from './credits/find-user-credits.js';
export {
  killRefusedTemplateCredits,
  type RefusedTemplate,
} from './credits/kill-refused-template-credits.js';
export { type LedgerExecutor, PAIRING_WINDOW_MS } from './credits/ledger-executor.js';
export { lockUserLedger } from './credits/lock-user-ledger.js';
export { type PopupAccept, type PopupAcceptOutcome, pairPopupAccept } from './credits/pair-popup-accept.js';
export { pairReportedTap, type ReportedTap, type ReportedTapOutcome } from './credits/pair-reported-tap.js';
export {
  type CreditBatch,
  type CreditToStore,
  type StoredCreditBatch,
  storeCreditBatch,
} from './credits/store-credit-batch.js';
export { isDatabaseUnavailable } from './database-unavailable.js';
export type {
  AccessTokenFetch,
  AppUser,
  Broadcast,
  Message,
  MessageAttempt,
  SendCredit,
  WechatPushEvent,
} from './generated/prisma/client.js';
export {
  AttemptOutcome,
  BroadcastStatus,
  CreditKind,
  CreditState,
  MessageKind,
  MessageStatus,
  Prisma,
  PrismaClient,
  TokenMode,
} from './generated/prisma/client.js';
export { purgeFinishedBroadcasts } from './housekeeping/purge-finished-broadcasts.js';
export { type PurgedMessages, purgeFinishedMessages } from './housekeeping/purge-finished-messages.js';
export { purgePushEvents } from './housekeeping/purge-push-events.js';
export { purgeTokenHistory } from './housekeeping/purge-token-history.js';
export { purgeUnusableCredits } from './housekeeping/purge-unusable-credits.js';
export { BIGINT_START, type PurgeResult, type PurgeWindow } from './housekeeping/purge-window.js';
export { uuidV7Bound } from './housekeeping/uuid-time-bound.js';
export { type CancelMessageResult, cancelMessage } from './messages/cancel-message.js';
export {
  type CreatedMessage,
  createMessage,
  type MessageToCreate,
  type StoredMessage,
} from './messages/create-message.js';
export { findMessage } from './messages/find-message.js';
export { findMessageAttempts, type MessageAttemptView } from './messages/find-message-attempts.js';
export { listMessages, type MessageListQuery } from './messages/list-messages.js';
export { type DeliveryReport, recordDeliveryReports } from './messages/record-delivery-reports.js';
export {
  decodePageCursor,
  encodePageCursor,
  InvalidPageCursorError,
  type Page,
} from './page-cursor.js';
export {
  findUnappliedPushEvents,
  type UnappliedPushEventsQuery,
} from './push-events/find-unapplied-push-events.js';
export { finishPushEvent } from './push-events/finish-push-event.js';
export { type LockedPushEvent, lockPushEvent } from './push-events/lock-push-event.js';
export {
  type PushEventToRecord,
  type RecordedPushEvent,
  recordPushEvent,
} from './push-events/record-push-event.js';
export { completeIdleBroadcasts } from './recovery/complete-idle-broadcasts.js';
export { type ExpiredLease, findExpiredLeases } from './recovery/find-expired-leases.js';
export { findQueuedBatches, type QueuedBatch } from './recovery/find-queued-batches.js';
export {
  findQueuedSingleMessages,
  type QueuedSingleMessage,
} from './recovery/find-queued-single-messages.js';
export { findUnfannedBroadcasts, type UnfannedBroadcast } from './recovery/find-unfanned-broadcasts.js';
export { KEYSET_START, type KeysetPage } from './recovery/keyset-page.js';
export { claimCredits } from './send/claim-credits.js';
export {
  type CreditSettlement,
  completeSends,
  type FinalMessageStatus,
  type SendSettlement,
} from './send/complete-sends.js';
export { discardUnsentAttempts } from './send/discard-unsent-attempts.js';
export { type ExtendedLease, extendLease } from './send/extend-lease.js';
export { type LeaseRequest, type LeaseSelector, leaseMessages } from './send/lease-messages.js';
export type { HeldCredit, LeasedMessage, SendHistory, SendLease } from './send/leased-message.js';
export { type AttemptToRecord, recordAttempts } from './send/record-attempts.js';
export { findTemplateRegistry } from './templates/find-template-registry.js';
export { recordTemplateSyncFailure } from './templates/record-template-sync-failure.js';
export { replaceAppTemplates } from './templates/replace-app-templates.js';
export type {
  StoredTemplate,
  StoredTemplateKey,
  TemplateRegistry,
  TemplateSyncState,
} from './templates/template-registry.js';
export { findLatestTokenFetch, type LatestTokenFetch } from './tokens/find-latest-token-fetch.js';
export { recordTokenFetch, type TokenFetchToRecord } from './tokens/record-token-fetch.js';
export { recordUser, type UserSighting } from './users/record-user.js';
