/**
 * The CTEs that give each message of `needs` (columns id, app_id, openid, kind, template_id) one
 * use of the user's best credit, shared by the statements that claim credits. The best credit is
 * the soonest-expiring formId or prepay_id valid past `validFrom` (template messages), or the
 * oldest accepted subscription of the template (subscribe messages). Rows another claim has
 * locked are skipped, so no use is handed out twice across statements.
 *
 * Within ONE statement Postgres does not skip a row this statement already locked, so the
 * messages of `needs` must belong to distinct users (a broadcast batch has one message per user;
 * a single message is one row).
 *
 * Defines `picked (message_id, credit_id)` and `used (id, kind, form_id)`.
 */
export function creditPickCtes(validFromParam: string): string {
  return `
  picked AS (
    SELECT needs.id AS message_id, best.id AS credit_id
    FROM needs CROSS JOIN LATERAL (
      SELECT c.id FROM send_credits c
      WHERE c.app_id = needs.app_id AND c.openid = needs.openid
        AND c.state = 'available' AND c.uses_left > 0
        AND ((needs.kind = 'template' AND c.kind IN ('form_id', 'prepay_id') AND c.expires_at > ${validFromParam})
          OR (needs.kind = 'subscribe' AND c.kind = 'subscribe' AND c.template_id = needs.template_id))
      ORDER BY c.expires_at ASC NULLS LAST, c.id ASC
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    ) best
  ), used AS (
    UPDATE send_credits c
    SET uses_left = c.uses_left - 1,
      state = CASE WHEN c.uses_left = 1 THEN 'spent'::credit_state ELSE 'available'::credit_state END,
      updated_at = now()
    FROM picked WHERE c.id = picked.credit_id
    RETURNING c.id, c.kind, c.form_id
  )`;
}
