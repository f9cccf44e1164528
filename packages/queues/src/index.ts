export {
  creditIngestCatalog,
  creditToStoreSchema,
  MAX_CREDITS_PER_BATCH,
  type PersistCreditBatchPayload,
  persistCreditBatchSchema,
  type RecordUserPayload,
  recordUserSchema,
} from './credit-ingest/catalog.js';
export { enqueueCreditBatch, enqueueUserSighting } from './credit-ingest/producer.js';
export {
  addCatalogJob,
  defineQueueCatalog,
  type JobDefinition,
  type JobNameOf,
  type JobPayloadOf,
  type ParsedJob,
  parseCatalogJob,
  type QueueCatalog,
  UnknownJobError,
} from './job-catalog.js';
export {
  createRedisConnection,
  pingRedis,
  type Redis,
  type RedisRole,
  waitUntilReady,
} from './redis-connection.js';

/** BullMQ key prefix of a deployment; tests use their own so they never see each other's jobs. */
export const DEFAULT_QUEUE_PREFIX = 'minapush';
export {
  type RefreshIfDuePayload,
  refreshIfDueSchema,
  tokenRefreshCatalog,
  tokenRefreshSchedulerId,
} from './token-refresh/catalog.js';
