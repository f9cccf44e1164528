import { type LedgerExecutor, PAIRING_WINDOW_MS } from './ledger-executor.js';

export interface PopupAccept {
  appId: string;
  openid: string;
  /** the stored push event (wechat_push_events.id) */
  eventId: bigint;
  templateId: string;
  /** the event's CreateTime: when the user tapped */
  eventTime: Date;
}

/** `repeat`: this event's credit exists; `paired`: it met a client report's credit; `inserted`: a new credit. */
export type PopupAcceptOutcome = 'repeat' | 'paired' | 'inserted';

interface Row {
  outcome: PopupAcceptOutcome;
}

// The mirror of pairReportedTap: the oldest credit a client report brought for the template, not
// yet paired with an event, within the window, in any state, takes the event's id; else a new
// credit with the event's id.
const STATEMENT = `
  WITH existing AS (
    SELECT id FROM send_credits WHERE push_event_id = $3::bigint AND template_id = $4
  ), candidate AS (
    SELECT id FROM send_credits
    WHERE app_id = $1 AND openid = $2 AND kind = 'subscribe' AND template_id = $4
      AND push_event_id IS NULL AND source_batch_id IS NOT NULL
      AND captured_at BETWEEN $6::timestamptz AND $7::timestamptz
      AND NOT EXISTS (SELECT 1 FROM existing)
    ORDER BY captured_at, id
    LIMIT 1
  ), paired AS (
    UPDATE send_credits c SET push_event_id = $3::bigint, updated_at = now()
    FROM candidate WHERE c.id = candidate.id
    RETURNING c.id
  ), inserted AS (
    INSERT INTO send_credits (app_id, openid, kind, template_id, uses_left, captured_at, state, push_event_id, updated_at)
    SELECT $1, $2, 'subscribe'::credit_kind, $4, 1, $5::timestamptz, 'available'::credit_state, $3::bigint, now()
    WHERE NOT EXISTS (SELECT 1 FROM existing) AND NOT EXISTS (SELECT 1 FROM candidate)
    ON CONFLICT DO NOTHING
    RETURNING id
  )
  SELECT CASE WHEN EXISTS (SELECT 1 FROM paired) THEN 'paired'
    WHEN EXISTS (SELECT 1 FROM inserted) THEN 'inserted' ELSE 'repeat' END AS outcome`;

/**
 * Credits one template a popup event says the user accepted, unless the client's report already
 * credited the same tap. Run it in a transaction holding the user's ledger lock.
 */
export async function pairPopupAccept(tx: LedgerExecutor, accept: PopupAccept): Promise<PopupAcceptOutcome> {
  const at = accept.eventTime.getTime();
  const rows = await tx.$queryRawUnsafe<Row[]>(
    STATEMENT,
    accept.appId,
    accept.openid,
    String(accept.eventId),
    accept.templateId,
    accept.eventTime,
    new Date(at - PAIRING_WINDOW_MS),
    new Date(at + PAIRING_WINDOW_MS),
  );
  return rows[0]?.outcome ?? 'repeat';
}
