// Configuration for the Prisma CLI only (generate, migrate). The apps build their own
// PrismaClient in packages/db. Prisma 6.19's WebAssembly schema engine migrates offline
// through a driver adapter, with the three mends below (docs/toolchain.md, "Prisma").
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import PgResult from 'pg/lib/result.js';
import { defineConfig } from 'prisma/config';

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/minapush';

// Mend 1 (prisma/orm#27403): the adapter cannot decode `name` (OID 19) and `"char"` (OID 18),
// which the schema engine's introspection reads; report them as text (OID 25).
const TEXT_OID = 25;
const addFields = PgResult.prototype.addFields;
PgResult.prototype.addFields = function addFieldsAsText(fields: Array<{ dataTypeID: number }>) {
  for (const field of fields) {
    if (field.dataTypeID === 19 || field.dataTypeID === 18) field.dataTypeID = TEXT_OID;
  }
  return addFields.call(this, fields);
};

// Mend 2: a connectionString overrides the shadow database's name, so pass discrete fields.
function poolConfig(database?: string): pg.PoolConfig {
  const url = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  return {
    host: decodeURIComponent(url.hostname) || '127.0.0.1',
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database: database ?? decodeURIComponent(url.pathname.slice(1) || 'postgres'),
    idleTimeoutMillis: 100,
    allowExitOnIdle: true,
  };
}

// Mend 3: the stock adapter drops the shadow database before closing its own pool.
class MigrationAdapterFactory extends PrismaPg {
  constructor() {
    super(poolConfig());
  }

  override async connectToShadowDb() {
    const name = `minapush_shadow_${randomUUID().replaceAll('-', '')}`;
    await runAsAdmin(`CREATE DATABASE "${name}"`);
    const adapter = await new PrismaPg(new pg.Pool(poolConfig(name)), {
      disposeExternalPool: true,
    }).connect();
    const closePool = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await closePool();
      await runAsAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    };
    return adapter;
  }
}

async function runAsAdmin(sql: string) {
  const client = new pg.Client(poolConfig());
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  adapter: async () => new MigrationAdapterFactory(),
});
