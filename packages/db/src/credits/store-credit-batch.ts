import type { Database } from '../create-database.js';
import type { CreditKind } from '../generated/prisma/client.js';
import { recordUser } from '../users/record-user.js';
import { lockUserLedger } from './lock-user-ledger.js';
import { pairReportedTap } from './pair-reported-tap.js';

export interface CreditToStore {
  kind: CreditKind;
  /** the formId or prepay_id; absent for subscribe credits */
  formId?: string | undefined;
  /** the accepted template; subscribe credits only */
  templateId?: string | undefined;
  usesLeft: number;
  capturedAt: Date;
  /** null for subscribe credits, which never expire */
  expiresAt: Date | null;
}

export interface CreditBatch {
  /** unique per accepted request: storing the same batch twice stores each credit once */
  batchId: string;
  appId: string;
  openid: string;
  unionid?: string | undefined;
  seenAt: Date;
  credits: CreditToStore[];
}

export interface StoredCreditBatch {
  /** credits newly stored; the rest were already there (same formId, or this batch before) */
  stored: number;
}

/**
 * Stores an accepted batch of credits and records its user, in one transaction. Idempotent:
 * formIds are unique per app and subscribe credits per (batch, template), and conflicts are
 * skipped, so a batch delivered twice, or a formId handed over twice, is stored once.
 * A subscribe credit is one tap, which WeChat's popup event may have credited already: each goes
 * through `pairReportedTap`, under the user's ledger lock (docs/push-events.md).
 */
export async function storeCreditBatch(db: Database, batch: CreditBatch): Promise<StoredCreditBatch> {
  return db.$transaction(async (tx) => {
    await recordUser(tx, batch);
    const taps = batch.credits.filter((credit) => credit.kind === 'subscribe');
    const formIds = batch.credits.filter((credit) => credit.kind !== 'subscribe');
    let stored = 0;
    if (formIds.length > 0) {
      const result = await tx.sendCredit.createMany({
        data: formIds.map((credit) => ({
          appId: batch.appId,
          openid: batch.openid,
          kind: credit.kind,
          formId: credit.formId ?? null,
          templateId: credit.templateId ?? null,
          usesLeft: credit.usesLeft,
          capturedAt: credit.capturedAt,
          expiresAt: credit.expiresAt,
          sourceBatchId: batch.batchId,
        })),
        skipDuplicates: true,
      });
      stored += result.count;
    }
    if (taps.length === 0) return { stored };
    await lockUserLedger(tx, batch.appId, batch.openid);
    for (const tap of taps) {
      // a subscribe credit names its template (POST /v1/subscriptions always does); one without can never be sent
      if (tap.templateId === undefined) continue;
      const outcome = await pairReportedTap(tx, {
        appId: batch.appId,
        openid: batch.openid,
        batchId: batch.batchId,
        templateId: tap.templateId,
        capturedAt: tap.capturedAt,
      });
      if (outcome === 'inserted') stored += 1;
    }
    return { stored };
  });
}
