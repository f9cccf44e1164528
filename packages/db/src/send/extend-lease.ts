import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';

export interface ExtendedLease {
  /** the messages this lease still holds; the others were taken over or settled */
  held: Set<string>;
  /** as in SendLease: this process's clock reading until which the lease is certainly held */
  heldUntil: number;
}

/**
 * Extends a lease before WeChat is called again, in one statement: only rows that still carry
 * the fencing token are extended, so a worker that froze past its lease learns here that it lost
 * the messages another worker took, and calls WeChat for none of them.
 */
export async function extendLease(
  db: Database,
  token: bigint,
  messageIds: readonly string[],
  leaseMs: number,
): Promise<ExtendedLease> {
  const heldUntil = Date.now() + leaseMs;
  if (messageIds.length === 0) return { held: new Set(), heldUntil };
  const rows = await query<{ id: string }>(
    db,
    `UPDATE messages SET lease_until = now() + $3::int * interval '1 millisecond'
     WHERE id = ANY($1::uuid[]) AND lease_token = $2::bigint
     RETURNING id::text AS id`,
    [messageIds, token.toString(), leaseMs],
    'minapush_extend_lease',
  );
  return { held: new Set(rows.map((row) => row.id)), heldUntil };
}
