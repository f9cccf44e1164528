import type { Database } from '../create-database.js';
import type { BroadcastStatus } from '../generated/prisma/client.js';
import { type Page, pageOf, pageStart } from '../page-cursor.js';
import { type BroadcastView, broadcastView } from './broadcasts.js';

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
 * backwards), each with its messages counted per status as GET /v1/broadcasts/:id counts them: one
 * GROUP BY for the page, answered from the index (broadcast_id, status, id).
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
  const counts =
    ids.length === 0
      ? []
      : await db.$queryRaw<Array<{ broadcast_id: string; status: string; count: number }>>`
          SELECT broadcast_id::text AS broadcast_id, status::text AS status, count(*)::int AS count
          FROM messages WHERE broadcast_id = ANY(${ids}::uuid[]) GROUP BY broadcast_id, status`;
  return {
    ...page,
    items: page.items.map((row) =>
      broadcastView(
        row,
        counts.filter((count) => count.broadcast_id === row.id),
      ),
    ),
  };
}
