import type { LedgerExecutor } from '../credits/ledger-executor.js';

/**
 * Records the end of an attempt to apply a push event, in the transaction of its ledger change:
 * `processed` sets processed_at (the event is applied, never again); otherwise only the attempt is
 * counted and the event stays for the next one.
 */
export async function finishPushEvent(
  tx: LedgerExecutor,
  id: bigint,
  outcome: { processed: boolean },
): Promise<void> {
  await tx.$executeRawUnsafe(
    `UPDATE wechat_push_events
      SET attempts = attempts + 1, processed_at = CASE WHEN $2 THEN now() ELSE processed_at END
      WHERE id = $1::bigint`,
    String(id),
    outcome.processed,
  );
}
