// Helpers of the root scripts' tests: real processes, ports and conditions waited on.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The environment a child of a test starts from: this one without what npm and vitest put in it
 * (npm_* would steer a nested npm; NODE_ENV=test would steer start.mjs), plus `overrides`. A value
 * of undefined removes a variable.
 */
export function childEnv(overrides = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('npm_') || key === 'NODE_ENV' || key === 'VITEST' || key.startsWith('VITEST_'))
      continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Polls `check` until it returns a truthy value (returned) or `timeoutMs` passes (throws). */
export async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `gave up after ${timeoutMs / 1000}s waiting for ${what}${last ? ` (${last.message})` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A TCP port that nothing listens on right now. */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** True when a server of ours could listen on host:port (nothing else holds it). */
export function canListen(port, host) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** True when something accepts a TCP connection on host:port. */
export function accepts(port, host) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The status of GET url, or undefined when nothing answers. */
export async function httpStatus(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return undefined;
  }
}

/** True while a process with this pid exists (a zombie counts: it still holds its pid). */
export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Every process below `pid` (children, theirs, …), from `ps`. */
export function descendants(pid) {
  const table = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  const children = new Map();
  for (const line of table.split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (!child) continue;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(child);
  }
  const found = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** A non-loopback IPv4 address of this machine, if it has one. */
export function externalAddress() {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return undefined;
}

/**
 * A database URL of the caller's own next to the test database (`<name>_<suffix>`), dropped first:
 * the dispatcher's reconciler walks every app's rows, so a minapush of a test's own must not share
 * a database with the suites beside it, nor find an earlier run's messages.
 */
export async function freshDatabaseUrl(suffix) {
  const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/minapush_test');
  url.pathname = `${url.pathname}_${suffix}`;
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: maintenance.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${url.pathname.slice(1)}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  return url.toString();
}

/**
 * `npm start` as the README's local quick start (no WECHAT_APPS, so the sandbox with its demo app;
 * a generated API key), on free ports, with a state dir, queue prefix and database of its own.
 * Answers a handle: `output()`, `exited`, `ports`, `apiUrl`, `sandboxUrl`, `stateDir`, `env` (what
 * `npm start` got: a script run against it needs the same PORT, SANDBOX_PORT and state dir).
 */
export async function startQuickStart({ databaseUrl, env: extra = {} }) {
  const ports = {
    api: await freePort(),
    refresher: await freePort(),
    dispatcher: await freePort(),
    sandbox: await freePort(),
  };
  const stateDir = mkdtempSync(path.join(tmpdir(), 'minapush-start-'));
  const env = childEnv({
    DATABASE_URL: databaseUrl,
    PORT: String(ports.api),
    TOKEN_REFRESHER_PORT: String(ports.refresher),
    DISPATCHER_PORT: String(ports.dispatcher),
    SANDBOX_PORT: String(ports.sandbox),
    MINAPUSH_STATE_DIR: stateDir,
    QUEUE_PREFIX: `quick-start-${randomBytes(4).toString('hex')}`,
    // Empty counts as unset, and a set variable wins over a developer's .env.
    WECHAT_APPS: '',
    WECHAT_API_BASE_URL: '',
    API_KEYS: '',
    SESSION_SECRET: '',
    ADMIN_USERNAME: '',
    ADMIN_PASSWORD: '',
    MINAPUSH_URL: '',
    MINAPUSH_API_KEY: '',
    NODE_ENV: '',
    HOST: '',
    LOG_LEVEL: 'warn',
    ...extra,
  });
  const child = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      output += chunk;
    });
  }
  return {
    child,
    ports,
    stateDir,
    env,
    apiUrl: `http://127.0.0.1:${ports.api}`,
    sandboxUrl: `http://127.0.0.1:${ports.sandbox}`,
    output: () => output,
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
}

/** Waits until npm start says it runs and every app answers, or fails with its output. */
export async function waitUntilQuickStartServes(run, timeoutMs = 240_000) {
  const urls = [
    `${run.sandboxUrl}/__sandbox/apps/wxdemo0000000000`,
    `${run.apiUrl}/readyz`,
    `http://127.0.0.1:${run.ports.refresher}/readyz`,
    `http://127.0.0.1:${run.ports.dispatcher}/readyz`,
  ];
  const serving = waitFor(
    'every app of npm start to answer',
    async () =>
      run.output().includes('minapush is running') &&
      (await Promise.all(urls.map(httpStatus))).every((status) => status === 200),
    timeoutMs,
  );
  const gaveUp = run.exited.then(({ code, signal }) => {
    throw new Error(`npm start exited (${signal ?? code}) before serving:\n${run.output()}`);
  });
  await Promise.race([serving, gaveUp]);
}

/** Stops npm start as a user would (SIGTERM to npm), every process it started by its pid if need be. */
export async function stopQuickStart(run) {
  if (!run) return;
  const npm = run.child;
  if (npm.exitCode === null && npm.signalCode === null) {
    const pids = [npm.pid, ...descendants(npm.pid)];
    process.kill(npm.pid, 'SIGTERM');
    await waitFor('npm start to stop', () => pids.every((pid) => !alive(pid)), 90_000).catch(() => {
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    });
  }
  rmSync(run.stateDir, { recursive: true, force: true });
}
