import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';

export interface PushEventToRecord {
  appId: string;
  /** sha256 hex naming the event: WeChat's retries of it have the same */
  dedupeKey: string;
  eventType: 'popup' | 'change' | 'sent';
  openid: string;
  eventTime: Date;
  /** the parsed event, stored as it is */
  payload: unknown;
}

/** The new row's id; or `duplicate` when the event was stored before (and nothing was written). */
export type RecordedPushEvent = { duplicate: false; id: bigint } | { duplicate: true };

interface Row {
  id: string;
}

// A retry conflicts on (app_id, dedupe_key) and writes nothing: no row comes back.
const STATEMENT = `
  INSERT INTO wechat_push_events (app_id, dedupe_key, event_type, openid, event_time, payload)
  VALUES ($1, $2, $3, $4, $5::timestamptz, $6::jsonb)
  ON CONFLICT (app_id, dedupe_key) DO NOTHING
  RETURNING id::text AS id`;

/**
 * Stores one event WeChat pushed, before the push is answered: a retry of the same event (the
 * same dedupe key) stores nothing and is answered `duplicate`.
 */
export async function recordPushEvent(db: Database, event: PushEventToRecord): Promise<RecordedPushEvent> {
  const [row] = await query<Row>(db, STATEMENT, [
    event.appId,
    event.dedupeKey,
    event.eventType,
    event.openid,
    event.eventTime,
    JSON.stringify(event.payload),
  ]);
  return row ? { duplicate: false, id: BigInt(row.id) } : { duplicate: true };
}
