import type { Database } from '../create-database.js';
import type { TokenMode } from '../generated/prisma/client.js';
import { query } from '../sql-pool.js';

export interface TokenFetchToRecord {
  appId: string;
  mode: TokenMode;
  /** sha256 hex of the token */
  tokenHash: string;
  /** the token sealed under the app's key (packages/tokens): never the token itself */
  tokenSealed: Uint8Array;
  expiresAt: Date;
  fetchedAt: Date;
  /** scheduled | passive | startup | missing | stale */
  reason: string;
}

// Only the fetch a refill would read (the newest of the app and mode, see findLatestTokenFetch)
// keeps its sealed token: the older ones lose it in the same statement, so no more ciphertext of
// past tokens lies around than the refill needs.
const STATEMENT = `WITH inserted AS (
    INSERT INTO access_token_fetches (app_id, mode, token_hash, token_sealed, expires_at, fetched_at, reason)
    VALUES ($1, $2::token_mode, $3, $4, $5, $6, $7)
    RETURNING id
  )
  UPDATE access_token_fetches f SET token_sealed = NULL
  WHERE f.app_id = $1 AND f.mode = $2::token_mode AND f.token_sealed IS NOT NULL
    AND (f.fetched_at, f.id) < ($6::timestamptz, (SELECT id FROM inserted))`;

/** Records a fetched token: its hash, and sealed for a refill; older fetches of the app lose theirs. */
export async function recordTokenFetch(db: Database, fetch: TokenFetchToRecord): Promise<void> {
  await query(db, STATEMENT, [
    fetch.appId,
    fetch.mode,
    fetch.tokenHash,
    Buffer.from(fetch.tokenSealed),
    fetch.expiresAt,
    fetch.fetchedAt,
    fetch.reason,
  ]);
}
