import type { Logger } from '@minapush/logger';
import { parseCatalogJob, type Redis, tokenRefreshCatalog } from '@minapush/queues';
import type { TokenService } from '@minapush/tokens';
import { UnrecoverableError, Worker } from 'bullmq';
import { type QuotaReaderDeps, readWechatQuotas } from './read-quotas.js';

/** Thrown so that BullMQ retries the check with backoff: WeChat was busy or unreachable. */
export class TokenFetchFailedError extends Error {
  override readonly name = 'TokenFetchFailedError';
  readonly code = 'token_fetch_failed';
}

/**
 * Runs each app's scheduled check. Transient failures retry with backoff while the old token
 * still works; a misconfigured app or a spent budget ends the job, so nothing retries in a loop.
 * With `quotas`, it also runs the app's scheduled quota readings.
 */
export function createTokenRefreshWorker(options: {
  connection: Redis;
  prefix: string;
  tokens: TokenService;
  logger: Logger;
  quotas?: Omit<QuotaReaderDeps, 'tokens' | 'logger'>;
}): Worker {
  return new Worker(
    tokenRefreshCatalog.queue,
    async (job) => {
      let appId: string;
      let name: string;
      try {
        ({
          name,
          payload: { appId },
        } = parseCatalogJob(tokenRefreshCatalog, job));
      } catch (error) {
        throw new UnrecoverableError((error as Error).message);
      }
      if (name === 'read-quota') {
        if (!options.quotas) return { read: 0, reason: 'quota reading is not set up in this process' };
        return readWechatQuotas(
          { ...options.quotas, tokens: options.tokens, logger: options.logger.child({ jobId: job.id }) },
          appId,
        );
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
