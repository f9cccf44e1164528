import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { REDACT_PATHS, redactUrl } from './redact.js';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  /** the app or component, e.g. `ingest-api` */
  name: string;
  level?: LoggerOptions['level'];
  /** where lines go; stdout when absent (tests pass a stream to read the logs back) */
  destination?: DestinationStream;
}

interface LoggableRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  id?: unknown;
}

/** A pino logger that redacts every secret minapush handles, including in request URLs. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const loggerOptions: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    serializers: {
      err: pino.stdSerializers.err,
      req: (req: LoggableRequest) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.originalUrl ?? req.url ?? ''),
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
  return options.destination ? pino(loggerOptions, options.destination) : pino(loggerOptions);
}
