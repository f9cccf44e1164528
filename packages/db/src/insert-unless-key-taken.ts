import type pg from 'pg';
import type { Database } from './create-database.js';
import { query } from './sql-pool.js';

/** One statement for `query`: its text, its values and the name it is prepared under. */
export interface Statement {
  text: string;
  values: readonly unknown[];
  name: string;
}

/** A key taken by a row that then vanished (deleted between our insert and our read) is tried again. */
const MAX_CONFLICT_ROUNDS = 3;

/**
 * Idempotent creation under a per-app key. `insert` is an `INSERT … ON CONFLICT (app_id,
 * idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING …`; when it stores
 * nothing, `findByKey` reads the row that holds the key (`created: false`). Concurrent inserts
 * with one key store one row: the unique partial index decides, and the losers read the winner.
 */
export async function insertUnlessKeyTaken<Row extends pg.QueryResultRow>(
  db: Database,
  statements: {
    insert: Statement;
    findByKey: Statement;
    /** what the key names, for the error when it keeps vanishing: `a message of app wx…` */
    names: string;
  },
): Promise<{ created: boolean; row: Row }> {
  const { insert, findByKey } = statements;
  for (let round = 0; round < MAX_CONFLICT_ROUNDS; round += 1) {
    const [inserted] = await query<Row>(db, insert.text, insert.values, insert.name);
    if (inserted) return { created: true, row: inserted };
    const [existing] = await query<Row>(db, findByKey.text, findByKey.values, findByKey.name);
    if (existing) return { created: false, row: existing };
  }
  throw new Error(`the idempotencyKey kept naming ${statements.names} that vanished before it could be read`);
}
