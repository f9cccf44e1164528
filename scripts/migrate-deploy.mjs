#!/usr/bin/env node
// The container image's `migrate` (docker/entrypoint.sh migrate; docker-compose.yml's `migrate`
// service): creates the database of DATABASE_URL when it is missing, applies prisma/migrations and
// checks that the tables exist. Unlike `npm run db:migrate` it installs nothing and never falls back
// to another server: in a deployment, a database that does not answer is an error, not a reason to
// start a local one. It waits for Postgres to answer first (a container may start before the
// database does), up to MIGRATE_WAIT_SECONDS (default 60).
import { ensureDatabase, migrate, waitForPostgres } from './services.mjs';
import { envValue, exitWithError, maskUrl, SetupError } from './workspace.mjs';

const DEFAULT_WAIT_SECONDS = 60;

async function main() {
  const url = envValue('DATABASE_URL');
  if (!url) {
    throw new SetupError(
      'migrate: DATABASE_URL is not set; give the Postgres to migrate, e.g. postgresql://user:password@host:5432/minapush',
    );
  }
  const waitSeconds = Number(envValue('MIGRATE_WAIT_SECONDS') ?? DEFAULT_WAIT_SECONDS);
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
    throw new SetupError('migrate: MIGRATE_WAIT_SECONDS must be a number of seconds, 0 or more');
  }
  const answer = await waitForPostgres(url, waitSeconds * 1000);
  if (!answer.ok) {
    throw new SetupError(
      `migrate: Postgres at ${maskUrl(url)} did not answer within ${waitSeconds} s (${answer.reason}); nothing was migrated`,
    );
  }
  await ensureDatabase(url);
  await migrate(url);
}

main().catch(exitWithError);
