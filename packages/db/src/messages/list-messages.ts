import type { Database } from '../create-database.js';
import { type Message, MessageStatus } from '../generated/prisma/client.js';
import { type Page, pageOf, pageStart } from '../page-cursor.js';
import { query } from '../sql-pool.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ALL_STATUSES = Object.values(MessageStatus);

/** Which messages GET /v1/messages lists: a user's, a broadcast's, or both, narrowed further. */
export interface MessageListQuery {
  openid?: string | undefined;
  broadcastId?: string | undefined;
  appId?: string | undefined;
  status?: MessageStatus | undefined;
  /** 1 to 100 */
  limit: number;
  /** the `nextCursor` of the previous page; throws InvalidPageCursorError when it is not one */
  cursor?: string | undefined;
}

// A broadcast's messages newest first: one range of the index (broadcast_id, status, id) per
// status, each stopped after `limit` rows, merged. Without the status in the index every message
// version would need it from the table; with it first, the index alone would not give id order.
const BROADCAST_PAGE = `
  SELECT m.id::text AS id FROM unnest($2::message_status[]) AS s(status)
  CROSS JOIN LATERAL (
    SELECT id FROM messages
    WHERE broadcast_id = $1::uuid AND status = s.status AND id < $3::uuid
      AND ($5::text IS NULL OR openid = $5) AND ($6::text IS NULL OR app_id = $6)
    ORDER BY id DESC LIMIT $4::int
  ) m
  ORDER BY m.id DESC LIMIT $4::int`;
const AFTER_NEWEST = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

/**
 * One page of messages, newest first, with the given filters (`openid` or `broadcastId` at least:
 * the two keys the indexes are built on). `items` are whole message rows; GET /v1/messages
 * describes each as GET /v1/messages/:id does, without its attempt history.
 */
export async function listMessages(db: Database, input: MessageListQuery): Promise<Page<Message>> {
  if (input.openid === undefined && input.broadcastId === undefined) {
    throw new Error('listMessages needs an openid or a broadcastId');
  }
  const before = pageStart(input.cursor);
  const take = input.limit + 1;
  if (input.broadcastId !== undefined) {
    if (!UUID.test(input.broadcastId)) return { items: [] };
    const ids = await query<{ id: string }>(
      db,
      BROADCAST_PAGE,
      [
        input.broadcastId,
        input.status ? [input.status] : ALL_STATUSES,
        before ?? AFTER_NEWEST,
        take,
        input.openid ?? null,
        input.appId ?? null,
      ],
      'minapush_list_broadcast_messages',
    );
    const rows = await db.message.findMany({
      where: { id: { in: ids.map((row) => row.id) } },
      orderBy: { id: 'desc' },
    });
    return pageOf(rows, input.limit, (row) => row.id);
  }
  // a user's messages: the index (openid, id), read backwards
  const rows = await db.message.findMany({
    where: {
      openid: input.openid,
      ...(input.appId === undefined ? {} : { appId: input.appId }),
      ...(input.status === undefined ? {} : { status: input.status }),
      ...(before === undefined ? {} : { id: { lt: before } }),
    },
    orderBy: { id: 'desc' },
    take,
  });
  return pageOf(rows, input.limit, (row) => row.id);
}
