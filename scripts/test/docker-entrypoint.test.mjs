// docker/entrypoint.sh, the container image's command layer, run here as the image runs it (no
// Docker engine needed): each app name starts that app with its own package.json `start` script, in
// the process the entrypoint was started as (so `docker stop`'s SIGTERM reaches the app itself);
// `migrate` migrates the database of DATABASE_URL and nothing else; anything unknown is a usage
// error.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, freePort, httpStatus, root, waitFor } from './support.mjs';

const ENTRYPOINT = path.join(root, 'docker', 'entrypoint.sh');
const suffix = randomBytes(4).toString('hex');
const queuePrefix = `entrypoint-test-${suffix}`;

/** Process groups of the entrypoints started, killed after each test whatever it found. */
const groups = new Set();

/** The entrypoint as a child process in a process group of its own, its output collected. */
function entrypoint(args, env) {
  const child = spawn('sh', [ENTRYPOINT, ...args], {
    cwd: root,
    env: childEnv({ LOG_LEVEL: 'warn', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  groups.add(child.pid);
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      output += chunk;
    });
  }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => output };
}

/** The command line of a running process, from /proc. */
function commandLine(pid) {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

/** The arguments after `node` of an app's `start` script. */
function startArguments(app) {
  const manifest = JSON.parse(readFileSync(path.join(root, 'apps', app, 'package.json'), 'utf8'));
  const [command, ...args] = manifest.scripts.start.split(/\s+/);
  expect(command).toBe('node');
  return args;
}

const database = (() => {
  const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/minapush_test');
  url.pathname = `/minapush_entrypoint_${suffix}`;
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  return { url: url.toString(), name: url.pathname.slice(1), maintenance: maintenance.toString() };
})();

async function asAdmin(sql) {
  const client = new pg.Client({ connectionString: database.maintenance });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

afterEach(() => {
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  groups.clear();
});

beforeAll(async () => {
  await asAdmin(`DROP DATABASE IF EXISTS "${database.name}" WITH (FORCE)`);
});

afterAll(async () => {
  await asAdmin(`DROP DATABASE IF EXISTS "${database.name}" WITH (FORCE)`);
  // the dispatcher's queues and schedules, under this test's own prefix only
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
  await redis.connect();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
});

describe.skipIf(process.platform === 'win32')('docker/entrypoint.sh', () => {
  it('refuses no command and an unknown one with its usage (exit 2)', async () => {
    for (const args of [[], ['dispatchr'], ['../apps/dispatcher']]) {
      const run = entrypoint(args);
      expect((await run.exited).code).toBe(2);
      expect(run.output()).toContain('usage: <image> ingest-api | token-refresher | dispatcher');
    }
  });

  it('runs any other command as it is', async () => {
    const run = entrypoint(['node', '-e', 'process.stdout.write("ran " + process.argv[1])', 'as-is']);
    expect((await run.exited).code).toBe(0);
    expect(run.output()).toBe('ran as-is');
  });

  it('migrate: creates and migrates the database of DATABASE_URL, and checks its tables', async () => {
    const run = entrypoint(['migrate'], { DATABASE_URL: database.url });
    const { code } = await run.exited;
    expect(code, run.output()).toBe(0);
    expect(run.output()).toContain(`created database ${database.name}`);
    expect(run.output()).toMatch(/verified: \d+ tables and (\d+)\/\1 migrations/);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('messages', 'send_credits', 'broadcasts')",
      );
      expect(rows[0].n).toBe(3);
    } finally {
      await client.end();
    }
  });

  it('migrate: a Postgres that does not answer is an error, with no fallback to a local server', async () => {
    const port = await freePort();
    const run = entrypoint(['migrate'], {
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/minapush`,
      MIGRATE_WAIT_SECONDS: '1',
    });
    expect((await run.exited).code).toBe(1);
    expect(run.output()).toContain('did not answer within 1 s');
    expect(run.output()).toContain('nothing was migrated');
    expect(run.output()).not.toMatch(/embedded|docker compose|applying prisma/);
  });

  it('wechat-sandbox: the app runs in the entrypoint’s own process, from its start script, and SIGTERM stops it', async () => {
    const port = await freePort();
    const run = entrypoint(['wechat-sandbox'], { HOST: '127.0.0.1', SANDBOX_PORT: String(port) });
    await waitFor(
      'the sandbox to answer',
      async () => (await httpStatus(`http://127.0.0.1:${port}/cgi-bin/token`)) === 200,
      60_000,
    );
    expect(commandLine(run.child.pid).slice(1)).toEqual(startArguments('wechat-sandbox'));
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
  });

  // Uses the database the migrate test made.
  it('dispatcher: started with the flags of its start script (heap limits), ready on Postgres and Redis', async () => {
    const port = await freePort();
    const run = entrypoint(['dispatcher'], {
      HOST: '127.0.0.1',
      DISPATCHER_PORT: String(port),
      DATABASE_URL: database.url,
      QUEUE_PREFIX: queuePrefix,
      WECHAT_APPS: JSON.stringify([{ appId: `wxentry${suffix}`, secret: 'unused' }]),
      // never called: no message is queued
      WECHAT_API_BASE_URL: `http://127.0.0.1:${await freePort()}`,
    });
    await waitFor(
      `the dispatcher's /readyz (${run.output()})`,
      async () => (await httpStatus(`http://127.0.0.1:${port}/readyz`)) === 200,
      90_000,
    );
    const args = startArguments('dispatcher');
    expect(args).toContain('--max-old-space-size=160');
    expect(commandLine(run.child.pid).slice(1)).toEqual(args);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });
});
