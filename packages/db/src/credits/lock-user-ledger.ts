import type { LedgerExecutor } from './ledger-executor.js';

/**
 * Takes the transaction-scoped advisory lock of one user's credits. A client's report and
 * WeChat's popup event of the same tap may be applied at the same moment by two workers; each
 * looks for the other's credit before it inserts its own, which is only sound when they take
 * turns. Must run inside a transaction: the lock is released at its end.
 */
export async function lockUserLedger(tx: LedgerExecutor, appId: string, openid: string): Promise<void> {
  // Two 32-bit keys: the app's and the user's hash. A collision only makes two users take turns.
  await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', appId, openid);
}
