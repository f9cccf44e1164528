export { TEMPLATE_FAILURES_TO_PAUSE, watchBroadcast } from './broadcasts/broadcast-watch.js';
export {
  FAN_OUT_CHUNK,
  type FanOutResources,
  type FanOutResult,
  fanOutBroadcast,
  UnservedAppError,
} from './broadcasts/fan-out-broadcast.js';
export { type DispatcherConfig, loadConfig } from './config.js';
export { type Dispatcher, type DispatcherOptions, SendRetryError, startDispatcher } from './dispatcher.js';
export {
  collectOnScrape,
  createDispatcherMetrics,
  type DispatcherMetrics,
  ERRCODE_LABELS,
  errcodeLabel,
} from './metrics.js';
export { createDispatcherQueues, type DispatcherQueues } from './queues.js';
export { type ReconcileReport, type ReconcileResources, reconcile } from './recovery/reconcile.js';
export { createServer } from './server.js';
