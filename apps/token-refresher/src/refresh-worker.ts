import type { Logger } from '@minapush/logger';
import { parseCatalogJob, type Redis, tokenRefreshCatalog } from '@minapush/queues';
import type { TokenService } from '@minapush/tokens';
import { UnrecoverableError, Worker } from 'bullmq';

/** Thrown so that BullMQ retries the check with backoff: WeChat was busy or unreachable. */
export class TokenFetchFailedError extends Error {
  override readonly name = 'TokenFetchFailedError';
  readonly code = 'token_fetch_failed';
}

/**
 * Runs each app's scheduled check. Transient failures retry with backoff while the old token
 * still works; a misconfigured app or a spent budget ends the job, so nothing retries in a loop.
 */
export function createTokenRefreshWorker(options: {
  connection: Redis;
  prefix: string;
  tokens: TokenService;
  logger: Logger;
}): Worker {
  return new Worker(
    tokenRefreshCatalog.queue,
    async (job) => {
      let appId: string;
      try {
        appId = parseCatalogJob(tokenRefreshCatalog, job).payload.appId;
      } catch (error) {
        throw new UnrecoverableError((error as Error).message);
      }
      const log = options.logger.child({ jobId: job.id, appId });
      const outcome = await options.tokens.refreshTokenIfDue(appId);
      if (outcome.ok)
        return { fetched: outcome.fetched, expiresAt: new Date(outcome.token.expiresAt).toISOString() };
      if (outcome.reason === 'unavailable' || outcome.reason === 'lock_timeout') {
        log.warn(
          { reason: outcome.reason, errcode: outcome.errcode, attempt: job.attemptsMade + 1 },
          outcome.message,
        );
        throw new TokenFetchFailedError(outcome.message);
      }
      return { fetched: false, refused: outcome.reason };
    },
    { connection: options.connection, prefix: options.prefix, concurrency: 4 },
  );
}
