import type { WechatAppConfig } from '@minapush/config';
import {
  type Database,
  findAppInventory,
  findBroadcastView,
  findMessageAttempts,
  findUserCredits,
  listBroadcasts,
  listMessages,
} from '@minapush/db';
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

/** Messages of a user the lookup shows, newest first, each with its attempts. */
const USER_MESSAGES = 20;

/** Each app's status, inventory and recent broadcasts, for /admin and /admin/apps/:appId. */
export async function readAdminOverview(
  deps: AdminViewDeps,
  apps: readonly WechatAppConfig[],
  options: { broadcasts: number; now: Date },
): Promise<{ sections: AppSection[]; otherQueues: string[] }> {
  const sections = await Promise.all(
    apps.map(async (app): Promise<AppSection> => {
      const [status, inventory, broadcasts] = await Promise.all([
        readAppStatus(deps, app),
        findAppInventory(deps.db, { appId: app.appId, now: options.now }),
        listBroadcasts(deps.db, { appId: app.appId, limit: options.broadcasts }),
      ]);
      return {
        status,
        inventory,
        broadcasts: broadcasts.items,
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
  deps: Pick<AdminViewDeps, 'db'>,
  user: { appId: string; openid: string; now: Date },
): Promise<{ credits: UserCreditsView; messages: MessageView[] }> {
  const [credits, messages] = await Promise.all([
    findUserCredits(deps.db, user),
    listMessages(deps.db, { appId: user.appId, openid: user.openid, limit: USER_MESSAGES }),
  ]);
  const attempts = await Promise.all(
    messages.items.map((message) => findMessageAttempts(deps.db, message.id)),
  );
  return {
    credits,
    messages: messages.items.map((message, i) => ({
      id: message.id,
      status: message.status,
      kind: message.kind,
      templateId: message.templateId,
      broadcastId: message.broadcastId,
      createdAt: message.createdAt,
      sentAt: message.sentAt,
      errcode: message.errcode,
      errmsg: message.errmsg,
      attempts: attempts[i] ?? [],
    })),
  };
}
