export { loadConfig, type RefresherConfig } from './config.js';
export { createRefresherMetrics, type RefresherMetrics } from './metrics.js';
export { type QuotaReaderDeps, type QuotaReadOutcome, readWechatQuotas } from './read-quotas.js';
export { createTokenRefreshWorker, TokenFetchFailedError } from './refresh-worker.js';
export { scheduleTokenRefreshes } from './schedule-refreshes.js';
export { createServer, type RefresherServerDeps } from './server.js';
