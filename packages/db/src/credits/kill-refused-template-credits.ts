import type { LedgerExecutor } from './ledger-executor.js';

export interface RefusedTemplate {
  appId: string;
  openid: string;
  templateId: string;
  /** when the user turned the template off (the change event's CreateTime) */
  refusedAt: Date;
}

/**
 * Marks dead the user's available credits of a template they turned off in WeChat's settings,
 * captured at or before that moment: sending one would answer 43101. Claimed credits are left to
 * the dispatcher (its send settles them); an `accept` after the change credits again.
 * Answers how many credits died.
 */
export async function killRefusedTemplateCredits(
  tx: LedgerExecutor,
  refused: RefusedTemplate,
): Promise<number> {
  return tx.$executeRawUnsafe(
    `UPDATE send_credits SET state = 'dead', updated_at = now()
      WHERE app_id = $1 AND openid = $2 AND kind = 'subscribe' AND template_id = $3
        AND state = 'available' AND captured_at <= $4::timestamptz`,
    refused.appId,
    refused.openid,
    refused.templateId,
    refused.refusedAt,
  );
}
