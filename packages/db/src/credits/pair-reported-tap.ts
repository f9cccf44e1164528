import { type LedgerExecutor, PAIRING_WINDOW_MS } from './ledger-executor.js';

export interface ReportedTap {
  appId: string;
  openid: string;
  /** the stored batch id of the client's report: its retries carry the same one */
  batchId: string;
  templateId: string;
  /** when the report says the user tapped `accept` */
  capturedAt: Date;
}

/** `repeat`: this report was applied before; `paired`: it met the popup event's credit; `inserted`: a new credit. */
export type ReportedTapOutcome = 'repeat' | 'paired' | 'inserted';

interface Row {
  outcome: ReportedTapOutcome;
}

// One statement, under the user's ledger lock (lockUserLedger):
// - the report's credit (batch, template) exists: a retry, nothing to do;
// - else the oldest credit a popup event brought for the template, not yet paired with a report,
//   captured within the window of this report, whatever its state (it may already be spent),
//   is this tap: it takes the batch id, and no credit is added;
// - else the tap is new (or its event has not arrived: the event will pair with this credit).
const STATEMENT = `
  WITH existing AS (
    SELECT id FROM send_credits WHERE source_batch_id = $3::uuid AND template_id = $4
  ), candidate AS (
    SELECT id FROM send_credits
    WHERE app_id = $1 AND openid = $2 AND kind = 'subscribe' AND template_id = $4
      AND source_batch_id IS NULL AND push_event_id IS NOT NULL
      AND captured_at BETWEEN $6::timestamptz AND $7::timestamptz
      AND NOT EXISTS (SELECT 1 FROM existing)
    ORDER BY captured_at, id
    LIMIT 1
  ), paired AS (
    UPDATE send_credits c SET source_batch_id = $3::uuid, updated_at = now()
    FROM candidate WHERE c.id = candidate.id
    RETURNING c.id
  ), inserted AS (
    INSERT INTO send_credits (app_id, openid, kind, template_id, uses_left, captured_at, state, source_batch_id, updated_at)
    SELECT $1, $2, 'subscribe'::credit_kind, $4, 1, $5::timestamptz, 'available'::credit_state, $3::uuid, now()
    WHERE NOT EXISTS (SELECT 1 FROM existing) AND NOT EXISTS (SELECT 1 FROM candidate)
    ON CONFLICT DO NOTHING
    RETURNING id
  )
  SELECT CASE WHEN EXISTS (SELECT 1 FROM paired) THEN 'paired'
    WHEN EXISTS (SELECT 1 FROM inserted) THEN 'inserted' ELSE 'repeat' END AS outcome`;

/**
 * Credits one `accept` the mini-program's client reported (POST /v1/subscriptions), unless WeChat's
 * popup event already credited the same tap. Run it in a transaction holding the user's ledger lock.
 */
export async function pairReportedTap(tx: LedgerExecutor, tap: ReportedTap): Promise<ReportedTapOutcome> {
  const at = tap.capturedAt.getTime();
  const rows = await tx.$queryRawUnsafe<Row[]>(
    STATEMENT,
    tap.appId,
    tap.openid,
    tap.batchId,
    tap.templateId,
    tap.capturedAt,
    new Date(at - PAIRING_WINDOW_MS),
    new Date(at + PAIRING_WINDOW_MS),
  );
  return rows[0]?.outcome ?? 'repeat';
}
