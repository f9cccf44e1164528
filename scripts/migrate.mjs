#!/usr/bin/env node
// `npm run db:migrate`: finds or starts Postgres (DATABASE_URL, from .env too), creates the
// database when missing, applies prisma/migrations and verifies that the tables exist.
import { ensureDependencies, envValue, exitWithError, loadDotEnv } from './workspace.mjs';

async function main() {
  const loaded = loadDotEnv();
  if (loaded.length > 0) console.log(`env: read ${loaded.join(', ')} from .env`);
  await ensureDependencies();
  const { ensureDatabase, ensurePostgres, migrate } = await import('./services.mjs');
  const databaseUrl = await ensurePostgres(envValue('DATABASE_URL'));
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl);
}

main().catch(exitWithError);
