export type { AdminSettings } from './admin/admin-routes.js';
export { createBoardQueues } from './admin/board-queues.js';
export { type IngestConfig, loadConfig } from './config.js';
export { createCreditIngestWorker } from './credits/credit-ingest-worker.js';
export { MOCK_FORM_ID } from './credits/form-id-intake.js';
export { MAX_BODY_BYTES } from './http/request-body.js';
export { collectQueueDepth, createMetrics, type Metrics } from './metrics/metrics.js';
export { createServer, type ServerDeps } from './server.js';
export { createSessionTokens, type SessionTokens } from './sessions/session-tokens.js';
