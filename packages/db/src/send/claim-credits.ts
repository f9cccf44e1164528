import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';
import { creditPickSql, creditUseSql } from './credit-pick-sql.js';
import type { HeldCredit } from './leased-message.js';

/**
 * Claims the next credit for leased messages whose credit WeChat refused (41028, 41029), in one
 * set-based statement with the same rules as `leaseMessages`. Answers the credit each message got;
 * a message missing from the answer has none left.
 */
export async function claimCredits(
  db: Database,
  token: bigint,
  messageIds: readonly string[],
  creditValidFrom: Date,
): Promise<Map<string, HeldCredit>> {
  if (messageIds.length === 0) return new Map();
  const rows = await query<{
    id: string;
    credit_id: string;
    kind: HeldCredit['kind'];
    form_id: string | null;
  }>(
    db,
    `WITH needs AS (
      SELECT m.id, m.app_id, m.openid, m.kind, m.template_id FROM messages m
      -- only messages still being sent carry a lease token: no status test (see completeSends)
      WHERE m.id = ANY($1::uuid[]) AND m.lease_token = $2::bigint
        AND m.credit_id IS NULL
      FOR UPDATE
    ), plan AS (
      SELECT needs.id, best.id AS picked_id, best.kind AS picked_kind, best.form_id AS picked_form_id
      FROM needs CROSS JOIN LATERAL (${creditPickSql('needs', '$3::timestamptz')}) best
    ), used AS (
      ${creditUseSql('plan.picked_id', 'plan')}
    )
    UPDATE messages m SET credit_id = plan.picked_id, updated_at = now()
    FROM plan WHERE m.id = plan.id
    RETURNING m.id::text AS id, plan.picked_id::text AS credit_id, plan.picked_kind AS kind,
      plan.picked_form_id AS form_id`,
    [messageIds, token.toString(), creditValidFrom],
    'minapush_claim_credits',
  );
  return new Map(
    rows.map((row) => [row.id, { id: BigInt(row.credit_id), kind: row.kind, formId: row.form_id }]),
  );
}
