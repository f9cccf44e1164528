import type { Database } from '../create-database.js';
import type { TokenMode } from '../generated/prisma/client.js';
import { query } from '../sql-pool.js';

export interface LatestTokenFetch {
  /** null for fetches recorded before tokens were sealed: they cannot refill Redis */
  tokenSealed: Uint8Array | null;
  expiresAt: Date;
  fetchedAt: Date;
}

/** The newest fetch of an app in a token mode (by fetch time, then id): what a refill of Redis reads. */
export async function findLatestTokenFetch(
  db: Database,
  appId: string,
  mode: TokenMode,
): Promise<LatestTokenFetch | undefined> {
  const [row] = await query<{ token_sealed: Buffer | null; expires_at: Date; fetched_at: Date }>(
    db,
    `SELECT token_sealed, expires_at, fetched_at FROM access_token_fetches
     WHERE app_id = $1 AND mode = $2::token_mode
     ORDER BY fetched_at DESC, id DESC LIMIT 1`,
    [appId, mode],
  );
  return row
    ? { tokenSealed: row.token_sealed, expiresAt: row.expires_at, fetchedAt: row.fetched_at }
    : undefined;
}
