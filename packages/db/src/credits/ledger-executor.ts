import type { Database } from '../create-database.js';
import type { Prisma } from '../generated/prisma/client.js';

/** The client a ledger operation runs on: a transaction's, when it must share the user's lock. */
export type LedgerExecutor = Database | Prisma.TransactionClient;

/**
 * How far apart a client's report of a tap and WeChat's popup event of it may be and still be
 * taken for the same tap (docs/push-events.md: why 24 hours).
 */
export const PAIRING_WINDOW_MS = 24 * 60 * 60 * 1000;
