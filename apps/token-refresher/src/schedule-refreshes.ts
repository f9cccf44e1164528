import type { WechatAppConfig } from '@minapush/config';
import { quotaReadSchedulerId, tokenRefreshCatalog, tokenRefreshSchedulerId } from '@minapush/queues';
import type { Queue } from 'bullmq';

/**
 * Upserts one job scheduler per configured app (idempotent: every refresher process may run it
 * at start), and with `quotaEveryMs` one quota reading per app, and removes the other schedulers
 * (apps that are no longer configured).
 */
export async function scheduleTokenRefreshes(
  queue: Queue,
  apps: readonly WechatAppConfig[],
  everyMs: number,
  quotaEveryMs?: number,
) {
  const definition = tokenRefreshCatalog.jobs['refresh-if-due'];
  const quotaDefinition = tokenRefreshCatalog.jobs['read-quota'];
  for (const app of apps) {
    if (quotaEveryMs !== undefined) {
      await queue.upsertJobScheduler(
        quotaReadSchedulerId(app.appId),
        { every: quotaEveryMs },
        {
          name: 'read-quota',
          data: quotaDefinition.schema.parse({ appId: app.appId }),
          opts: quotaDefinition.options,
        },
      );
    }
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
  const wanted = new Set(
    apps.flatMap((app) => [
      tokenRefreshSchedulerId(app.appId),
      ...(quotaEveryMs === undefined ? [] : [quotaReadSchedulerId(app.appId)]),
    ]),
  );
  for (const scheduler of await queue.getJobSchedulers()) {
    if (scheduler.key && !wanted.has(scheduler.key)) await queue.removeJobScheduler(scheduler.key);
  }
}
