export { type ApiClient, createApiClient } from './api-client.js';
export { loadCliEnvironment } from './config.js';
export type { CliContext, CliIo } from './context.js';
export {
  ApiRefusal,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_REFUSED,
  EXIT_USAGE,
  NotCompleted,
  ServerUnreachable,
  UsageError,
} from './errors.js';
export { type BroadcastView, ProgressTracker } from './progress/broadcast-progress.js';
export { runCli } from './run-cli.js';
