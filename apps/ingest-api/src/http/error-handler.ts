import { isDatabaseUnavailable } from '@minapush/db';
import type { Logger } from '@minapush/logger';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ApiError } from './api-error.js';

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

function fromBodyParser(error: BodyParserError): ApiError | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new ApiError(
        413,
        'body_too_large',
        `The request body is larger than the ${error.limit ?? ''} byte limit; send fewer items per request.`,
      );
    case 'parameters.too.many':
      return new ApiError(
        413,
        'body_too_large',
        'The form body has too many fields; send fewer items per request.',
      );
    case 'entity.parse.failed':
      return new ApiError(400, 'malformed_json', 'The request body is not valid JSON.');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new ApiError(
        400,
        'unsupported_encoding',
        'Send the body as UTF-8, without an unusual content encoding.',
      );
    case 'request.aborted':
      return new ApiError(400, 'request_aborted', 'The request was aborted while its body was being read.');
    default:
      break;
  }
  // Express's own client errors, e.g. a path parameter whose %-encoding is broken (URIError, 400).
  if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
    return new ApiError(
      error.status,
      error.status === 400 ? 'malformed_request' : 'request_refused',
      'The request could not be read (check the URL encoding of the path and the body); see /docs.',
    );
  }
  return undefined;
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `No route ${req.method} ${req.path}; see /docs for the API.`));
};

/** The last middleware: every error becomes the contract's JSON error; only real faults are 5xx. */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const apiError =
      error instanceof ApiError ? error : (fromBodyParser((error ?? {}) as BodyParserError) ?? undefined);
    if (apiError) {
      if (apiError.retryAfter !== undefined) res.setHeader('Retry-After', String(apiError.retryAfter));
      res.status(apiError.status).json(apiError.toBody());
      return;
    }
    if (isDatabaseUnavailable(error)) {
      logger.warn({ method: req.method, path: req.path }, 'postgres is unreachable');
      res.setHeader('Retry-After', '5');
      res.status(503).json({
        error: {
          code: 'database_unavailable',
          message: 'The database is unreachable right now; nothing was stored, retry later.',
        },
      });
      return;
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    res.status(500).json({
      error: {
        code: 'internal_error',
        message: 'Something went wrong on our side; the request can be retried.',
      },
    });
  };
}
