#!/usr/bin/env node
// `npm start`: from a fresh clone to a running minapush. Installs dependencies when needed, finds
// or starts Postgres and Redis, creates and migrates the database, builds the apps, and runs every
// app under apps/ that has a `start` script and a built dist/main.js, with their output prefixed.
// Without WECHAT_APPS it runs the WeChat sandbox first, with a demo app, and points the others at it.
//
// package.json runs it as `exec node scripts/start.mjs`. npm runs a script through `sh -c` and passes
// SIGTERM and SIGINT on to that shell only; dash (Debian's sh) neither execs a lone command nor
// passes signals to it: SIGTERM killed the shell and left this supervisor and every app running,
// SIGINT waited for them. With `exec` this process is npm's child, so the signal that systemd or
// pm2 sends to npm's pid reaches the Supervisor below, which stops the apps and then exits.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import {
  ensureDependencies,
  envValue,
  exitWithError,
  listApps,
  loadDotEnv,
  localSecret,
  root,
  run,
  SetupError,
  turboCommand,
} from './workspace.mjs';

const SANDBOX = '@minapush/wechat-sandbox';
const INGEST_API = '@minapush/ingest-api';
const CLI = '@minapush/cli';
const DEMO_APP_ID = 'wxdemo0000000000';
/** A second signal within this window is the same Ctrl-C (npm forwards the one the terminal sent). */
const SAME_SIGNAL_MS = 1500;
const STOP_TIMEOUT_MS = 20_000;
/** Where the apps listen when HOST is unset (their default, in @minapush/config): this machine only. */
const DEFAULT_HOST = '127.0.0.1';

const useColor = process.stdout.isTTY && !envValue('NO_COLOR') && envValue('FORCE_COLOR') !== '0';
const paint = (code, text) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
const bold = (text) => paint('1', text);

async function main() {
  const loaded = loadDotEnv();
  if (loaded.length > 0) console.log(`env: read ${loaded.join(', ')} from .env`);
  const production = envValue('NODE_ENV') === 'production';
  if (production) {
    refuseLocalStandIns();
    if (!adminConfigured()) {
      console.log(
        'admin: ADMIN_USERNAME and ADMIN_PASSWORD are not both set, so /admin and Bull Board stay disabled (they answer 503).\n' +
          '       NODE_ENV=production generates no admin credentials: set both to enable them.',
      );
    }
  }
  await ensureDependencies();
  const { ensureDatabase, ensurePostgres, ensureRedis, migrate } = await import('./services.mjs');

  const databaseUrl = await ensurePostgres(envValue('DATABASE_URL'));
  const redisUrl = await ensureRedis(envValue('REDIS_URL'));
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl);

  // Apps that are only a manifest so far (a later issue writes them) are skipped, not built.
  const apps = listApps();
  const candidates = [];
  for (const app of apps) {
    if (!app.startScript) console.log(`apps: skipping ${app.name}: no start script`);
    else if (!app.hasSource) console.log(`apps: skipping ${app.name}: not written yet (no src/main.ts)`);
    else candidates.push(app);
  }
  if (candidates.length === 0)
    throw new SetupError('apps: nothing to start (no app under apps/ has src/main.ts)');
  // The command line too, so that `npx minapush` (and `npm run demo`) work while minapush runs.
  const cli = existsSync(path.join(root, 'packages', 'cli', 'package.json')) ? [CLI] : [];
  console.log(
    `build: turbo run build for ${[...candidates.map((app) => app.label), ...cli.map(() => 'cli')].join(', ')} and the packages they use`,
  );
  const filters = [...candidates.map((app) => app.name), ...cli].map((name) => `--filter=${name}`);
  const built = await run(turboCommand(), ['run', 'build', ...filters, '--output-logs=errors-only'], {
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: envValue('TURBO_TELEMETRY_DISABLED') ?? '1' },
  });
  if (built !== 0)
    throw new SetupError(`build: failed (exit ${built}); fix the errors above and run npm start again`);

  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
  };

  // Each app listens on HOST itself (its src/config.ts reads it); this is where we reach them.
  const host = envValue('HOST') ?? DEFAULT_HOST;
  const hostInUrl = reachableHost(host);
  const sandboxPort = Number(envValue('SANDBOX_PORT') ?? 3900);
  const sandboxUrl = `http://${hostInUrl}:${sandboxPort}`;
  const useDemoApp = envValue('WECHAT_APPS') === undefined;
  if (useDemoApp) {
    const demo = { appId: DEMO_APP_ID, secret: randomBytes(16).toString('hex') };
    env.WECHAT_APPS = JSON.stringify([demo]);
    env.WECHAT_API_BASE_URL = sandboxUrl;
    env.SANDBOX_DEMO_APP = JSON.stringify(demo);
    console.log(
      `wechat: WECHAT_APPS is not set, so minapush runs against the local WeChat sandbox (${sandboxUrl})\n` +
        `        with a demo app ${DEMO_APP_ID} (its secret is new on every run). Nothing reaches real WeChat users.\n` +
        `        To use a real mini-program, set WECHAT_APPS='[{"appId":"wx…","secret":"…"}]' in .env (see .env.example).`,
    );
  }
  const sandboxNeeded = useDemoApp || isLocalUrl(env.WECHAT_API_BASE_URL, sandboxPort, hostInUrl);

  if (envValue('SESSION_SECRET') === undefined) {
    const secret = localSecret('session-secret', () => randomBytes(32).toString('base64url'));
    env.SESSION_SECRET = secret.value;
    console.log(
      `secret: SESSION_SECRET is not set: using the one ${secret.created ? 'just generated in' : 'kept in'} ` +
        `${shown(secret.path)} (kept so that session tokens survive restarts)`,
    );
  }
  let localApiKey;
  if (envValue('API_KEYS') === undefined) {
    const key = localSecret('api-key', () => `mpk_local_${randomBytes(24).toString('base64url')}`);
    env.API_KEYS = key.value;
    localApiKey = key;
  }

  // Local admin credentials, as the API key: generated once, kept in the state dir, printed below.
  // Never in production, where an operator sets them or the admin stays disabled.
  let localAdmin;
  if (!production && envValue('ADMIN_PASSWORD') === undefined) {
    const password = localSecret('admin-password', () => randomBytes(18).toString('base64url'));
    env.ADMIN_USERNAME = envValue('ADMIN_USERNAME') ?? 'admin';
    env.ADMIN_PASSWORD = password.value;
    localAdmin = { username: env.ADMIN_USERNAME, password: password.value, path: password.path };
  } else if (!production && envValue('ADMIN_USERNAME') === undefined) {
    env.ADMIN_USERNAME = 'admin';
  }

  const startable = [];
  const afterBuild = listApps();
  for (const app of candidates.map((candidate) => afterBuild.find((a) => a.dir === candidate.dir))) {
    if (!app.built) console.log(`apps: skipping ${app.name}: the build made no dist/main.js`);
    else if (app.name === SANDBOX && !sandboxNeeded)
      console.log(`apps: not starting ${app.name}: WECHAT_APPS is set`);
    else startable.push(app);
  }
  const sandbox = startable.find((app) => app.name === SANDBOX);
  if (useDemoApp && !sandbox) {
    throw new SetupError(
      `wechat: WECHAT_APPS is not set and ${SANDBOX} is not built, so there is no WeChat to talk to.\n` +
        '  Set WECHAT_APPS (see .env.example) or make the sandbox build.',
    );
  }
  const others = startable.filter((app) => app !== sandbox);
  if (others.length === 0) throw new SetupError('apps: nothing to start (no app under apps/ is built)');

  const supervisor = new Supervisor(Math.max(...startable.map((app) => app.label.length)));
  if (sandbox) {
    supervisor.start(sandbox, {
      ...process.env,
      SANDBOX_PORT: String(sandboxPort),
      SANDBOX_DEMO_APP: env.SANDBOX_DEMO_APP,
    });
    await waitForSandbox(sandboxUrl, useDemoApp ? JSON.parse(env.SANDBOX_DEMO_APP) : undefined, supervisor);
  }
  if (supervisor.stopping) return;
  const api = others.find((app) => app.name === INGEST_API);
  for (const app of others) {
    // PORT is the ingest API's; another app that listens has a variable and a default of its own.
    const { PORT, ...withoutPort } = env;
    supervisor.start(app, app === api ? env : withoutPort);
  }

  const apiPort = Number(envValue('PORT') ?? 3000);
  const apiUrl = `http://${hostInUrl}:${apiPort}`;
  if (api) await waitForHttp(`${apiUrl}/healthz`, 30_000, supervisor);
  if (supervisor.stopping) return;

  const lines = [''];
  lines.push(bold(`minapush is running (${startable.map((app) => app.label).join(', ')})`));
  lines.push(
    host === DEFAULT_HOST
      ? `  listening on   ${host} only (HOST=0.0.0.0 opens minapush to the network)`
      : `  listening on   ${host} (HOST)`,
  );
  if (api) {
    lines.push(`  API            ${apiUrl}`);
    lines.push(`  API docs       ${apiUrl}/docs`);
    lines.push(`  readiness      ${apiUrl}/readyz`);
    const adminOff =
      env.ADMIN_USERNAME && env.ADMIN_PASSWORD ? '' : '  (off: set ADMIN_USERNAME and ADMIN_PASSWORD)';
    lines.push(`  admin view     ${apiUrl}/admin${adminOff}`);
    lines.push(`  Bull Board     ${apiUrl}/admin/queues${adminOff}`);
    if (localAdmin) {
      lines.push(`  admin login    ${localAdmin.username} / ${localAdmin.password}`);
      lines.push(
        `                 (your local admin password, kept in ${shown(localAdmin.path)}; set ADMIN_USERNAME and ADMIN_PASSWORD to use your own)`,
      );
    }
  }
  if (sandbox) {
    lines.push(
      `  WeChat sandbox ${sandboxUrl}  (control API: ${sandboxUrl}/__sandbox/apps/${useDemoApp ? DEMO_APP_ID : ':appId'})`,
    );
  }
  if (localApiKey) {
    lines.push(`  API key        ${localApiKey.value}`);
    lines.push(
      `                 (your local key, kept in ${shown(localApiKey.path)}; set API_KEYS to use your own)`,
    );
  }
  lines.push('Press Ctrl-C to stop.', '');
  console.log(lines.join('\n'));
}

/**
 * In production nothing may stand in, unasked, for real WeChat or for the keys that the operators
 * hand to their backends: a local run's sandbox would reach no user and a generated key would be
 * known to nobody. Checked before anything is installed or started, and every problem at once.
 */
function refuseLocalStandIns() {
  const problems = [];
  if (envValue('WECHAT_APPS') === undefined) {
    problems.push(
      '  - WECHAT_APPS is not set, so npm start would run the local WeChat sandbox and no message would reach a user.\n' +
        `    Fix: set WECHAT_APPS='[{"appId":"wx…","secret":"…"}]' (your mini-program's appId and AppSecret;\n` +
        '    .env.example shows every field) in the environment or in .env.',
    );
  }
  if (envValue('API_KEYS') === undefined) {
    problems.push(
      '  - API_KEYS is not set, so npm start would generate a key that none of your backends knows.\n' +
        '    Fix: set API_KEYS to the keys your backends present, comma-separated, e.g. API_KEYS=$(openssl rand -hex 32),\n' +
        '    in the environment or in .env.',
    );
  }
  if (problems.length === 0) return;
  throw new SetupError(
    [
      'start: NODE_ENV=production, so npm start neither runs the WeChat sandbox nor generates an API key:',
      ...problems,
      'To try minapush on this machine with the sandbox and a generated key, run npm start without NODE_ENV=production.',
    ].join('\n'),
  );
}

/** Both admin credentials are set (the ingest API enables /admin only then). */
function adminConfigured() {
  return envValue('ADMIN_USERNAME') !== undefined && envValue('ADMIN_PASSWORD') !== undefined;
}

/** A path inside the checkout relative to it, any other absolute. */
function shown(file) {
  const relative = path.relative(root, file);
  return relative.startsWith('..') ? file : relative;
}

function binDir(dir) {
  return path.join(dir, 'node_modules', '.bin');
}

/** The host part of a URL that reaches, from this machine, a server listening on `host`. */
function reachableHost(host) {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return reachable.includes(':') ? `[${reachable}]` : reachable;
}

/** True when `raw` points at the sandbox port on this machine. */
function isLocalUrl(raw, port, hostInUrl) {
  try {
    const url = new URL(raw);
    return ['127.0.0.1', 'localhost', '[::1]', hostInUrl].includes(url.hostname) && Number(url.port) === port;
  } catch {
    return false;
  }
}

/**
 * One HTTP request with node:http (fetch refuses some ports, such as 4190, that a user may pick).
 * Resolves with `{ status, ok }`, rejects when nothing answers.
 */
function request(url, { method = 'GET', body, timeoutMs = 1000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, headers: body ? { 'content-type': 'application/json' } : {} },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode, ok: res.statusCode >= 200 && res.statusCode < 300 });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timed out')));
    req.once('error', reject);
    req.end(body);
  });
}

async function waitForHttp(url, timeoutMs, supervisor) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !supervisor.stopping) {
    try {
      return await request(url);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  if (!supervisor.stopping) console.warn(`start: ${url} did not answer within ${timeoutMs / 1000}s`);
  return undefined;
}

/** Waits for the sandbox and makes sure the demo app exists (creating it when the env did not). */
async function waitForSandbox(baseUrl, demo, supervisor) {
  const answer = await waitForHttp(`${baseUrl}/__sandbox/apps/${demo?.appId ?? 'none'}`, 30_000, supervisor);
  if (!answer) {
    if (supervisor.stopping) return;
    throw new SetupError(`wechat: the sandbox did not answer on ${baseUrl}`);
  }
  if (!demo || answer.ok) return;
  const created = await request(`${baseUrl}/__sandbox/apps`, { method: 'POST', body: JSON.stringify(demo) });
  if (!created.ok)
    throw new SetupError(`wechat: could not create the demo app in the sandbox (HTTP ${created.status})`);
}

/** Runs the apps as children; one dying takes the others down, and signals are passed on. */
class Supervisor {
  children = new Map();
  stopping = false;
  exitCode = 0;
  lastSignalAt = 0;
  width = 0;

  constructor(width) {
    this.width = width;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => this.onSignal(signal));
    process.on('exit', () => {
      for (const child of this.children.values()) child.process.kill('SIGKILL');
    });
  }

  start(app, env) {
    const script = app.startScript.replace(/^node(?=\s)/, `"${process.execPath}"`);
    const isWindows = process.platform === 'win32';
    // Own process group: a Ctrl-C reaches only this supervisor, which stops the apps in order.
    const child = spawn(isWindows ? script : `exec ${script}`, {
      cwd: app.dir,
      env: { ...env, PATH: [binDir(app.dir), binDir(root), env.PATH ?? ''].join(path.delimiter) },
      shell: true,
      detached: !isWindows,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const color = [36, 35, 33, 32, 34][this.children.size % 5];
    const prefix = () => paint(String(color), `${app.label.padEnd(this.width)} |`);
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        (stream === child.stderr ? process.stderr : process.stdout).write(`${prefix()} ${line}\n`);
      });
    }
    this.children.set(app.name, { app, process: child });
    child.once('error', (error) => console.error(`${prefix()} could not start: ${error.message}`));
    // 'close', not 'exit': the last lines of its output are printed by then.
    child.once('close', (code, signal) => this.onExit(app, code, signal));
    console.log(`start: ${app.name} (pid ${child.pid})`);
    return child;
  }

  onExit(app, code, signal) {
    this.children.delete(app.name);
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (!this.stopping) {
      console.error(`start: ${app.name} exited unexpectedly (${how}); stopping the others`);
      this.exitCode = 1;
      this.stop('SIGTERM');
    } else {
      console.log(`start: ${app.name} stopped (${how})`);
      // A failing shutdown is a bug worth a non-zero exit; death by our own signal is not.
      if (code !== 0 && code !== null && this.exitCode === 0) this.exitCode = code;
    }
    this.continueStopping();
  }

  onSignal(signal) {
    const now = Date.now();
    if (this.stopping && now - this.lastSignalAt > SAME_SIGNAL_MS) {
      console.log('start: stopping now (second signal)');
      this.exitCode ||= 130;
      for (const child of this.children.values()) child.process.kill('SIGKILL');
      return;
    }
    this.lastSignalAt = now;
    if (this.stopping) return;
    console.log(`\nstart: ${signal}: stopping the apps (again to force)`);
    this.stop(signal);
  }

  /** The sandbox goes last: the others may still be talking to it while they shut down. */
  stop(signal) {
    this.stopping = true;
    this.stopSignal = signal;
    setTimeout(() => {
      for (const child of this.children.values()) {
        console.log(`start: ${child.app.name} did not stop in ${STOP_TIMEOUT_MS / 1000}s; killing it`);
        child.process.kill('SIGKILL');
      }
    }, STOP_TIMEOUT_MS).unref();
    this.continueStopping();
  }

  continueStopping() {
    if (!this.stopping) return;
    if (this.children.size === 0) process.exit(this.exitCode);
    const others = [...this.children.values()].filter((child) => child.app.name !== SANDBOX);
    const targets = others.length > 0 ? others : [...this.children.values()];
    for (const child of targets) {
      if (child.signalled) continue;
      child.signalled = true;
      child.process.kill(this.stopSignal);
    }
  }
}

main().catch(exitWithError);
