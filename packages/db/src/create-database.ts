import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.js';
import { registerSqlPool } from './sql-pool.js';
import { releaseConnectionsOfFailedTransactions } from './transaction-release.js';

export type Database = PrismaClient;

export interface CreateDatabaseOptions {
  /** a postgresql:// URL */
  url: string;
  /** pool size of this process */
  maxConnections?: number;
  /** how long to wait for a connection before failing the query */
  connectionTimeoutMs?: number;
}

/**
 * A Prisma client over node-postgres; one per process, closed with `$disconnect()` (which also
 * ends its pool). The same pool serves the send path's statements directly (see `sql-pool.ts`).
 */
export function createDatabase(options: CreateDatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
  });
  // An idle connection that breaks (Postgres restarted) must not crash the process; the next
  // query gets a new connection or fails on its own.
  pool.on('error', () => undefined);
  const adapter = releaseConnectionsOfFailedTransactions(new PrismaPg(pool, { disposeExternalPool: true }));
  const db = new PrismaClient({ adapter });
  registerSqlPool(db, pool);
  return db;
}

/** True when Postgres answers a trivial query within `timeoutMs`; never hangs a health check. */
export async function pingDatabase(db: Database, timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const query = db.$queryRaw`SELECT 1`.then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
