// `npm start`, the README's command, as a local quick start (sandbox, generated key): it serves on
// 127.0.0.1 only, and a signal to npm's pid alone (not to its process group: what systemd and pm2
// send) stops every app and frees their ports. Real processes throughout: npm, the supervisor
// (scripts/start.mjs), the sandbox and the three apps, on ports of the test's own.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accepts,
  alive,
  canListen,
  childEnv,
  descendants,
  externalAddress,
  freePort,
  httpStatus,
  root,
  waitFor,
} from './support.mjs';

const APPS = [
  '@minapush/wechat-sandbox',
  '@minapush/ingest-api',
  '@minapush/token-refresher',
  '@minapush/dispatcher',
];
// The supervisor's own limit (STOP_TIMEOUT_MS, 20 s) plus room for a loaded two-core machine.
const STOP_WITHIN_MS = 90_000;
const START_WITHIN_MS = 240_000;

/**
 * The database of the test's minapush: its own, next to the test database. The dispatcher's
 * reconciler walks every app's rows, so it must not share a database with the suites beside it.
 */
function ownDatabaseUrl() {
  const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/minapush_test');
  url.pathname = `${url.pathname}_npm_start`;
  return url.toString();
}

/** `npm start` as a local quick start (no WECHAT_APPS, no API_KEYS), on free ports. */
async function startMinapush() {
  const ports = {
    api: await freePort(),
    refresher: await freePort(),
    dispatcher: await freePort(),
    sandbox: await freePort(),
  };
  const stateDir = mkdtempSync(path.join(tmpdir(), 'minapush-start-'));
  const env = childEnv({
    DATABASE_URL: ownDatabaseUrl(),
    PORT: String(ports.api),
    TOKEN_REFRESHER_PORT: String(ports.refresher),
    DISPATCHER_PORT: String(ports.dispatcher),
    SANDBOX_PORT: String(ports.sandbox),
    MINAPUSH_STATE_DIR: stateDir,
    QUEUE_PREFIX: `start-test-${randomBytes(4).toString('hex')}`,
    // Empty counts as unset, and a set variable wins over a developer's .env.
    WECHAT_APPS: '',
    WECHAT_API_BASE_URL: '',
    API_KEYS: '',
    SESSION_SECRET: '',
    ADMIN_USERNAME: '',
    ADMIN_PASSWORD: '',
    NODE_ENV: '',
    HOST: '',
  });
  const child = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const run = { child, ports, stateDir, output: '', pids: new Set() };
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      run.output += chunk;
    });
  }
  run.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return run;
}

/** Waits until every app answers on its port (and npm start says so), or npm start gives up. */
async function waitUntilServing(run) {
  const { ports } = run;
  const urls = [
    `http://127.0.0.1:${ports.sandbox}/__sandbox/apps/wxdemo0000000000`,
    `http://127.0.0.1:${ports.api}/healthz`,
    `http://127.0.0.1:${ports.refresher}/healthz`,
    `http://127.0.0.1:${ports.dispatcher}/healthz`,
  ];
  const serving = waitFor(
    'every app to answer',
    async () =>
      run.output.includes('minapush is running') &&
      (await Promise.all(urls.map(httpStatus))).every((status) => status === 200),
    START_WITHIN_MS,
  );
  const gaveUp = run.exited.then(({ code, signal }) => {
    throw new Error(`npm start exited (${signal ?? code}) before serving:\n${run.output}`);
  });
  await Promise.race([serving, gaveUp]);
}

function cleanUp(run) {
  if (!run) return;
  // Whatever a failed run left behind: the supervisor and the apps, each by its pid.
  for (const pid of [run.child.pid, ...run.pids]) {
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(run.stateDir, { recursive: true, force: true });
}

describe.skipIf(process.platform === 'win32').each(['SIGTERM', 'SIGINT'])(
  'npm start, then %s to the npm process only',
  (signal) => {
    let run;

    beforeAll(async () => {
      run = await startMinapush();
      await waitUntilServing(run);
      // npm, the supervisor and the apps below it, as they are before the signal.
      for (const pid of descendants(run.child.pid)) run.pids.add(pid);
    });

    afterAll(() => cleanUp(run));

    const external = externalAddress();
    it.skipIf(!external)(
      `serves on 127.0.0.1, not on this machine's other address (${external})`,
      async () => {
        for (const port of Object.values(run.ports)) {
          expect(await accepts(port, '127.0.0.1'), `port ${port} on 127.0.0.1`).toBe(true);
          expect(await accepts(port, external), `port ${port} on ${external}`).toBe(false);
        }
      },
    );

    it('generates local admin credentials, prints them with the admin URL, and they open /admin and Bull Board', async () => {
      const api = `http://127.0.0.1:${run.ports.api}`;
      expect(run.output).toContain(`admin view     ${api}/admin`);
      expect(run.output).toContain(`Bull Board     ${api}/admin/queues`);
      const [, username, password] = /admin login {4}(\S+) \/ (\S+)/.exec(run.output) ?? [];
      expect(username).toBe('admin');
      expect(password).toMatch(/^[\w-]{20,}$/);
      // kept beside the API key, so that a restart keeps the same login
      expect(readFileSync(path.join(run.stateDir, 'admin-password'), 'utf8').trim()).toBe(password);
      const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      for (const page of ['/admin', '/admin/queues']) {
        expect((await fetch(`${api}${page}`)).status, page).toBe(401);
        expect((await fetch(`${api}${page}`, { headers: { authorization } })).status, page).toBe(200);
      }
    });

    it('stops every app, each gracefully, and frees their ports', async () => {
      const { ports } = run;
      for (const app of APPS) expect(run.output).toContain(`start: ${app} (pid `);
      // The supervisor and one process per app at least.
      expect(run.pids.size).toBeGreaterThanOrEqual(1 + APPS.length);

      process.kill(run.child.pid, signal);

      const npmExited = () => run.child.exitCode !== null || run.child.signalCode !== null;
      const left = () => [...run.pids].filter(alive);
      const busy = async () => {
        const free = await Promise.all(Object.values(ports).map((port) => canListen(port, '127.0.0.1')));
        return Object.values(ports).filter((_, i) => !free[i]);
      };
      try {
        await waitFor(
          'npm, the supervisor and every app to exit and their ports to be free',
          async () => npmExited() && left().length === 0 && (await busy()).length === 0,
          STOP_WITHIN_MS,
        );
      } catch (error) {
        throw new Error(
          `${error.message}\n  npm exited: ${npmExited()}, processes left: ${left().join(', ') || 'none'}, ` +
            `ports busy: ${(await busy()).join(', ') || 'none'}\n${run.output}`,
        );
      }
      for (const app of APPS) expect(run.output).toContain(`start: ${app} stopped (code 0)`);
    });
  },
);
