import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ensureDatabase, ensurePostgres, ensureRedis, migrate } from '../../scripts/services.mjs';
import { say } from './log.mjs';

export const root = path.resolve(import.meta.dirname, '..', '..');
export const BENCH_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/minapush_bench';
/** The apps the suite runs from their built dist/main.js. */
export const APPS = ['wechat-sandbox', 'ingest-api', 'dispatcher', 'token-refresher'] as const;
export type AppName = (typeof APPS)[number];

export const appMain = (app: AppName) => path.join(root, 'apps', app, 'dist', 'main.js');

/** Same rule as the project's scripts: an empty value counts as unset. */
function envValue(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** scripts/services.mjs reports on stdout; stdout here is for the final table only. */
async function withLogsOnStderr<T>(work: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = (...args: unknown[]) => console.error(...args);
  try {
    return await work();
  } finally {
    console.log = log;
  }
}

export interface Services {
  databaseUrl: string;
  redisUrl: string;
  db: pg.Pool;
  redis: Redis;
}

/**
 * Postgres and Redis the way `npm test` finds them, with the bench's own database (migrated). The
 * suite truncates every table of that database between scenarios, so it refuses a database whose
 * name does not say "bench": a DATABASE_URL left pointing at development data must not be wiped.
 */
export async function prepareServices(): Promise<Services> {
  const { databaseUrl, redisUrl } = await withLogsOnStderr(async () => {
    const databaseUrl: string = await ensurePostgres(envValue('DATABASE_URL'), {
      defaultUrl: BENCH_DATABASE_URL,
    });
    const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
    if (!name.includes('bench')) {
      throw new Error(
        `the benchmark empties every table of its database between scenarios; "${name}" does not look like a ` +
          'benchmark database. Unset DATABASE_URL (the suite uses minapush_bench) or point it at a database ' +
          'whose name contains "bench".',
      );
    }
    const redisUrl: string = await ensureRedis(envValue('REDIS_URL'));
    await dropIfMigrationsChanged(databaseUrl);
    await ensureDatabase(databaseUrl);
    await migrate(databaseUrl);
    return { databaseUrl, redisUrl };
  });
  const db = new pg.Pool({ connectionString: databaseUrl, max: 8 });
  db.on('error', () => undefined);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3, lazyConnect: false });
  redis.on('error', () => undefined);
  return { databaseUrl, redisUrl, db, redis };
}

/**
 * The bench database holds nothing worth keeping, and migrations change while the engine is being
 * written: when one it applied was edited or removed since, it is dropped and made anew (`migrate
 * deploy` would skip the edited migration and leave the schema behind the code).
 */
async function dropIfMigrationsChanged(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  let applied: { migration_name: string; checksum: string }[];
  try {
    await client.connect();
    applied = (
      await client.query<{ migration_name: string; checksum: string }>(
        'SELECT migration_name, checksum FROM _prisma_migrations WHERE finished_at IS NOT NULL',
      )
    ).rows;
  } catch {
    return; // no database or no migrations yet: nothing stale
  } finally {
    await client.end().catch(() => undefined);
  }
  const changed = applied.filter(({ migration_name: name, checksum }) => {
    const file = path.join(root, 'prisma', 'migrations', name, 'migration.sql');
    return !existsSync(file) || createHash('sha256').update(readFileSync(file)).digest('hex') !== checksum;
  });
  if (changed.length === 0) return;
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  say(
    'postgres',
    `migration ${changed.map((m) => m.migration_name).join(', ')} changed since it was applied: recreating ${name}`,
  );
  target.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: target.toString() });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** Builds every workspace when an app has no dist/main.js yet (or when asked to). */
export async function ensureBuilt(force: boolean): Promise<void> {
  const missing = APPS.filter((app) => !existsSync(appMain(app)));
  if (!force && missing.length === 0) return;
  say('build', force ? 'building (--build)' : `building: no dist/main.js in ${missing.join(', ')}`);
  const code = await new Promise<number>((resolve, reject) => {
    // turbo's output joins the progress on stderr; stdout stays for the table
    const child = spawn('npx', ['turbo', 'run', 'build'], {
      cwd: root,
      stdio: ['ignore', 2, 2],
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    });
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode ?? 1));
  });
  if (code !== 0) throw new Error(`npx turbo run build failed (exit ${code})`);
  const stillMissing = APPS.filter((app) => !existsSync(appMain(app)));
  if (stillMissing.length > 0)
    throw new Error(`the build made no dist/main.js for ${stillMissing.join(', ')}`);
}

/** Empties every table of the bench database but the migrations' own. */
export async function truncateTables(db: pg.Pool): Promise<void> {
  const { rows } = await db.query<{ tablename: string }>(
    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations'",
  );
  if (rows.length === 0) return;
  const tables = rows.map((row) => pg.escapeIdentifier(row.tablename)).join(', ');
  await db.query(`TRUNCATE ${tables} RESTART IDENTITY CASCADE`);
}

/**
 * Deletes this run's Redis keys (queues, tokens, locks) by prefix. SCAN + UNLINK, never FLUSHDB:
 * the Redis is shared with development and with other runs.
 */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) deleted += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}
