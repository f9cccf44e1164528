import type { WechatAppConfig } from '@minapush/config';
import type { Logger } from '@minapush/logger';
import { messageQueueName, messageSendCatalog, parseCatalogJob, type Redis } from '@minapush/queues';
import { type Queue, RateLimitError, UnrecoverableError, Worker } from 'bullmq';
import type { BroadcastProgress } from './broadcasts/broadcast-progress.js';
import type { DispatcherMetrics } from './metrics.js';
import { type SendMessageDeps, sendMessage } from './send/send-message.js';

/** Thrown so that BullMQ retries the job with backoff; the message row was put back to `queued`. */
export class SendRetryError extends Error {
  override readonly name = 'SendRetryError';
  readonly code = 'send_retry';
}

export interface MessageWorkerOptions {
  app: WechatAppConfig;
  /** the app's own queue, rate limited as a whole when WeChat's quota is hit */
  queue: Queue;
  connection: Redis;
  prefix: string;
  concurrency: number;
  /** how long a job may run before BullMQ considers its worker dead */
  lockDurationMs?: number;
  send: SendMessageDeps;
  logger: Logger;
  metrics: DispatcherMetrics;
  /** records the progress of broadcasts as their messages finish */
  broadcasts?: BroadcastProgress;
}

/**
 * One worker per app, on the app's own queue, so that BullMQ's limiter holds `sendRatePerSecond`
 * for that app across every dispatcher process, and a quota pause stops only that app.
 */
export function createMessageWorker(options: MessageWorkerOptions): Worker {
  const { app, metrics } = options;
  return new Worker(
    messageQueueName(app.appId),
    async (job) => {
      let messageId: string;
      try {
        messageId = parseCatalogJob(messageSendCatalog, job).payload.messageId;
      } catch (error) {
        throw new UnrecoverableError((error as Error).message);
      }
      const log = options.logger.child({ jobId: job.id, messageId, appId: app.appId });
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const outcome = await sendMessage(options.send, messageId, { lastAttempt });
      switch (outcome.type) {
        case 'finished':
          metrics.messagesFinished.inc({ app: app.appId, status: outcome.status });
          log.debug({ status: outcome.status, errcode: outcome.errcode }, 'message finished');
          if (outcome.broadcastId) {
            await options.broadcasts?.messageFinished(outcome.broadcastId, outcome.status, outcome.errcode);
          }
          return { status: outcome.status };
        case 'not_taken':
          return { status: 'not_taken' };
        case 'retry_later':
          metrics.sendRetries.inc({ app: app.appId });
          log.warn({ reason: outcome.reason, attempt: job.attemptsMade + 1 }, 'send will be retried');
          throw new SendRetryError(outcome.reason);
        case 'pause_app': {
          const pauseMs = Math.max(1, outcome.untilMs - options.send.now());
          metrics.quotaPauses.inc({ app: app.appId, window: outcome.window });
          const until = new Date(Date.now() + pauseMs).toISOString();
          if (outcome.window === 'daily') {
            log.error(
              { until },
              `daily send quota of ${app.appId} reached (45009): sending paused until 00:00 China time`,
            );
          } else {
            log.warn(
              { until },
              `per-minute quota of ${app.appId} reached (45011): sending paused until the next minute`,
            );
          }
          await options.queue.rateLimit(pauseMs);
          // Puts the job back without counting an attempt: a quota is not a failure.
          throw new RateLimitError();
        }
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      limiter: { max: app.sendRatePerSecond, duration: 1_000 },
      ...(options.lockDurationMs
        ? { lockDuration: options.lockDurationMs, stalledInterval: options.lockDurationMs }
        : {}),
    },
  );
}
