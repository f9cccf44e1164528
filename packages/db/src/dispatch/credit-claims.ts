import type { Database } from '../create-database.js';
import type { CreditKind } from '../generated/prisma/client.js';

export interface ClaimedCredit {
  id: bigint;
  kind: CreditKind;
  formId: string | null;
  templateId: string | null;
  usesLeft: number;
  expiresAt: Date | null;
}

interface ClaimedRow {
  id: bigint;
  kind: CreditKind;
  form_id: string | null;
  template_id: string | null;
  uses_left: number;
  expires_at: Date | null;
}

const toClaimed = (row: ClaimedRow): ClaimedCredit => ({
  id: row.id,
  kind: row.kind,
  formId: row.form_id,
  templateId: row.template_id,
  usesLeft: row.uses_left,
  expiresAt: row.expires_at,
});

/**
 * Takes one use of the user's best credit for a message and gives it to the message, in one
 * statement: the soonest-expiring formId or prepay_id still valid past the safety margin (template
 * messages), or the oldest credit of the template (subscribe messages). Concurrent claims skip
 * rows another claim has locked, so no use is ever handed out twice.
 */
export async function claimCredit(
  db: Database,
  claim: {
    messageId: string;
    appId: string;
    openid: string;
    kind: 'template' | 'subscribe';
    templateId: string;
    /** credits expiring before this moment are not used */
    validUntilAtLeast: Date;
  },
): Promise<ClaimedCredit | undefined> {
  const rows =
    claim.kind === 'template'
      ? await db.$queryRaw<ClaimedRow[]>`
          WITH candidate AS (
            SELECT id FROM send_credits
            WHERE app_id = ${claim.appId} AND openid = ${claim.openid}
              AND kind IN ('form_id', 'prepay_id') AND state = 'available' AND uses_left > 0
              AND expires_at > ${claim.validUntilAtLeast}
            ORDER BY expires_at ASC, id ASC
            LIMIT 1
            FOR UPDATE SKIP LOCKED
          ), used AS (
            UPDATE send_credits AS c
            SET uses_left = c.uses_left - 1,
                state = CASE WHEN c.uses_left = 1 THEN 'spent'::credit_state ELSE 'available'::credit_state END,
                updated_at = now()
            FROM candidate WHERE c.id = candidate.id
            RETURNING c.id, c.kind, c.form_id, c.template_id, c.uses_left, c.expires_at
          ), held AS (
            UPDATE messages SET credit_id = (SELECT id FROM used), updated_at = now()
            WHERE id = ${claim.messageId}::uuid AND EXISTS (SELECT 1 FROM used)
          )
          SELECT * FROM used`
      : await db.$queryRaw<ClaimedRow[]>`
          WITH candidate AS (
            SELECT id FROM send_credits
            WHERE app_id = ${claim.appId} AND openid = ${claim.openid}
              AND kind = 'subscribe' AND template_id = ${claim.templateId}
              AND state = 'available' AND uses_left > 0
            ORDER BY id ASC
            LIMIT 1
            FOR UPDATE SKIP LOCKED
          ), used AS (
            UPDATE send_credits AS c
            SET uses_left = 0, state = 'spent'::credit_state, updated_at = now()
            FROM candidate WHERE c.id = candidate.id
            RETURNING c.id, c.kind, c.form_id, c.template_id, c.uses_left, c.expires_at
          ), held AS (
            UPDATE messages SET credit_id = (SELECT id FROM used), updated_at = now()
            WHERE id = ${claim.messageId}::uuid AND EXISTS (SELECT 1 FROM used)
          )
          SELECT * FROM used`;
  const [row] = rows;
  return row ? toClaimed(row) : undefined;
}

/**
 * Gives back the use a message took but WeChat never consumed (the request was refused before it
 * could deliver, e.g. 40037 or 47003), and lets the message go of it.
 */
export async function returnCreditUse(
  db: Database,
  use: { creditId: bigint; messageId: string },
): Promise<void> {
  await db.$transaction([
    db.$executeRaw`
      UPDATE send_credits SET uses_left = uses_left + 1, state = 'available'::credit_state, updated_at = now()
      WHERE id = ${use.creditId} AND state <> 'dead'`,
    db.message.updateMany({ where: { id: use.messageId, creditId: use.creditId }, data: { creditId: null } }),
  ]);
}

/** WeChat says the credit cannot send (41028, or 41029 not caused by us): never offer it again. */
export async function markCreditDead(
  db: Database,
  dead: { creditId: bigint; messageId: string },
): Promise<void> {
  await db.$transaction([
    db.sendCredit.update({ where: { id: dead.creditId }, data: { state: 'dead', usesLeft: 0 } }),
    db.message.updateMany({
      where: { id: dead.messageId, creditId: dead.creditId },
      data: { creditId: null },
    }),
  ]);
}

/** 43101: the user refused the template; every credit they gave us for it is void. */
export async function dropTemplateCredits(
  db: Database,
  drop: { appId: string; openid: string; templateId: string },
): Promise<number> {
  const result = await db.sendCredit.updateMany({
    where: {
      appId: drop.appId,
      openid: drop.openid,
      kind: 'subscribe',
      templateId: drop.templateId,
      state: 'available',
    },
    data: { state: 'dead', usesLeft: 0 },
  });
  return result.count;
}
