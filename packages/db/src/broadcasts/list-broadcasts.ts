import type { Database } from '../create-database.js';
import type { BroadcastStatus } from '../generated/prisma/client.js';
import { type Page, pageOf, pageStart } from '../page-cursor.js';
import { type BroadcastView, broadcastView } from './broadcasts.js';
import { countBroadcastMessages } from './count-broadcast-messages.js';

/** Which broadcasts GET /v1/broadcasts lists. */
export interface BroadcastListQuery {
  appId?: string | undefined;
  status?: BroadcastStatus | undefined;
  /** 1 to 100 */
  limit: number;
  /** the `nextCursor` of the previous page; throws InvalidPageCursorError when it is not one */
  cursor?: string | undefined;
}

/**
 * One page of broadcasts, newest first (the primary key, or the index (app_id, id), read
 * backwards), each with its messages counted per status as GET /v1/broadcasts/:id counts them, in
 * one statement for the page.
 */
export async function listBroadcasts(db: Database, input: BroadcastListQuery): Promise<Page<BroadcastView>> {
  const before = pageStart(input.cursor);
  const rows = await db.broadcast.findMany({
    where: {
      ...(input.appId === undefined ? {} : { appId: input.appId }),
      ...(input.status === undefined ? {} : { status: input.status }),
      ...(before === undefined ? {} : { id: { lt: before } }),
    },
    orderBy: { id: 'desc' },
    take: input.limit + 1,
  });
  const page = pageOf(rows, input.limit, (row) => row.id);
  const ids = page.items.map((row) => row.id);
  const counts = await countBroadcastMessages(db, ids);
  return {
    ...page,
    items: page.items.map((row) =>
      broadcastView(
        row,
        counts.filter((count) => count.broadcastId === row.id),
      ),
    ),
  };
}
