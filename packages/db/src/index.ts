export {
  type BroadcastAudience,
  type BroadcastToCreate,
  type BroadcastView,
  type CancelBroadcastResult,
  cancelBroadcast,
  completeBroadcastIfDone,
  countBroadcastMessages,
  createBroadcast,
  deleteUnstartedBroadcast,
  findBroadcast,
  findBroadcastView,
  finishBroadcastFanOut,
  insertBroadcastMessages,
  listAppUserPage,
  pauseBroadcast,
  startBroadcast,
} from './broadcasts/broadcasts.js';
export {
  type CreateDatabaseOptions,
  createDatabase,
  type Database,
  pingDatabase,
} from './create-database.js';
export {
  type CreditBatch,
  type CreditToStore,
  type StoredCreditBatch,
  storeCreditBatch,
} from './credits/store-credit-batch.js';
export { isDatabaseUnavailable } from './database-unavailable.js';
export * from './dispatch/index.js';
export type {
  AccessTokenFetch,
  AppUser,
  Broadcast,
  Message,
  MessageAttempt,
  SendCredit,
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
export { type CreatedMessage, createMessage, type MessageToCreate } from './messages/create-message.js';
export { findMessage } from './messages/find-message.js';
export { recordUser, type UserSighting } from './users/record-user.js';
