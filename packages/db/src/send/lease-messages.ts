import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';
import { creditPickCtes } from './credit-pick-sql.js';
import { type LeasedRow, type SendLease, toLeasedMessage } from './leased-message.js';

export type LeaseSelector = { messageId: string } | { batchId: string };

export interface LeaseRequest {
  /** this process, for operators: who holds a lease */
  owner: string;
  leaseMs: number;
  /** credits expiring before this moment are not claimed */
  creditValidFrom: Date;
}

const SELECTORS = {
  message: 'm.id = $1::uuid',
  // the partial index messages_pending_batch_idx
  batch: 'm.batch_id = $1::uuid AND m.batch_id IS NOT NULL',
} as const;

function statement(selector: string): string {
  return `
  WITH target AS (
    -- FOR UPDATE answers each row's newest version: the columns read here are current ones.
    SELECT m.id, m.app_id, m.openid, m.kind, m.template_id, m.credit_id, m.broadcast_id FROM messages m
    WHERE ${selector} AND m.status IN ('queued', 'sending')
      AND (m.lease_until IS NULL OR m.lease_until < now())
    ORDER BY m.id
    FOR UPDATE SKIP LOCKED
  ), lease AS (
    SELECT nextval('message_lease_token_seq') AS token
  ), facts AS (
    SELECT m.id, m.app_id, m.openid, m.kind, m.template_id, m.credit_id AS held_id,
      held.state AS held_state, b.status AS broadcast_status,
      coalesce(h.sent, false) AS sent_before, coalesce(h.unknown, false) AS unknown_before,
      coalesce(h.unknown_with_held, false) AS unknown_with_held, coalesce(h.used_held, false) AS used_held
    FROM target m
      LEFT JOIN send_credits held ON held.id = m.credit_id
      LEFT JOIN broadcasts b ON b.id = m.broadcast_id
      LEFT JOIN LATERAL (
        SELECT bool_or(a.outcome = 'sent') AS sent, bool_or(a.outcome = 'unknown') AS unknown,
          bool_or(a.outcome = 'unknown' AND a.credit_id = m.credit_id) AS unknown_with_held,
          bool_or(a.credit_id = m.credit_id) AS used_held
        FROM message_attempts a WHERE a.message_id = m.id
      ) h ON true
  ), needs AS (
    -- Only a message that will be sent claims: not one that an earlier run delivered, nor a
    -- subscribe message that may have been (never resent), nor one of a stopped broadcast.
    -- This mirrors decideStart (apps/dispatcher), which reads the same facts.
    SELECT facts.id, facts.app_id, facts.openid, facts.kind, facts.template_id FROM facts
    WHERE (facts.held_id IS NULL OR facts.held_state = 'dead')
      AND NOT facts.sent_before
      AND NOT (facts.kind = 'subscribe' AND facts.unknown_before)
      AND (facts.broadcast_status IS NULL OR facts.broadcast_status NOT IN ('cancelled', 'paused'))
  ), ${creditPickCtes('$4::timestamptz')},
  leased AS (
    UPDATE messages m
    SET status = 'sending', lease_owner = $2::uuid, lease_token = (SELECT token FROM lease),
      lease_until = now() + $3::int * interval '1 millisecond', updated_at = now(),
      credit_id = CASE WHEN picked.credit_id IS NOT NULL THEN picked.credit_id
        WHEN facts.held_state = 'dead' THEN NULL ELSE m.credit_id END
    FROM facts LEFT JOIN picked ON picked.message_id = facts.id
    WHERE m.id = facts.id
    RETURNING m.id, m.app_id, m.openid, m.kind, m.template_id, m.data, m.page, m.emphasis_keyword,
      m.miniprogram_state, m.lang, m.broadcast_id, m.batch_id, m.credit_id
  )
  SELECT leased.id::text AS id, leased.app_id, leased.openid, leased.kind, leased.template_id, leased.data,
    leased.page, leased.emphasis_keyword, leased.miniprogram_state, leased.lang,
    leased.broadcast_id::text AS broadcast_id, facts.broadcast_status, leased.batch_id::text AS batch_id,
    leased.credit_id::text AS credit_id, coalesce(used.kind, credit.kind) AS credit_kind,
    coalesce(used.form_id, credit.form_id) AS credit_form_id,
    facts.sent_before, facts.unknown_before, facts.unknown_with_held, facts.used_held,
    (SELECT token FROM lease)::text AS token
  FROM leased JOIN facts ON facts.id = leased.id
    LEFT JOIN used ON used.id = leased.credit_id
    LEFT JOIN send_credits credit ON credit.id = leased.credit_id
  ORDER BY leased.id`;
}

const STATEMENTS = { message: statement(SELECTORS.message), batch: statement(SELECTORS.batch) };

/**
 * Takes messages for sending, in one statement: leases every selected message that is queued or
 * whose lease ran out (its worker died or froze), reads what earlier runs did from the attempts,
 * and claims one credit use for each message that will be sent and holds none. The lease carries
 * a fresh fencing token: every later write of this run presents it and changes nothing once
 * another run took the message over. Answers no messages when there was nothing to take.
 */
export async function leaseMessages(
  db: Database,
  selector: LeaseSelector,
  request: LeaseRequest,
): Promise<SendLease> {
  const heldUntil = Date.now() + request.leaseMs;
  const [text, key] =
    'messageId' in selector ? [STATEMENTS.message, selector.messageId] : [STATEMENTS.batch, selector.batchId];
  const rows = await query<LeasedRow>(db, text, [
    key,
    request.owner,
    request.leaseMs,
    request.creditValidFrom,
  ]);
  const token = rows[0]?.token;
  return {
    token: token === undefined ? 0n : BigInt(token),
    heldUntil,
    messages: rows.map(toLeasedMessage),
  };
}
