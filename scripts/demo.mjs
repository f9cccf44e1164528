#!/usr/bin/env node
// `npm run demo`: with `npm start` running against its WeChat sandbox, make 10,000 users who each
// handed over formIds and accepted the demo subscribe template, then broadcast to them through the
// command line (`minapush broadcast create --watch`) with its live progress bar, and print the
// final counts and where to look next. Each run makes new users, so it can run again and again.
//
// The users come the way real ones do, except for WeChat itself: the sandbox's control API mints
// their formIds and records their accept (in bulk), and minapush gets them through its public API
// (POST /v1/form-ids and POST /v1/subscriptions with the API key, many requests at a time).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import {
  envValue,
  exitWithError,
  loadDotEnv,
  root,
  run,
  SetupError,
  stateDir,
  turboCommand,
} from './workspace.mjs';

export const DEMO_APP_ID = 'wxdemo0000000000';
export const DEMO_TEMPLATE = 'demo-subscribe-order';
const DEFAULT_USERS = 10_000;
/** a broadcast's openids audience takes at most this many */
const MAX_USERS = 100_000;
const FORM_IDS_PER_USER = 2;
/** requests to minapush in flight at once */
const CONCURRENCY = 32;
/** the sandbox's bulk routes take this many openids per call */
const SANDBOX_BULK_OPENIDS = 10_000;
const CREDITS_STORED_WITHIN_MS = 300_000;
const CLI_BIN = path.join(root, 'packages', 'cli', 'bin', 'minapush.js');
const CLI_BUILT = path.join(root, 'packages', 'cli', 'dist', 'main.js');

/** Where npm start serves (the same variables and defaults as scripts/start.mjs) and its API key. */
export function demoTargets() {
  const host = envValue('HOST') ?? '127.0.0.1';
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const hostInUrl = reachable.includes(':') ? `[${reachable}]` : reachable;
  const apiUrl = (envValue('MINAPUSH_URL') ?? `http://${hostInUrl}:${envValue('PORT') ?? 3000}`).replace(
    /\/+$/,
    '',
  );
  const sandboxUrl = `http://${hostInUrl}:${envValue('SANDBOX_PORT') ?? 3900}`;
  let apiKey = envValue('MINAPUSH_API_KEY') ?? envValue('API_KEYS')?.split(',')[0]?.trim();
  const keyFile = path.join(stateDir, 'api-key');
  if (!apiKey && existsSync(keyFile)) apiKey = readFileSync(keyFile, 'utf8').trim() || undefined;
  return { apiUrl, sandboxUrl, apiKey };
}

/**
 * One JSON request with undici (fetch refuses some ports a user may pick, such as 4190). Answers
 * `{ status, body }`; rejects only when nothing answers.
 */
async function call(dispatcher, method, url, body, headers = {}) {
  const { request } = await import('undici');
  const response = await request(url, {
    method,
    dispatcher,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  const text = await response.body.text();
  let parsed;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.statusCode, body: parsed };
}

function refusal(answer) {
  const error = answer.body?.error;
  return error ? `${error.code}: ${error.message}` : `HTTP ${answer.status} ${JSON.stringify(answer.body)}`;
}

/**
 * The status of GET url, or undefined when nothing answers: node:http only, so that the check runs
 * (and says what to do) even in a fresh clone where npm start has not installed anything yet.
 */
function probe(url) {
  return new Promise((resolve) => {
    const request = http.get(url, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.setTimeout(5_000, () => request.destroy());
    request.once('error', () => resolve(undefined));
  });
}

/** Says how to start minapush when it does not answer, or when it does not run the sandbox. */
export async function checkRunning({ apiUrl, sandboxUrl, apiKey }) {
  const startHint =
    'Start it in another terminal with `npm start`, wait for "minapush is running", then run `npm run demo` again.';
  if ((await probe(`${apiUrl}/healthz`)) !== 200) {
    throw new SetupError(
      `demo: minapush is not running: nothing answers on ${apiUrl}/healthz.\n  ${startHint}\n` +
        '  (It listens on PORT, default 3000; set MINAPUSH_URL if yours is elsewhere.)',
    );
  }
  if ((await probe(`${sandboxUrl}/__sandbox/apps/${DEMO_APP_ID}`)) !== 200) {
    throw new SetupError(
      `demo: the WeChat sandbox with the demo app ${DEMO_APP_ID} does not answer on ${sandboxUrl}.\n` +
        "  The demo runs against npm start's local sandbox, which npm start runs when WECHAT_APPS is not set\n" +
        '  (it never messages real WeChat users). Unset WECHAT_APPS (and WECHAT_API_BASE_URL), restart npm start,\n' +
        '  and run `npm run demo` again. SANDBOX_PORT moves the sandbox (default 3900).',
    );
  }
  if (!apiKey) {
    throw new SetupError(
      `demo: no API key: set MINAPUSH_API_KEY to one of the server's API_KEYS (npm start keeps its local key in ${path.join(stateDir, 'api-key')}).`,
    );
  }
}

/**
 * `users` new users of the demo app, each with FORM_IDS_PER_USER formIds and one accept of
 * `templateId`: minted by the sandbox in bulk, handed to minapush through its API. Answers their
 * openids and how many requests minapush answered.
 */
export async function seedDemoUsers({ apiUrl, sandboxUrl, apiKey, users, templateId = DEMO_TEMPLATE, log }) {
  const { Pool } = await import('undici');
  const run = randomBytes(3).toString('hex');
  const openids = Array.from({ length: users }, (_, i) => `demo-${run}-${String(i).padStart(5, '0')}`);
  const sandbox = `${sandboxUrl}/__sandbox/apps/${DEMO_APP_ID}`;

  const minting = Date.now();
  const formIds = new Map();
  for (let start = 0; start < users; start += SANDBOX_BULK_OPENIDS) {
    const slice = openids.slice(start, start + SANDBOX_BULK_OPENIDS);
    const minted = await call(undefined, 'POST', `${sandbox}/form-ids/bulk`, {
      openids: slice,
      count: FORM_IDS_PER_USER,
    });
    if (minted.status !== 201)
      throw new SetupError(`demo: the sandbox refused to mint formIds: ${refusal(minted)}`);
    for (const { openid, formId } of minted.body.formIds) {
      if (!formIds.has(openid)) formIds.set(openid, []);
      formIds.get(openid).push(formId);
    }
    const accepted = await call(undefined, 'POST', `${sandbox}/subscriptions/bulk`, {
      openids: slice,
      templateId,
    });
    if (accepted.status !== 201) {
      throw new SetupError(`demo: the sandbox refused to record the accepts: ${refusal(accepted)}`);
    }
  }
  log?.(
    `the sandbox made ${users} users, ${FORM_IDS_PER_USER} formIds each and their accept of ${templateId} ` +
      `(${((Date.now() - minting) / 1000).toFixed(1)} s)`,
  );

  // What the mini-program would hand over for each user: its formIds, then its subscribe result.
  const requests = openids.flatMap((openid) => [
    ['/v1/form-ids', { appId: DEMO_APP_ID, openid, formIds: formIds.get(openid) }],
    ['/v1/subscriptions', { appId: DEMO_APP_ID, openid, results: { [templateId]: 'accept' } }],
  ]);
  const pool = new Pool(apiUrl, { connections: CONCURRENCY, pipelining: 1 });
  const handing = Date.now();
  let next = 0;
  let answered = 0;
  const headers = { authorization: `Bearer ${apiKey}` };
  const worker = async () => {
    while (next < requests.length) {
      const [route, body] = requests[next++];
      for (let attempt = 1; ; attempt += 1) {
        const answer = await call(pool, 'POST', `${apiUrl}${route}`, body, headers);
        if (answer.status === 202) break;
        // 503: a dependency of the API is briefly down; anything else is a real refusal
        if (answer.status !== 503 || attempt === 5) {
          throw new SetupError(`demo: POST ${route} answered ${answer.status}: ${refusal(answer)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
      answered += 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    await pool.close();
  }
  const seconds = (Date.now() - handing) / 1000;
  log?.(
    `handed them to minapush: ${answered} requests (POST /v1/form-ids and /v1/subscriptions, ` +
      `${CONCURRENCY} at a time) in ${seconds.toFixed(1)} s, ${Math.round(answered / seconds)} requests/s`,
  );
  return { openids, requests: answered };
}

/** GET /v1/apps/:appId/inventory, or undefined when this server has no such route. */
export async function readInventory({ apiUrl, apiKey }) {
  const answer = await call(undefined, 'GET', `${apiUrl}/v1/apps/${DEMO_APP_ID}/inventory`, undefined, {
    authorization: `Bearer ${apiKey}`,
  });
  if (answer.status === 404 && answer.body?.error?.code === 'not_found') return undefined;
  if (answer.status !== 200) throw new SetupError(`demo: GET inventory answered ${refusal(answer)}`);
  return answer.body;
}

/**
 * minapush stores handed-over credits in the background (the credit-ingest queue): waits until the
 * inventory counts `users` more users reachable by the template than `before` did.
 */
export async function waitForCredits({ apiUrl, apiKey, users, before, templateId = DEMO_TEMPLATE, log }) {
  const target = (before?.reachableBySubscribe?.[templateId] ?? 0) + users;
  const deadline = Date.now() + CREDITS_STORED_WITHIN_MS;
  const waiting = Date.now();
  for (;;) {
    const inventory = await readInventory({ apiUrl, apiKey });
    if (!inventory) {
      log?.(
        'this server cannot tell its inventory (no GET /v1/apps/:appId/inventory): not waiting for the credits',
      );
      return;
    }
    const reachable = inventory.reachableBySubscribe?.[templateId] ?? 0;
    if (reachable >= target) {
      log?.(
        `minapush stored every credit: ${reachable} users reachable by ${templateId}, ` +
          `${inventory.reachableByFormId} by formId (${((Date.now() - waiting) / 1000).toFixed(1)} s)`,
      );
      return;
    }
    if (Date.now() > deadline) {
      throw new SetupError(
        `demo: after ${CREDITS_STORED_WITHIN_MS / 1000} s minapush has stored the credits of ${reachable - (target - users)} ` +
          `of ${users} users; is the ingest API's credit worker running? (see npm start's output)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Builds the command line if this checkout has not built it yet (npm start builds it too). */
async function ensureCliBuilt() {
  if (existsSync(CLI_BUILT)) return;
  console.log('demo: building the command line (turbo run build --filter=@minapush/cli)');
  const code = await run(
    turboCommand(),
    ['run', 'build', '--filter=@minapush/cli', '--output-logs=errors-only'],
    {
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: envValue('TURBO_TELEMETRY_DISABLED') ?? '1' },
    },
  );
  if (code !== 0) throw new SetupError(`demo: building the command line failed (exit ${code})`);
}

/**
 * Runs the built CLI with the user's terminal as its stderr (the progress bar draws there) and
 * its stdout passed through line by line; answers its exit code and stdout.
 */
export function runMinapushCli(args, { apiUrl, apiKey, onLine }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: root,
      env: { ...process.env, MINAPUSH_URL: apiUrl, MINAPUSH_API_KEY: apiKey },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      stdout += `${line}\n`;
      onLine?.(line);
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), stdout }));
  });
}

function parseUsers(argv) {
  const index = argv.indexOf('--users');
  if (index === -1) return DEFAULT_USERS;
  const users = Number(argv[index + 1]);
  if (!Number.isInteger(users) || users < 1 || users > MAX_USERS) {
    throw new SetupError(`demo: --users must be a whole number from 1 to ${MAX_USERS}`);
  }
  return users;
}

async function main() {
  loadDotEnv();
  const users = parseUsers(process.argv.slice(2));
  const targets = demoTargets();
  await checkRunning(targets);
  await ensureCliBuilt();
  const started = Date.now();
  const log = (text) => console.log(`demo: ${text}`);
  log(`minapush at ${targets.apiUrl}, WeChat sandbox at ${targets.sandboxUrl}, app ${DEMO_APP_ID}`);

  const before = await readInventory(targets);
  const { openids } = await seedDemoUsers({ ...targets, users, log });
  await waitForCredits({ ...targets, users, before, log });

  const dir = mkdtempSync(path.join(tmpdir(), 'minapush-demo-'));
  try {
    const audience = path.join(dir, 'openids.txt');
    writeFileSync(audience, `${openids.join('\n')}\n`);
    const args = [
      'broadcast',
      'create',
      '--app',
      DEMO_APP_ID,
      '--kind',
      'subscribe',
      '--template',
      DEMO_TEMPLATE,
      '--data',
      'thing1=Demo order shipped',
      '--openids-file',
      audience,
      '--watch',
    ];
    log(`broadcasting to them with the command line:\n\n  $ npx minapush ${args.map(quoted).join(' ')}\n`);
    const result = await runMinapushCli(args, { ...targets, onLine: (line) => console.log(`  ${line}`) });
    const id = /^broadcast (\S+)/.exec(result.stdout)?.[1];
    console.log('');
    if (id) await printOutcome(targets, id, openids[0], Date.now() - started);
    if (result.code !== 0)
      throw new SetupError(`demo: the broadcast did not complete (minapush exited ${result.code})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function quoted(arg) {
  return /^[\w./:=@-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

async function printOutcome({ apiUrl, sandboxUrl, apiKey }, id, someOpenid, elapsedMs) {
  const cli = apiUrl === 'http://127.0.0.1:3000' ? 'npx minapush' : `MINAPUSH_URL=${apiUrl} npx minapush`;
  const view = (
    await call(undefined, 'GET', `${apiUrl}/v1/broadcasts/${id}`, undefined, {
      authorization: `Bearer ${apiKey}`,
    })
  ).body;
  const sandbox = (await call(undefined, 'GET', `${sandboxUrl}/__sandbox/apps/${DEMO_APP_ID}`)).body;
  const lines = [
    `demo: broadcast ${id} ${view.status} (${(elapsedMs / 1000).toFixed(1)} s for the whole demo)`,
    `        total ${view.total}  sent ${view.sent}  failed ${view.failed}  skipped ${view.skipped}  unknown ${view.unknown}`,
    `        the sandbox (WeChat) has delivered ${sandbox.sends} messages of ${DEMO_APP_ID} since it started`,
    '',
    'Look around:',
    `  admin view      ${apiUrl}/admin  (log in with the admin credentials npm start printed)`,
    `  Bull Board      ${apiUrl}/admin/queues`,
    `  this broadcast  ${cli} broadcast show ${id}`,
    `  one user        ${cli} credits ${someOpenid} --app ${DEMO_APP_ID}`,
    `  the app         ${cli} inventory --app ${DEMO_APP_ID}`,
  ];
  console.log(lines.join('\n'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch(exitWithError);
}
