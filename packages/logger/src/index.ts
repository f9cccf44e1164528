export { type CreateLoggerOptions, createLogger, type Logger } from './create-logger.js';
export { REDACT_PATHS, redactUrl, SECRET_KEYS } from './redact.js';
