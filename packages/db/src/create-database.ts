import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.js';

export type Database = PrismaClient;

export interface CreateDatabaseOptions {
  /** a postgresql:// URL */
  url: string;
  /** pool size of this process */
  maxConnections?: number;
  /** how long to wait for a connection before failing the query */
  connectionTimeoutMs?: number;
}

/** A Prisma client over node-postgres; one per process, closed with `$disconnect()`. */
export function createDatabase(options: CreateDatabaseOptions): Database {
  const adapter = new PrismaPg({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
  });
  return new PrismaClient({ adapter });
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
