export { appIdSchema } from './app-id.js';
export {
  type BroadcastAudienceInput,
  broadcastAudienceSchema,
  broadcastFanOutCatalog,
  broadcastQueueName,
  enqueueBroadcastFanOut,
  type FanOutBroadcastPayload,
  fanOutBroadcastSchema,
  MAX_BROADCAST_OPENIDS,
} from './broadcasts/catalog.js';
export { type CatalogHandlers, type CatalogWorkerOptions, createCatalogWorker } from './catalog-worker.js';
export {
  type ApplyPushEventPayload,
  applyPushEventSchema,
  CREDIT_INGEST_RETRY_BUDGET_MS,
  creditIngestCatalog,
  creditToStoreSchema,
  MAX_CREDITS_PER_BATCH,
  type PersistCreditBatchPayload,
  PUSH_EVENT_SWEEP_INTERVAL_MS,
  PUSH_EVENT_SWEEP_SCHEDULER_ID,
  persistCreditBatchSchema,
  type RecordUserPayload,
  recordUserSchema,
} from './credit-ingest/catalog.js';
export {
  enqueueCreditBatch,
  enqueuePushEvent,
  enqueueUserSighting,
  pushEventJobId,
  reenqueuePushEvent,
  schedulePushEventSweep,
} from './credit-ingest/producer.js';
export { deploymentQueueNames } from './deployment-queues.js';
export { ensureJob } from './ensure-job.js';
export {
  canonicalJson,
  idempotencyKeySchema,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  requestHash,
} from './idempotency.js';
export {
  addCatalogJob,
  defineQueueCatalog,
  FINISHED_JOB_HISTORY,
  type JobDefinition,
  type JobNameOf,
  type JobPayloadOf,
  type ParsedJob,
  parseCatalogJob,
  type QueueCatalog,
  UnknownJobError,
} from './job-catalog.js';
export {
  dispatcherMaintenanceCatalog,
  HOUSEKEEPING_SCHEDULER_ID,
  HOUSEKEEPING_TIMEZONE,
  RECONCILE_SCHEDULER_ID,
  TEMPLATE_SYNC_SCHEDULER_ID,
} from './maintenance/catalog.js';
export {
  batchJob,
  bulkQueueName,
  enqueueMessageJob,
  ensureBatchJob,
  messageBulkCatalog,
  messageQueueName,
  messageSendCatalog,
  type SendBatchPayload,
  type SendMessagePayload,
  sendBatchSchema,
  sendMessageSchema,
} from './messages/catalog.js';
export {
  MAX_SEND_AT_DAYS,
  MESSAGE_KINDS,
  type MessageRequest,
  MINIPROGRAM_STATES,
  messageRequestHash,
  messageRequestSchema,
  type NormalisedMessage,
  type NormalisedMessageResult,
  normaliseMessageRequest,
  type ParsedMessageRequest,
  SUBSCRIBE_LANGS,
} from './messages/message-request.js';
export {
  type EnqueueMessageFailure,
  type EnqueueMessageResult,
  enqueueMessage,
  type MessageProducerConnection,
  type MessageRequestIssue,
} from './messages/producer.js';
export { closeMessageQueues } from './messages/producer-queues.js';
export { QueueUnavailableError } from './messages/queue-unavailable-error.js';
export {
  requeueBroadcastBatches,
  type SendControlConnection,
  withdrawMessageJob,
} from './messages/send-control.js';
export { isFreeOfControlCharacters, noControlCharacters } from './no-control-characters.js';
export {
  createQueueDepthReader,
  QUEUE_DEPTH_STATES,
  type QueueDepth,
  type QueueDepthState,
  type QueueLane,
  type WatchedQueue,
} from './queue-depth.js';
export { DEFAULT_QUEUE_PREFIX } from './queue-prefix.js';
export {
  createRedisConnection,
  pingRedis,
  type Redis,
  type RedisRole,
  waitUntilReady,
} from './redis-connection.js';
export { type RedisKeys, redisKeys } from './redis-keys.js';
export {
  CAPPED_BACKOFF_TYPE,
  type CappedBackoff,
  cappedBackoffDelay,
  cappedBackoffStrategy,
  cappedRetries,
  isDeadLettered,
  MAX_RETRY_DELAY_MS,
  nominalRetryDelays,
} from './retry-policy.js';
export { createScrapeCache } from './scrape-cache.js';
export {
  quotaReadSchedulerId,
  type RefreshIfDuePayload,
  refreshIfDueSchema,
  tokenRefreshCatalog,
  tokenRefreshSchedulerId,
} from './token-refresh/catalog.js';
export {
  QUOTA_APIS,
  type QuotaApi,
  type QuotaReading,
  quotaReadingSchema,
  readQuotaReadings,
  storeQuotaReading,
} from './wechat-quota/wechat-quota.js';
