import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';

export interface AttemptToRecord {
  messageId: string;
  creditId: bigint | null;
}

/**
 * Records, before the calls leave, one attempt per message as `unknown`, in one statement: if
 * the process dies mid-call, the record says the request may have gone out with that credit.
 * Only messages this lease still holds are recorded. Answers each recorded message's attempt id.
 */
export async function recordAttempts(
  db: Database,
  token: bigint,
  attempts: readonly AttemptToRecord[],
): Promise<Map<string, bigint>> {
  if (attempts.length === 0) return new Map();
  const rows = await query<{ message_id: string; id: string }>(
    db,
    `INSERT INTO message_attempts (message_id, credit_id, outcome)
     SELECT x.message_id, x.credit_id, 'unknown'
     FROM unnest($1::uuid[], $2::bigint[]) AS x(message_id, credit_id)
       JOIN messages m ON m.id = x.message_id AND m.lease_token = $3::bigint
     RETURNING message_id::text AS message_id, id::text AS id`,
    [
      attempts.map((attempt) => attempt.messageId),
      attempts.map((attempt) => (attempt.creditId === null ? null : attempt.creditId.toString())),
      token.toString(),
    ],
    'minapush_record_attempts',
  );
  return new Map(rows.map((row) => [row.message_id, BigInt(row.id)]));
}
