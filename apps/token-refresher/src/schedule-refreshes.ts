import type { WechatAppConfig } from '@minapush/config';
import { tokenRefreshCatalog, tokenRefreshSchedulerId } from '@minapush/queues';
import type { Queue } from 'bullmq';

/**
 * Upserts one job scheduler per configured app (idempotent: every refresher process may run it
 * at start) and removes the schedulers of apps that are no longer configured.
 */
export async function scheduleTokenRefreshes(
  queue: Queue,
  apps: readonly WechatAppConfig[],
  everyMs: number,
) {
  const definition = tokenRefreshCatalog.jobs['refresh-if-due'];
  for (const app of apps) {
    await queue.upsertJobScheduler(
      tokenRefreshSchedulerId(app.appId),
      { every: everyMs },
      {
        name: 'refresh-if-due',
        data: definition.schema.parse({ appId: app.appId }),
        opts: definition.options,
      },
    );
  }
  const wanted = new Set(apps.map((app) => tokenRefreshSchedulerId(app.appId)));
  for (const scheduler of await queue.getJobSchedulers()) {
    if (scheduler.key && !wanted.has(scheduler.key)) await queue.removeJobScheduler(scheduler.key);
  }
}
