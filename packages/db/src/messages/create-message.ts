import type { Database } from '../create-database.js';
import type { MessageKind, MessageStatus } from '../generated/prisma/client.js';
import { insertUnlessKeyTaken } from '../insert-unless-key-taken.js';

export interface MessageToCreate {
  appId: string;
  openid: string;
  kind: MessageKind;
  templateId: string;
  /** WeChat's wire shape, `{"thing1":{"value":"…"}}` */
  data: Record<string, { value: string }>;
  page?: string | undefined;
  emphasisKeyword?: string | undefined;
  miniprogramState?: string | undefined;
  lang?: string | undefined;
  /** unique per app: a second create with the same key returns the first message */
  idempotencyKey?: string | undefined;
  /** sha256 hex of the normalised request, to tell a replay from a conflicting reuse of the key */
  requestHash: string;
  /** held until then (its job is delayed, and no lease takes it sooner); absent: at once */
  sendAt?: Date | undefined;
}

/** What the caller of createMessage needs of the stored message. */
export interface StoredMessage {
  id: string;
  status: MessageStatus;
  requestHash: string | null;
  sendAt: Date | null;
}

export type CreatedMessage = { created: boolean; message: StoredMessage };

interface Row {
  id: string;
  status: MessageStatus;
  request_hash: string | null;
  send_at: Date | null;
}

const toStored = (row: Row): StoredMessage => ({
  id: row.id,
  status: row.status,
  requestHash: row.request_hash,
  sendAt: row.send_at,
});

// Raw SQL on the pool, like the send path: POST /v1/messages is a hot path, and Prisma compiled
// this insert anew on every request (a quarter of the ingest API's CPU under load).
const INSERT = `
  INSERT INTO messages (id, app_id, openid, kind, template_id, data, page, emphasis_keyword,
    miniprogram_state, lang, idempotency_key, request_hash, send_at)
  VALUES (minapush_uuid_v7(), $1, $2, $3::message_kind, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12::timestamptz)
  ON CONFLICT (app_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id::text AS id, status, request_hash, send_at`;
const FIND_BY_KEY = `
  SELECT id::text AS id, status, request_hash, send_at FROM messages
  WHERE app_id = $1 AND idempotency_key = $2 AND idempotency_key IS NOT NULL`;

/**
 * Stores a message as `queued`. With an idempotency key it is idempotent: when the app already
 * has a message under that key, nothing is written and that message is returned as it is now
 * (`created: false`), for the caller to compare its `requestHash`. Concurrent creates with one key
 * store one row: the unique index (app_id, idempotency_key) decides, and the loser reads the winner.
 */
export async function createMessage(db: Database, input: MessageToCreate): Promise<CreatedMessage> {
  const values = [
    input.appId,
    input.openid,
    input.kind,
    input.templateId,
    JSON.stringify(input.data),
    input.page ?? null,
    input.emphasisKeyword ?? null,
    input.miniprogramState ?? null,
    input.lang ?? null,
    input.idempotencyKey ?? null,
    input.requestHash,
    input.sendAt ?? null,
  ];
  const { created, row } = await insertUnlessKeyTaken<Row>(db, {
    insert: { text: INSERT, values, name: 'minapush_create_message' },
    findByKey: {
      text: FIND_BY_KEY,
      values: [input.appId, input.idempotencyKey],
      name: 'minapush_find_message_by_key',
    },
    names: `a message of app ${input.appId}`,
  });
  return { created, message: toStored(row) };
}
