/**
 * The statement parts that give a message one use of its user's best credit, shared by the
 * statements that claim credits. The best credit is the soonest-expiring formId or prepay_id valid
 * past `validFrom` (template messages), or the oldest accepted subscription of the template
 * (subscribe messages). Rows another claim has locked are skipped, so no use is handed out twice
 * across statements.
 *
 * Within ONE statement Postgres does not skip a row this statement already locked, so the
 * messages must belong to distinct users (a broadcast batch has one message per user; a single
 * message is one row).
 */

/**
 * A LATERAL subquery answering the best credit (id, kind, form_id) for the row `message`, only
 * when `onlyWhen` (a condition on that row) holds: a row that needs no credit locks none.
 */
export function creditPickSql(message: string, validFromParam: string, onlyWhen = 'true'): string {
  return `SELECT c.id, c.kind, c.form_id FROM send_credits c
      WHERE (${onlyWhen}) AND c.app_id = ${message}.app_id AND c.openid = ${message}.openid
        AND c.state = 'available' AND c.uses_left > 0
        AND ((${message}.kind = 'template' AND c.kind IN ('form_id', 'prepay_id') AND c.expires_at > ${validFromParam})
          OR (${message}.kind = 'subscribe' AND c.kind = 'subscribe' AND c.template_id = ${message}.template_id))
      ORDER BY c.expires_at ASC NULLS LAST, c.id ASC
      LIMIT 1
      FOR UPDATE SKIP LOCKED`;
}

/** An UPDATE taking one use of each credit `creditId` of the rows `from` names. */
export function creditUseSql(creditId: string, from: string): string {
  return `UPDATE send_credits c
    SET uses_left = c.uses_left - 1,
      state = CASE WHEN c.uses_left = 1 THEN 'spent'::credit_state ELSE 'available'::credit_state END,
      updated_at = now()
    FROM ${from} WHERE c.id = ${creditId}
    RETURNING c.id`;
}
