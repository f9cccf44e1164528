export {
  type BroadcastProgress,
  createBroadcastProgress,
  TEMPLATE_FAILURES_TO_PAUSE,
} from './broadcasts/broadcast-progress.js';
export {
  createFanOutWorker,
  FAN_OUT_CHUNK,
  type FanOutDeps,
  type FanOutResult,
  fanOutBroadcast,
  UnservedAppError,
} from './broadcasts/fan-out-worker.js';
export { type DispatcherConfig, loadConfig } from './config.js';
export { type Dispatcher, type DispatcherOptions, startDispatcher } from './dispatcher.js';
export { createMessageWorker, SendRetryError } from './message-worker.js';
export { createDispatcherMetrics, type DispatcherMetrics } from './metrics.js';
export { type SendMessageDeps, type SendOutcome, sendMessage } from './send/send-message.js';
export { createServer } from './server.js';
export { requeueStrandedMessages, startStrandedMessageSweeper } from './stranded-message-sweeper.js';
