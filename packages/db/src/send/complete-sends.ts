import type { Database } from '../create-database.js';
import type { AttemptOutcome, MessageStatus } from '../generated/prisma/client.js';
import { query } from '../sql-pool.js';

/** The statuses a message ends in. */
export type FinalMessageStatus = Extract<
  MessageStatus,
  'sent' | 'failed' | 'skipped' | 'unknown' | 'cancelled'
>;

/**
 * What happens to the credit a message holds: kept (spent by a delivery, or held for a retry),
 * its use given back (WeChat certainly did not consume it), marked dead (41028/41029), or dead
 * with every other credit the user gave for the template (43101).
 */
export type CreditSettlement = 'keep' | 'return' | 'dead' | 'drop_template';

/** One message's settlement after a call (or without one). */
export interface SendSettlement {
  messageId: string;
  /**
   * the attempt to close, with its outcome; absent when no attempt was recorded. `not_sent`
   * removes an attempt recorded ahead of a call that was then not made (the run stopped first).
   */
  attempt?: {
    id: bigint;
    outcome: AttemptOutcome | 'not_sent';
    errcode?: number | undefined;
    errmsg?: string | undefined;
  };
  /** whether the call counts in `messages.attempts` (a quota answer does not) */
  countsAttempt: boolean;
  /**
   * the message's status from now: a final one, `queued` (released for a later run) or `sending`
   * (this run goes on with it: a refreshed token or the next credit)
   */
  status: MessageStatus;
  errcode?: number | undefined;
  errmsg?: string | undefined;
  credit: CreditSettlement;
  sentAt?: Date | undefined;
  msgid?: string | undefined;
}

const MAX_TEXT = 1024;

const SETTLEMENTS = `s AS (
      SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::int[], $5::text[], $6::int[],
        $7::text[], $8::int[], $9::text[], $10::text[], $11::timestamptz[], $12::text[])
      AS s(message_id, attempt_id, attempt_outcome, attempt_errcode, attempt_errmsg, counts,
        status, errcode, errmsg, credit, sent_at, msgid)
    )`;

const SETTLE_MESSAGES = `UPDATE messages m
    SET status = s.status::message_status,
      attempts = m.attempts + s.counts,
      errcode = s.errcode, errmsg = s.errmsg,
      credit_id = CASE WHEN s.credit = 'keep' THEN m.credit_id ELSE NULL END,
      sent_at = coalesce(s.sent_at, m.sent_at),
      msgid = coalesce(s.msgid, m.msgid),
      lease_owner = CASE WHEN s.status = 'sending' THEN m.lease_owner END,
      lease_until = CASE WHEN s.status = 'sending' THEN m.lease_until END,
      lease_token = CASE WHEN s.status = 'sending' THEN m.lease_token END,
      updated_at = now()`;

// Every settlement keeps its credit: the outcomes of the calls, and the messages.
const LEAN_STATEMENT = `WITH ${SETTLEMENTS}, closed_attempts AS (
      -- An attempt is this run's own record of its call: closing it with the call's outcome is
      -- true whoever holds the message now, so it needs no lock on the message.
      UPDATE message_attempts a
      SET outcome = s.attempt_outcome::attempt_outcome, errcode = s.attempt_errcode, errmsg = s.attempt_errmsg
      FROM s JOIN messages m ON m.id = s.message_id AND m.lease_token = $13::bigint
      WHERE a.id = s.attempt_id AND s.attempt_outcome IS NOT NULL
    )
    ${SETTLE_MESSAGES}
    FROM s WHERE m.id = s.message_id AND m.lease_token = $13::bigint
    RETURNING m.id::text AS id`;

// Credits given back, dead or dropped, and attempts taken back, besides.
const FULL_STATEMENT = `WITH ${SETTLEMENTS}, held AS (
      SELECT m.id, m.credit_id, m.app_id, m.openid, m.template_id
      FROM messages m JOIN s ON s.message_id = m.id
      -- Only messages still being sent carry a lease token, so the status is not tested: a test
      -- of it draws the planner to the partial indexes of pending work (a whole broadcast) instead
      -- of the primary key.
      WHERE m.lease_token = $13::bigint
      FOR UPDATE OF m
    ), closed_attempts AS (
      UPDATE message_attempts a
      SET outcome = s.attempt_outcome::attempt_outcome, errcode = s.attempt_errcode, errmsg = s.attempt_errmsg
      FROM s JOIN held ON held.id = s.message_id
      WHERE a.id = s.attempt_id AND s.attempt_outcome IS NOT NULL AND s.attempt_outcome <> 'not_sent'
    ), unsent_attempts AS (
      DELETE FROM message_attempts a USING s, held
      WHERE held.id = s.message_id AND a.id = s.attempt_id AND s.attempt_outcome = 'not_sent'
    ), effects AS (
      SELECT held.credit_id, held.app_id, held.openid, held.template_id, s.credit
      FROM s JOIN held ON held.id = s.message_id WHERE s.credit <> 'keep'
    ), settled_credits AS (
      UPDATE send_credits c
      SET uses_left = CASE WHEN effects.credit = 'return' THEN c.uses_left + 1 ELSE 0 END,
        state = CASE WHEN effects.credit = 'return' THEN 'available'::credit_state ELSE 'dead'::credit_state END,
        updated_at = now()
      FROM effects WHERE c.id = effects.credit_id AND c.state <> 'dead'
    ), dropped_credits AS (
      UPDATE send_credits c SET state = 'dead', uses_left = 0, updated_at = now()
      FROM effects
      WHERE effects.credit = 'drop_template' AND c.app_id = effects.app_id AND c.openid = effects.openid
        AND c.kind = 'subscribe' AND c.template_id = effects.template_id AND c.state = 'available'
        AND c.id IS DISTINCT FROM effects.credit_id
    )
    ${SETTLE_MESSAGES}
    FROM s JOIN held ON held.id = s.message_id
    WHERE m.id = held.id
    RETURNING m.id::text AS id`;

/**
 * Writes the outcomes of a run's calls back in one statement (graphile-worker's completeJobs, for
 * sends): attempts closed, messages finished, released or kept, credits spent, returned or dead.
 * Every write is conditional on the lease's fencing token: a run that lost its lease changes
 * nothing. Answers the ids of the messages written.
 *
 * The messages must be of distinct users (as in `leaseMessages`): Postgres updates a row once
 * per statement, so two settlements of one credit would apply one.
 */
export async function completeSends(
  db: Database,
  token: bigint,
  settlements: readonly SendSettlement[],
): Promise<Set<string>> {
  if (settlements.length === 0) return new Set();
  const column = <T>(pick: (s: SendSettlement) => T) => settlements.map(pick);
  // Most writes only record outcomes (a delivery, a retry later): they take the lean statement.
  const lean = settlements.every((s) => s.credit === 'keep' && s.attempt?.outcome !== 'not_sent');
  const rows = await query<{ id: string }>(
    db,
    lean ? LEAN_STATEMENT : FULL_STATEMENT,
    [
      column((s) => s.messageId),
      column((s) => s.attempt?.id.toString() ?? null),
      column((s) => s.attempt?.outcome ?? null),
      column((s) => s.attempt?.errcode ?? null),
      column((s) => s.attempt?.errmsg?.slice(0, MAX_TEXT) ?? null),
      column((s) => (s.countsAttempt ? 1 : 0)),
      column((s) => s.status),
      column((s) => s.errcode ?? null),
      column((s) => s.errmsg?.slice(0, MAX_TEXT) ?? null),
      column((s) => s.credit),
      column((s) => s.sentAt ?? null),
      column((s) => s.msgid ?? null),
      token.toString(),
    ],
    lean ? 'minapush_complete_sends_lean' : 'minapush_complete_sends',
  );
  return new Set(rows.map((row) => row.id));
}
