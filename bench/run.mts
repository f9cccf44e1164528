// The benchmark suite: `npm run bench` (full) or `npm run bench -- --quick` (under 5 minutes).
// Runs the real apps from their built dist/main.js against the bench database and this run's
// Redis keys, prints ONE table (figures, ratios from this same run, targets) on stdout and
// writes the raw figures to bench/results/. Progress goes to stderr. See bench/README.md.
//
//   npm run bench -- [--quick] [--only=limit,naive,broadcast,single,ingest,token-storm] [--profile] [--build]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runBroadcast } from './scenarios/broadcast.mjs';
import { runIngest } from './scenarios/ingest.mjs';
import { runLimit } from './scenarios/limit.mjs';
import { runNaiveLoop } from './scenarios/naive-loop.mjs';
import { runSingleMessages } from './scenarios/single-messages.mjs';
import { runTokenStorm } from './scenarios/token-storm.mjs';
import { type Mode, type RunContext, SIZES } from './support/context.mjs';
import { closeHttp } from './support/http.mjs';
import { say, shout } from './support/log.mjs';
import { ProcessRegistry } from './support/processes.mjs';
import { formatProfile } from './support/profile.mjs';
import { computeRatios, formatTable, judgeChecks, judgeTargets, type Results } from './support/report.mjs';
import {
  deleteKeys,
  ensureBuilt,
  prepareServices,
  root,
  type Services,
  truncateTables,
} from './support/services.mjs';
import { newApiKey } from './support/stack.mjs';

/** Scenarios in the order they run; the key is the --only name. */
const SCENARIOS = {
  limit: { result: 'limit', run: runLimit },
  naive: { result: 'naive', run: runNaiveLoop },
  broadcast: { result: 'broadcast', run: runBroadcast },
  single: { result: 'single', run: runSingleMessages },
  ingest: { result: 'ingest', run: runIngest },
  'token-storm': { result: 'tokenStorm', run: runTokenStorm },
} as const satisfies Record<string, { result: keyof Results; run: (ctx: RunContext) => Promise<unknown> }>;
type ScenarioName = keyof typeof SCENARIOS;

const USAGE = `usage: npm run bench -- [--quick] [--only=${Object.keys(SCENARIOS).join(',')}] [--profile] [--build]
  --quick    smaller sizes (under 5 minutes)
  --only     run these scenarios only
  --profile  CPU-profile the dispatcher during the largest one-dispatcher broadcast
  --build    build every workspace first (otherwise only when an app has no dist/main.js)`;

function parseOptions() {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        profile: { type: 'boolean', default: false },
        build: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
  }
  try {
    parsed = parse();
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.values.help) {
    console.error(USAGE);
    process.exit(0);
  }
  const names = Object.keys(SCENARIOS) as ScenarioName[];
  const only = parsed.values.only
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = only?.filter((name) => !names.includes(name as ScenarioName)) ?? [];
  if (unknown.length > 0) {
    console.error(`unknown scenario ${unknown.join(', ')}\n${USAGE}`);
    process.exit(2);
  }
  return {
    mode: (parsed.values.quick ? 'quick' : 'full') as Mode,
    scenarios: only ? names.filter((name) => only.includes(name)) : names,
    profile: parsed.values.profile,
    build: parsed.values.build,
  };
}

function gitState(): { commit: string | undefined; dirty: boolean | undefined } {
  // --no-optional-locks: a read must not refresh (write) the index of someone working here.
  const git = (...args: string[]) =>
    spawnSync('git', ['--no-optional-locks', ...args], { cwd: root, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  const status = git('status', '--porcelain', '--untracked-files=no');
  return {
    commit: head.status === 0 ? head.stdout.trim() : undefined,
    dirty: status.status === 0 ? status.stdout.trim() !== '' : undefined,
  };
}

/** Three decimals at most in the results file: diffs between runs stay readable. */
function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Number(value.toFixed(3)) : value;
}

/** The run's file, and `latest` too unless the run was partial (`latest` is always a whole run). */
function writeResults(file: string, latest: string | undefined, content: unknown): void {
  const text = `${JSON.stringify(content, roundNumbers, 2)}\n`;
  const files = latest ? [file, latest] : [file];
  for (const target of files) writeFileSync(target, text);
  // In biome's layout, so that committing them keeps `biome ci .` green.
  const biome = spawnSync(path.join(root, 'node_modules', '.bin', 'biome'), ['format', '--write', ...files], {
    cwd: root,
    encoding: 'utf8',
  });
  if (biome.status !== 0)
    say('results', "biome format failed; the files are valid JSON but not in biome's layout");
}

async function main(): Promise<number> {
  const options = parseOptions();
  const startedAt = new Date();
  const registry = new ProcessRegistry();
  let services: Services | undefined;
  const queuePrefix = `bench-${startedAt.getTime().toString(36)}-${randomBytes(3).toString('hex')}`;

  let stopping = false;
  const stopEverything = async (code: number, why: string) => {
    // tsx relays the terminal's Ctrl-C, so the signal may come twice
    if (stopping) return;
    stopping = true;
    say('bench', `${why}: stopping every child process`);
    registry.shuttingDown();
    await registry.stopAll();
    if (services) {
      await deleteKeys(services.redis, queuePrefix).catch(() => undefined);
      services.redis.disconnect();
      await services.db.end().catch(() => undefined);
    }
    process.exit(code);
  };
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(signal, () => void stopEverything(code, signal));
  }
  // Whatever happens, no child outlives the run.
  process.on('exit', () => registry.killAllNow());

  say('bench', `${options.mode} run: ${options.scenarios.join(', ')}; Redis prefix ${queuePrefix}`);
  await ensureBuilt(options.build);
  services = await prepareServices();
  const profileDir = options.profile ? path.join(root, 'bench', 'results', 'profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const ready = services;
  const ctx: RunContext = {
    mode: options.mode,
    sizes: SIZES[options.mode],
    services: ready,
    registry,
    queuePrefix,
    apiKey: newApiKey(),
    sessionSecret: randomBytes(32).toString('hex'),
    profileDir,
    async reset() {
      await truncateTables(ready.db);
      await deleteKeys(ready.redis, queuePrefix);
    },
  };

  const results: Results = {};
  const errors: Record<string, string> = {};
  const seconds: Record<string, number> = {};
  for (const name of options.scenarios) {
    const scenario = SCENARIOS[name];
    registry.clearFailure();
    say('bench', `— ${name} —`);
    const started = performance.now();
    try {
      Object.assign(results, { [scenario.result]: await scenario.run(ctx) });
    } catch (error) {
      errors[scenario.result] = error instanceof Error ? error.message : String(error);
      shout(name, `FAILED: ${errors[scenario.result]}`);
    }
    seconds[name] = (performance.now() - started) / 1000;
    // A scenario stops its own children; this catches any it could not.
    await registry.stopAll();
  }
  await ctx.reset();

  const ratios = computeRatios(results);
  const targets = judgeTargets(results, ratios, options.mode);
  const checks = judgeChecks(results);
  const finishedAt = new Date();
  const git = gitState();
  const cpus = os.cpus();
  const title =
    `minapush bench — ${options.mode} run of ${startedAt.toISOString()}, ` +
    `${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(0)} s; ` +
    `${cpus.length} × ${cpus[0]?.model.trim() ?? 'CPU'}, Node ${process.version}, ` +
    `commit ${git.commit ?? '?'}${git.dirty ? ' + local changes' : ''}`;
  process.stdout.write(`\n${title}\n\n${formatTable(results, ratios, targets, checks, errors)}\n`);
  for (const profile of (results.broadcast?.cases ?? []).flatMap((c) => c.profile ?? [])) {
    process.stdout.write(`\n${formatProfile(profile)}\n`);
  }

  const resultsDir = path.join(root, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const stamp = startedAt
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
  const file = path.join(resultsDir, `${stamp}-${options.mode}.json`);
  const whole = options.scenarios.length === Object.keys(SCENARIOS).length;
  const latest = path.join(resultsDir, `latest-${options.mode}.json`);
  writeResults(file, whole ? latest : undefined, {
    mode: options.mode,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    scenarioSeconds: seconds,
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model.trim(),
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
    git,
    scenarios: options.scenarios,
    sizes: ctx.sizes,
    results,
    ratios,
    targets,
    checks,
    errors,
  });
  say(
    'bench',
    `raw figures in ${path.relative(root, file)}${whole ? ` and ${path.relative(root, latest)}` : ''}`,
  );

  ready.redis.disconnect();
  await ready.db.end();
  await closeHttp();
  const failedChecks = checks.filter((check) => check.verdict === 'missed');
  if (Object.keys(errors).length > 0 || failedChecks.length > 0) {
    shout(
      'bench',
      `FAILED: ${[...Object.keys(errors).map((name) => `${name} did not finish`), ...failedChecks.map((c) => c.name)].join('; ')}`,
    );
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    shout('bench', error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
