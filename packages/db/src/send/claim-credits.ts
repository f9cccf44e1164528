import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';
import { creditPickCtes } from './credit-pick-sql.js';
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
      WHERE m.id = ANY($1::uuid[]) AND m.lease_token = $2::bigint AND m.status = 'sending'
        AND m.credit_id IS NULL
      FOR UPDATE
    ), ${creditPickCtes('$3::timestamptz')},
    held AS (
      UPDATE messages m SET credit_id = picked.credit_id, updated_at = now()
      FROM picked WHERE m.id = picked.message_id
      RETURNING m.id, m.credit_id
    )
    SELECT held.id::text AS id, used.id::text AS credit_id, used.kind, used.form_id
    FROM held JOIN used ON used.id = held.credit_id`,
    [messageIds, token.toString(), creditValidFrom],
  );
  return new Map(
    rows.map((row) => [row.id, { id: BigInt(row.credit_id), kind: row.kind, formId: row.form_id }]),
  );
}
