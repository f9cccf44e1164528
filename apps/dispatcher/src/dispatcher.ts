import { randomUUID } from 'node:crypto';
import type { WechatAppConfig } from '@minapush/config';
import type { Database } from '@minapush/db';
import type { Logger } from '@minapush/logger';
import { messageQueueName, type Redis } from '@minapush/queues';
import type { TokenService } from '@minapush/tokens';
import type { WechatClient } from '@minapush/wechat';
import { Queue, type Worker } from 'bullmq';
import { createBroadcastProgress } from './broadcasts/broadcast-progress.js';
import { createFanOutWorker } from './broadcasts/fan-out-worker.js';
import { createMessageWorker } from './message-worker.js';
import type { DispatcherMetrics } from './metrics.js';
import { startStrandedMessageSweeper } from './stranded-message-sweeper.js';

export interface DispatcherOptions {
  apps: readonly WechatAppConfig[];
  db: Database;
  /** a worker connection (maxRetriesPerRequest: null), shared by the queues and workers */
  connection: Redis;
  prefix: string;
  wechat: Pick<WechatClient, 'sendTemplateMessage' | 'sendSubscribeMessage'>;
  tokens: Pick<TokenService, 'getToken' | 'refreshTokenIfStale'>;
  logger: Logger;
  metrics: DispatcherMetrics;
  concurrency: number;
  leaseMs: number;
  creditExpiryMarginMs: number;
  sweepIntervalMs: number;
  lockDurationMs?: number;
  now?: () => number;
}

/** Every app's queue and worker, and the sweeper: what one dispatcher process runs. */
export function startDispatcher(options: DispatcherOptions) {
  const now = options.now ?? Date.now;
  const owner = randomUUID();
  const queues = new Map<string, Queue>();
  const workers: Worker[] = [];
  const broadcasts = createBroadcastProgress({
    db: options.db,
    redis: options.connection,
    prefix: options.prefix,
    logger: options.logger,
  });
  for (const app of options.apps) {
    const queue = new Queue(messageQueueName(app.appId), {
      connection: options.connection,
      prefix: options.prefix,
    });
    queues.set(app.appId, queue);
    const worker = createMessageWorker({
      app,
      queue,
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      ...(options.lockDurationMs ? { lockDurationMs: options.lockDurationMs } : {}),
      send: {
        db: options.db,
        wechat: options.wechat,
        tokens: options.tokens,
        owner,
        leaseMs: options.leaseMs,
        creditExpiryMarginMs: options.creditExpiryMarginMs,
        now,
      },
      logger: options.logger,
      metrics: options.metrics,
      broadcasts,
    });
    worker.on('error', (error) =>
      options.logger.warn({ err: error, appId: app.appId }, 'message worker error'),
    );
    workers.push(worker);
  }
  const fanOutWorker = createFanOutWorker({
    db: options.db,
    queues,
    logger: options.logger,
    connection: options.connection,
    prefix: options.prefix,
  });
  fanOutWorker.on('error', (error) => options.logger.warn({ err: error }, 'fan-out worker error'));
  const sweeper = startStrandedMessageSweeper({
    db: options.db,
    queues,
    intervalMs: options.sweepIntervalMs,
    queuedGraceMs: Math.max(options.sweepIntervalMs * 2, options.leaseMs),
    logger: options.logger,
    metrics: options.metrics,
  });

  return {
    queues,
    workers,
    fanOutWorker,
    /**
     * Stops taking jobs and waits for the ones in flight, at most `timeoutMs`; whatever is still
     * running then keeps its lease, which expires, and another dispatcher picks it up.
     */
    async close(timeoutMs = 10_000): Promise<void> {
      const timeout = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), timeoutMs).unref(),
      );
      const graceful = (async () => {
        await sweeper.stop();
        await Promise.all([...workers, fanOutWorker].map((worker) => worker.close()));
        await Promise.all([...queues.values()].map((queue) => queue.close()));
        return 'closed' as const;
      })();
      if ((await Promise.race([graceful, timeout])) === 'timeout') {
        await Promise.race([
          Promise.all([...workers, fanOutWorker].map((worker) => worker.close(true))),
          new Promise((r) => setTimeout(r, 500)),
        ]);
      }
    },
  };
}

export type Dispatcher = ReturnType<typeof startDispatcher>;
