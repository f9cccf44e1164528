import type { WechatAppConfig } from '@minapush/config';
import {
  broadcastQueueName,
  bulkQueueName,
  dispatcherMaintenanceCatalog,
  messageQueueName,
  type Redis,
} from '@minapush/queues';
import { Queue } from 'bullmq';

/**
 * Every queue the dispatcher adds jobs to, created once per process (in main.ts, or a test's
 * harness) and passed down: each app's transactional and bulk lanes, the fan-out queue shared by
 * all apps, and the dispatcher's maintenance queue.
 */
export function createDispatcherQueues(connection: Redis, prefix: string, apps: readonly WechatAppConfig[]) {
  const queue = (name: string) => new Queue(name, { connection, prefix });
  const transactional = new Map(apps.map((app) => [app.appId, queue(messageQueueName(app.appId))]));
  const bulk = new Map(apps.map((app) => [app.appId, queue(bulkQueueName(app.appId))]));
  const fanOut = queue(broadcastQueueName());
  const maintenance = queue(dispatcherMaintenanceCatalog.queue);
  const all = [...transactional.values(), ...bulk.values(), fanOut, maintenance];
  return {
    /** an app's single-message queue, or undefined for an app this process does not serve */
    transactional: (appId: string) => transactional.get(appId),
    /** an app's broadcast-batch queue, or undefined for an app this process does not serve */
    bulk: (appId: string) => bulk.get(appId),
    fanOut,
    maintenance,
    all,
    async close(): Promise<void> {
      await Promise.allSettled(all.map((q) => q.close()));
    },
  };
}

export type DispatcherQueues = ReturnType<typeof createDispatcherQueues>;
