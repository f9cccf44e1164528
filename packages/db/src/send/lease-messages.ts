import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';
import { creditPickSql, creditUseSql } from './credit-pick-sql.js';
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

// Only a message that will be sent claims: not one that an earlier run delivered, nor a subscribe
// message or a message on a prepay_id that may have been (never resent), nor one of a stopped
// broadcast. This mirrors decideStart (apps/dispatcher), which reads the same facts.
const NEEDS_CREDIT = `(facts.held_id IS NULL OR facts.held_state = 'dead')
        AND NOT facts.sent_before
        AND NOT (facts.kind = 'subscribe' AND facts.unknown_before)
        AND NOT facts.unknown_with_prepay
        AND (facts.broadcast_status IS NULL OR facts.broadcast_status NOT IN ('cancelled', 'paused'))`;

// A message that will be called now: what decideStart answers `call` for. The single-message
// statement records its attempt at once, sparing a round trip before the call.
const SENDABLE = `NOT plan.sent_before
        AND NOT (plan.kind = 'subscribe' AND plan.unknown_before)
        AND NOT plan.unknown_with_prepay
        AND (plan.broadcast_status IS NULL OR plan.broadcast_status NOT IN ('cancelled', 'paused'))`;
const CREDIT_NOW = `CASE WHEN plan.picked_id IS NOT NULL THEN plan.picked_id
        WHEN plan.held_state = 'dead' THEN NULL ELSE plan.held_id END`;

function statement(selector: string, withAttempt: boolean): string {
  // Each CTE reads the previous one row by row and reaches tables by primary key: the planner
  // cannot estimate CTE sizes, and a join of two CTEs would be a nested loop over both.
  return `
  WITH target AS (
    -- FOR UPDATE answers each row's newest version: the columns read here are current ones.
    SELECT m.id, m.app_id, m.openid, m.kind, m.template_id, m.credit_id, m.broadcast_id FROM messages m
    WHERE ${selector} AND m.status IN ('queued', 'sending')
      AND (m.lease_until IS NULL OR m.lease_until < now())
      -- a message held until its sendAt is not taken sooner, by a job that ran early or any other
      AND (m.send_at IS NULL OR m.send_at <= now())
    ORDER BY m.id
    FOR UPDATE SKIP LOCKED
  ), lease AS (
    SELECT nextval('message_lease_token_seq') AS token
  ), facts AS (
    SELECT m.id, m.app_id, m.openid, m.kind, m.template_id, m.credit_id AS held_id,
      held.state AS held_state, held.kind AS held_kind, held.form_id AS held_form_id,
      b.status AS broadcast_status,
      coalesce(h.sent, false) AS sent_before, coalesce(h.unknown, false) AS unknown_before,
      coalesce(h.unknown_with_held, false) AS unknown_with_held,
      -- the held credit's kind even when it is dead since (another message's 41029 on the same
      -- prepay_id): a new credit would deliver again just as well
      coalesce(h.unknown_with_held AND held.kind = 'prepay_id', false) AS unknown_with_prepay
    FROM target m
      LEFT JOIN send_credits held ON held.id = m.credit_id
      LEFT JOIN broadcasts b ON b.id = m.broadcast_id
      LEFT JOIN LATERAL (
        SELECT bool_or(a.outcome = 'sent') AS sent, bool_or(a.outcome = 'unknown') AS unknown,
          bool_or(a.outcome = 'unknown' AND a.credit_id = m.credit_id) AS unknown_with_held
        FROM message_attempts a WHERE a.message_id = m.id
      ) h ON true
  ), plan AS (
    SELECT facts.*, best.id AS picked_id, best.kind AS picked_kind, best.form_id AS picked_form_id
    FROM facts LEFT JOIN LATERAL (
      ${creditPickSql('facts', '$4::timestamptz', NEEDS_CREDIT)}
    ) best ON true
  ), used AS (
    ${creditUseSql('plan.picked_id', 'plan')}
  ), leased AS (
    UPDATE messages m
    SET status = 'sending', lease_owner = $2::uuid, lease_token = (SELECT token FROM lease),
      lease_until = now() + $3::int * interval '1 millisecond', updated_at = now(),
      credit_id = ${CREDIT_NOW}
    FROM plan WHERE m.id = plan.id
    RETURNING m.id::text AS id, m.app_id, m.openid, m.kind, m.template_id, m.data, m.page,
      m.emphasis_keyword, m.miniprogram_state, m.lang, m.broadcast_id::text AS broadcast_id, m.created_at,
      plan.broadcast_status, m.batch_id::text AS batch_id,
      (${CREDIT_NOW})::text AS credit_id,
      CASE WHEN plan.picked_id IS NOT NULL THEN plan.picked_kind ELSE plan.held_kind END AS credit_kind,
      CASE WHEN plan.picked_id IS NOT NULL THEN plan.picked_form_id ELSE plan.held_form_id END AS credit_form_id,
      plan.sent_before, plan.unknown_before, plan.unknown_with_held, plan.unknown_with_prepay
  )${
    withAttempt
      ? `, attempt AS (
    INSERT INTO message_attempts (message_id, credit_id, outcome)
    SELECT plan.id, ${CREDIT_NOW}, 'unknown' FROM plan
    WHERE ${SENDABLE} AND (${CREDIT_NOW}) IS NOT NULL
    RETURNING message_id, id
  )
  SELECT leased.*, (SELECT token FROM lease)::text AS token, attempt.id::text AS attempt_id
  FROM leased LEFT JOIN attempt ON attempt.message_id::text = leased.id`
      : `
  SELECT leased.*, (SELECT token FROM lease)::text AS token, NULL::text AS attempt_id
  FROM leased ORDER BY leased.id`
  }`;
}

// A batch records its attempts in blocks ahead of its calls (send-run.ts); a single message at once.
const STATEMENTS = { message: statement(SELECTORS.message, true), batch: statement(SELECTORS.batch, false) };

/**
 * Takes messages for sending, in one statement: leases every selected message that is queued or
 * whose lease ran out (its worker died or froze), reads what earlier runs did from the attempts,
 * and claims one credit use for each message that will be sent and holds none. A single message
 * that will be called gets its attempt recorded in the same statement (`attemptId`). The lease carries
 * a fresh fencing token: every later write of this run presents it and changes nothing once
 * another run took the message over. Answers no messages when there was nothing to take.
 */
export async function leaseMessages(
  db: Database,
  selector: LeaseSelector,
  request: LeaseRequest,
): Promise<SendLease> {
  const heldUntil = Date.now() + request.leaseMs;
  const [name, key] =
    'messageId' in selector
      ? (['message', selector.messageId] as const)
      : (['batch', selector.batchId] as const);
  const rows = await query<LeasedRow>(
    db,
    STATEMENTS[name],
    [key, request.owner, request.leaseMs, request.creditValidFrom],
    `minapush_lease_${name}`,
  );
  const token = rows[0]?.token;
  return {
    token: token === undefined ? 0n : BigInt(token),
    heldUntil,
    messages: rows.map(toLeasedMessage),
  };
}
