import type { LedgerExecutor } from '../credits/ledger-executor.js';

export interface LockedPushEvent {
  id: bigint;
  appId: string;
  eventType: string;
  openid: string;
  eventTime: Date;
  payload: unknown;
  attempts: number;
  processedAt: Date | null;
}

interface Row {
  id: bigint;
  app_id: string;
  event_type: string;
  openid: string;
  event_time: Date;
  payload: unknown;
  attempts: number;
  processed_at: Date | null;
}

/**
 * Reads a stored push event and locks its row until the transaction ends, so that two deliveries
 * of its job apply it one after the other and the second sees `processedAt` set. Null when no
 * event has this id.
 */
export async function lockPushEvent(tx: LedgerExecutor, id: bigint): Promise<LockedPushEvent | null> {
  const rows = await tx.$queryRawUnsafe<Row[]>(
    `SELECT id, app_id, event_type, openid, event_time, payload, attempts, processed_at
      FROM wechat_push_events WHERE id = $1::bigint FOR UPDATE`,
    String(id),
  );
  const row = rows[0];
  if (!row) return null;
  return {
    id: BigInt(row.id),
    appId: row.app_id,
    eventType: row.event_type,
    openid: row.openid,
    eventTime: row.event_time,
    payload: row.payload,
    attempts: row.attempts,
    processedAt: row.processed_at,
  };
}
