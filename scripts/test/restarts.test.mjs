// Restarts under load, on real processes: `npm start` (the supervisor, the ingest API, the token
// refresher, the dispatcher) runs a 10,000-user broadcast while the test posts formIds to
// POST /v1/form-ids without pause, and then
//   (a) every Postgres connection of the apps is terminated, twice, a few seconds apart;
//   (b) every process of `npm start` is SIGKILLed, and `npm start` is run again.
// The broadcast must complete with exactly one delivery per user, and every formId answered 202
// must reach Postgres. The WeChat sandbox plays WeChat, which does not restart with minapush: the
// test runs it as a process of its own (npm start sees WECHAT_APPS set and starts none), so that
// its record of deliveries outlives the kills.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, childEnv, descendants, freePort, httpStatus, root, waitFor } from './support.mjs';

const USERS = 10_000;
const TEMPLATE = 'tmpl-restart';
const START_WITHIN_MS = 240_000;
const FINISH_WITHIN_MS = 300_000;
/** npm start (twice in b), seeding, a broadcast and its recovery, on a loaded two-core machine */
const TEST_TIMEOUT_MS = 900_000;
/** a request that takes longer than this is a hang */
const REQUEST_TIMEOUT_MS = 15_000;

/** A database of the test's own, dropped first: the dispatcher's reconciler walks every app's rows. */
async function freshDatabase(suffix) {
  const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/minapush_test');
  url.pathname = `${url.pathname}_${suffix}`;
  const name = url.pathname.slice(1);
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: maintenance.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  return { url: url.toString(), name, admin };
}

/** The sandbox, from its build, on a port of its own, with the app minapush will serve. */
async function startSandbox(run) {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: path.join(root, 'apps', 'wechat-sandbox'),
    env: childEnv({ SANDBOX_PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  run.processes.push(child);
  for (const stream of [child.stdout, child.stderr])
    stream.on('data', (chunk) => run.log(`sandbox | ${chunk}`));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'the sandbox to answer',
    async () => (await httpStatus(`${url}/__sandbox/apps/none`)) === 404,
    60_000,
  );
  const control = async (method, route, body) => {
    const response = await fetch(`${url}/__sandbox${route}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`sandbox ${method} ${route}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const app = await control('POST', '/apps', { templates: [{ id: TEMPLATE, kind: 'template' }] });
  return { url, app, control };
}

/** `npm start` with the test's app, key, ports, state dir, queue prefix and database. */
function startMinapush(run) {
  const child = spawn('npm', ['start'], { cwd: root, env: run.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const started = { child, output: '' };
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      started.output += chunk;
      run.log(chunk);
    });
  }
  started.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  run.minapush = started;
  return started;
}

async function waitUntilServing(run) {
  const started = run.minapush;
  const urls = [
    `${run.apiUrl}/readyz`,
    `http://127.0.0.1:${run.ports.refresher}/readyz`,
    `http://127.0.0.1:${run.ports.dispatcher}/readyz`,
  ];
  const serving = waitFor(
    'every app to be ready',
    async () =>
      started.output.includes('minapush is running') &&
      (await Promise.all(urls.map(httpStatus))).every((status) => status === 200),
    START_WITHIN_MS,
  );
  const gaveUp = started.exited.then(({ code, signal }) => {
    throw new Error(`npm start exited (${signal ?? code}) before serving:\n${run.tail()}`);
  });
  await Promise.race([serving, gaveUp]);
}

async function setUp(suffix) {
  const lines = [];
  const run = {
    processes: [],
    log: (chunk) => {
      lines.push(String(chunk));
      if (lines.length > 2_000) lines.splice(0, 1_000);
    },
    tail: () => lines.slice(-200).join(''),
    startedAt: Date.now(),
    /** progress on the test's output: where a run on a loaded machine spends its time */
    step: (what) => console.log(`restarts: ${((Date.now() - run.startedAt) / 1000).toFixed(1)}s ${what}`),
  };
  const database = await freshDatabase(suffix);
  run.database = database;
  run.sandbox = await startSandbox(run);
  run.ports = {
    api: await freePort(),
    refresher: await freePort(),
    dispatcher: await freePort(),
    // not the sandbox's: npm start must not start a sandbox of its own
    sandbox: await freePort(),
  };
  run.apiUrl = `http://127.0.0.1:${run.ports.api}`;
  run.apiKey = `mpk_test_${randomBytes(12).toString('hex')}`;
  run.stateDir = mkdtempSync(path.join(tmpdir(), 'minapush-restarts-'));
  run.env = childEnv({
    DATABASE_URL: database.url,
    PORT: String(run.ports.api),
    TOKEN_REFRESHER_PORT: String(run.ports.refresher),
    DISPATCHER_PORT: String(run.ports.dispatcher),
    SANDBOX_PORT: String(run.ports.sandbox),
    MINAPUSH_STATE_DIR: run.stateDir,
    QUEUE_PREFIX: `restarts-${randomBytes(4).toString('hex')}`,
    WECHAT_APPS: JSON.stringify([{ ...run.sandbox.app, tokenMode: 'stable', sendRatePerSecond: 1_000 }]),
    WECHAT_API_BASE_URL: run.sandbox.url,
    API_KEYS: run.apiKey,
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    NODE_ENV: '',
    HOST: '',
    LOG_LEVEL: 'warn',
    // A dead dispatcher's leases and job locks run out in seconds, not the production minute.
    MESSAGE_LEASE_MS: '5000',
    WECHAT_TIMEOUT_MS: '2000',
    JOB_LOCK_MS: '5000',
    RECONCILE_INTERVAL_MS: '500',
    RECONCILE_GRACE_MS: '2000',
  });
  return run;
}

async function tearDown(run) {
  if (!run) return;
  const npm = run.minapush?.child;
  if (npm && npm.exitCode === null && npm.signalCode === null) {
    const pids = [npm.pid, ...descendants(npm.pid)];
    process.kill(npm.pid, 'SIGTERM');
    await waitFor('npm start to stop', () => pids.every((pid) => !alive(pid)), 90_000).catch(() => {
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    });
  }
  for (const child of run.processes)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await run.pool?.end().catch(() => undefined);
  await run.database?.admin.end().catch(() => undefined);
  rmSync(run.stateDir, { recursive: true, force: true });
}

/** The test's own connections to the database: they are terminated with the apps', and that is fine. */
function databasePool(run) {
  run.pool ??= new pg.Pool({ connectionString: run.database.url, max: 2 });
  run.pool.on('error', () => undefined);
  return run.pool;
}

/** USERS users with one formId each: minted by the sandbox, stored as the credit intake would. */
async function seedUsers(run) {
  const prefix = `o-${randomBytes(4).toString('hex')}`;
  const openids = Array.from({ length: USERS }, (_, i) => `${prefix}-${String(i).padStart(6, '0')}`);
  const { appId } = run.sandbox.app;
  const minted = await run.sandbox.control('POST', `/apps/${appId}/form-ids/bulk`, { openids });
  const pool = databasePool(run);
  await pool.query(
    'INSERT INTO app_users (app_id, openid) SELECT $1, o FROM unnest($2::varchar[]) AS o ORDER BY o',
    [appId, openids],
  );
  await pool.query(
    `INSERT INTO send_credits (app_id, openid, kind, form_id, uses_left, captured_at, expires_at)
     SELECT $1, f.openid, 'form_id', f.form_id, 1, f.captured_at, f.captured_at + interval '7 days'
     FROM unnest($2::varchar[], $3::varchar[], $4::timestamptz[]) AS f(openid, form_id, captured_at)`,
    [
      appId,
      minted.formIds.map((f) => f.openid),
      minted.formIds.map((f) => f.formId),
      minted.formIds.map((f) => f.createdAt),
    ],
  );
  return openids;
}

/** One API request; a network error or a timeout is answered as `status: 'error' | 'timeout'`. */
async function api(run, method, route, body) {
  const sentAt = Date.now();
  try {
    const response = await fetch(`${run.apiUrl}${route}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${run.apiKey}` },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    return { sentAt, at: Date.now(), status: response.status, body: text ? JSON.parse(text) : undefined };
  } catch (error) {
    return { sentAt, at: Date.now(), status: error.name === 'TimeoutError' ? 'timeout' : 'error' };
  }
}

/**
 * Mini-program traffic: two clients posting 10 new formIds at a time, each for one of 50 users (not
 * the broadcast's), until stopped. Every formId of a 202 is remembered.
 */
function startIngestTraffic(run) {
  const traffic = { accepted: [], statuses: new Map(), running: true };
  const tag = randomBytes(4).toString('hex');
  let next = 0;
  const client = async () => {
    while (traffic.running) {
      const n = next++;
      const formIds = Array.from({ length: 10 }, (_, i) => `fi-${tag}-${n}-${i}`);
      const answer = await api(run, 'POST', '/v1/form-ids', { openid: `ingest-${tag}-${n % 50}`, formIds });
      traffic.statuses.set(answer.status, (traffic.statuses.get(answer.status) ?? 0) + 1);
      if (answer.status === 202) {
        expect(answer.body.accepted).toBe(formIds.length);
        traffic.accepted.push(...formIds);
      } else if (typeof answer.status !== 'number') {
        // nothing listens (b) or something hung (a): do not spin
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  const clients = [client(), client()];
  traffic.stop = async () => {
    traffic.running = false;
    await Promise.all(clients);
  };
  return traffic;
}

/** Reads the broadcast through the API, over and over, three at a time, until stopped: every answer kept. */
function startProbes(run, broadcastId) {
  const probes = { answers: [], running: true };
  const probe = async () => {
    while (probes.running) probes.answers.push(await api(run, 'GET', `/v1/broadcasts/${broadcastId}`));
  };
  const loops = [probe(), probe(), probe()];
  probes.stop = async () => {
    probes.running = false;
    await Promise.all(loops);
  };
  return probes;
}

async function startBroadcast(run, openids) {
  const created = await api(run, 'POST', '/v1/broadcasts', {
    kind: 'template',
    templateId: TEMPLATE,
    data: { keyword1: { value: 'restart' } },
    audience: { type: 'openids', openids },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(202);
  return created.body.id;
}

async function broadcastView(run, id) {
  const answer = await api(run, 'GET', `/v1/broadcasts/${id}`);
  return answer.status === 200 ? answer.body : undefined;
}

/** Waits until the broadcast has sent at least `count` messages (and is still going). */
function waitUntilSent(run, id, count) {
  return waitFor(
    `the broadcast to send ${count} messages`,
    async () => {
      const view = await broadcastView(run, id);
      return view && view.sent >= count ? view : undefined;
    },
    FINISH_WITHIN_MS,
  );
}

/** Waits for completion, then counts what the sandbox delivered and what Postgres kept. */
async function outcome(run, id, openids, traffic) {
  const done = await waitFor(
    'the broadcast to complete',
    async () => {
      const view = await broadcastView(run, id);
      return view?.status === 'completed' ? view : undefined;
    },
    FINISH_WITHIN_MS,
  );
  const pool = databasePool(run);
  const stored = async () =>
    (
      await pool.query(
        'SELECT count(*)::int AS n FROM send_credits WHERE app_id = $1 AND form_id = ANY($2)',
        [run.sandbox.app.appId, traffic.accepted],
      )
    ).rows[0].n;
  // The credit intake stores what it accepted in the background: wait for it, then count.
  await waitFor(
    'every formId answered 202 to be stored',
    async () => (await stored()) === traffic.accepted.length,
    FINISH_WITHIN_MS,
  ).catch(() => undefined);
  const storedFormIds = await stored();
  const { deliveries } = await run.sandbox.control('GET', `/apps/${run.sandbox.app.appId}/deliveries`);
  const perUser = new Map();
  for (const delivery of deliveries) perUser.set(delivery.openid, (perUser.get(delivery.openid) ?? 0) + 1);
  const counts = {
    broadcast: {
      status: done.status,
      total: done.total,
      sent: done.sent,
      failed: done.failed,
      skipped: done.skipped,
      unknown: done.unknown,
    },
    delivered: openids.filter((openid) => perUser.get(openid) === 1).length,
    undelivered: openids.filter((openid) => !perUser.has(openid)).length,
    duplicates: [...perUser.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0),
    strangers: [...perUser.keys()].filter((openid) => !openids.includes(openid)).length,
    formIdsAnswered202: traffic.accepted.length,
    formIdsLost: traffic.accepted.length - storedFormIds,
    formIdAnswers: Object.fromEntries(traffic.statuses),
  };
  return counts;
}

function expectEveryUserOnceAndNothingLost(counts) {
  expect(counts.broadcast).toMatchObject({ status: 'completed', total: USERS, sent: USERS });
  expect(counts.duplicates).toBe(0);
  expect(counts.undelivered).toBe(0);
  expect(counts.delivered).toBe(USERS);
  expect(counts.strangers).toBe(0);
  expect(counts.formIdsAnswered202).toBeGreaterThan(0);
  expect(counts.formIdsLost).toBe(0);
}

describe.skipIf(process.platform === 'win32')('restarts in the middle of a 10,000-user broadcast', () => {
  let run;
  afterEach(async () => {
    await tearDown(run);
    run = undefined;
  });

  it(
    '(a) every Postgres connection of the apps terminated twice: 503s meanwhile, recovery by itself, nothing lost',
    async () => {
      run = await setUp('restarts_pg');
      startMinapush(run);
      await waitUntilServing(run);
      run.step('npm start is serving');
      const openids = await seedUsers(run);
      run.step(`${USERS} users seeded`);
      const traffic = startIngestTraffic(run);
      const id = await startBroadcast(run, openids);
      const probes = startProbes(run, id);

      const terminate = async () => {
        const { rows } = await run.database.admin.query(
          'SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [run.database.name],
        );
        return rows.length;
      };
      const kills = [];
      /** from the kill to the first 2xx of a request sent after it */
      const recovery = async (kill) => {
        const first = await waitFor(
          'the API to answer 2xx again',
          () =>
            probes.answers.find(
              (answer) =>
                answer.sentAt >= kill.at && typeof answer.status === 'number' && answer.status < 300,
            ),
          60_000,
        );
        kill.recoveredInMs = first.at - kill.at;
      };
      let sentBefore = (await waitUntilSent(run, id, 1_500)).sent;
      for (let round = 0; round < 2; round += 1) {
        const kill = { at: Date.now(), sentBefore };
        kill.connections = await terminate();
        kills.push(kill);
        run.step(`terminated ${kill.connections} connections at ${sentBefore} sent`);
        await recovery(kill);
        run.step(`the API answered 2xx again after ${kill.recoveredInMs} ms`);
        // the next kill when the broadcast has gone on a good way (a few seconds at 1,000/s)
        if (round === 0) sentBefore = (await waitUntilSent(run, id, sentBefore + 2_000)).sent;
      }
      // Both kills hit a running broadcast.
      expect(kills.every((kill) => kill.sentBefore < USERS)).toBe(true);
      await traffic.stop();
      const counts = await outcome(run, id, openids, traffic);
      run.step('the broadcast completed');
      await probes.stop();

      const probeAnswers = {};
      for (const answer of probes.answers)
        probeAnswers[answer.status] = (probeAnswers[answer.status] ?? 0) + 1;
      for (const kill of kills) {
        kill.answered503 = probes.answers.filter(
          (a) => a.status === 503 && a.at >= kill.at && a.at <= kill.at + kill.recoveredInMs,
        ).length;
      }
      console.log('restarts (a): Postgres connections terminated', {
        ...counts,
        kills: kills.map(({ connections, sentBefore, recoveredInMs, answered503 }) => ({
          connections,
          sentBefore,
          recoveredInMs,
          answered503,
        })),
        probeAnswers,
      });
      expectEveryUserOnceAndNothingLost(counts);
      // The API answered every request: 2xx or 503, never a 500, never a hang or a dropped connection.
      expect(Object.keys(probeAnswers).filter((status) => status !== '200' && status !== '503')).toEqual([]);
      expect(
        Object.keys(counts.formIdAnswers).filter((status) => status !== '202' && status !== '503'),
      ).toEqual([]);
      expect(kills.every((kill) => kill.connections > 0)).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '(b) every process of npm start SIGKILLed and npm start run again: the broadcast completes, nothing lost',
    async () => {
      run = await setUp('restarts_kill');
      const first = startMinapush(run);
      await waitUntilServing(run);
      run.step('npm start is serving');
      const openids = await seedUsers(run);
      run.step(`${USERS} users seeded`);
      const traffic = startIngestTraffic(run);
      const id = await startBroadcast(run, openids);

      const sentBefore = (await waitUntilSent(run, id, 2_000)).sent;
      const pids = [first.child.pid, ...descendants(first.child.pid)];
      // npm, the supervisor and the four apps below it (three here: the sandbox is the test's)
      expect(pids.length).toBeGreaterThanOrEqual(5);
      const killedAt = Date.now();
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      run.step(`SIGKILLed ${pids.length} processes at ${sentBefore} sent`);
      await waitFor('every process of npm start to die', () => pids.every((pid) => !alive(pid)), 30_000);
      const pool = databasePool(run);
      const { rows } = await pool.query(
        `SELECT status, count(*)::int AS n FROM messages WHERE broadcast_id = $1::uuid GROUP BY status`,
        [id],
      );
      const atKill = Object.fromEntries(rows.map((row) => [row.status, row.n]));
      expect(atKill.sent ?? 0).toBeLessThan(USERS);

      startMinapush(run);
      await waitUntilServing(run);
      run.step('npm start is serving again');
      const restartedInMs = Date.now() - killedAt;
      // some traffic answered by the restarted API before it stops
      const acceptedBeforeRestart = traffic.accepted.length;
      await waitFor(
        'the restarted API to accept formIds',
        () => traffic.accepted.length > acceptedBeforeRestart,
        60_000,
      );
      await traffic.stop();
      const counts = await outcome(run, id, openids, traffic);
      run.step('the broadcast completed');
      console.log('restarts (b): npm start SIGKILLed and run again', {
        ...counts,
        sentBefore,
        messagesAtKill: atKill,
        processesKilled: pids.length,
        restartedInMs,
      });
      expectEveryUserOnceAndNothingLost(counts);
    },
    TEST_TIMEOUT_MS,
  );
});
