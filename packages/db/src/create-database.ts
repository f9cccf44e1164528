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

/** True when Postgres answers a trivial query within the pool's connection timeout. */
export async function pingDatabase(db: Database): Promise<boolean> {
  try {
    await db.$queryRaw`SELECT 1`;
    return true;
  } catch {
    return false;
  }
}
