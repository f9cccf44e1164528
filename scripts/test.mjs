#!/usr/bin/env node
// `npm test`: prepares Postgres and Redis, creates and migrates the TEST database (never the
// development one), then runs build, lint, typecheck and every suite through Turborepo.
// Extra arguments go to turbo: `npm test -- --filter=@minapush/ingest-api`.
// .env is deliberately not read: it configures the development database and real WeChat apps.
import { ensureDependencies, envValue, exitWithError, run, turboCommand } from './workspace.mjs';

async function main() {
  await ensureDependencies();
  const { ensureDatabase, ensurePostgres, ensureRedis, migrate, TEST_DATABASE_URL } = await import(
    './services.mjs'
  );

  const databaseUrl = await ensurePostgres(envValue('DATABASE_URL'), { defaultUrl: TEST_DATABASE_URL });
  const redisUrl = await ensureRedis(envValue('REDIS_URL'));
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl);

  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    TURBO_TELEMETRY_DISABLED: '1',
    LOG_LEVEL: envValue('LOG_LEVEL') ?? 'silent',
  };
  if (envValue('CI')) {
    // No escape codes in CI logs. FORCE_COLOR=0 alone is not enough: picocolors (vitest) takes
    // the mere presence of FORCE_COLOR, or of CI, as a yes; NO_COLOR is what it obeys.
    env.FORCE_COLOR = '0';
    env.NO_COLOR = envValue('NO_COLOR') ?? '1';
  }

  const args = [
    'run',
    'build',
    'lint',
    'lint:root',
    'typecheck',
    'test',
    'test:scripts',
    '--continue',
    ...process.argv.slice(2),
  ];
  console.log(`test: turbo ${args.join(' ')}`);
  // The terminal's Ctrl-C reaches turbo directly; wait for it to finish and report its code.
  process.on('SIGINT', () => {});
  const code = await run(turboCommand(), args, { env });
  process.exit(code);
}

main().catch(exitWithError);
