// Helpers shared by start, test and migrate that need nothing but Node itself: they run before
// `npm ci` may have installed anything (a fresh clone), so no import here may leave node: builtins.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/**
 * Local state of this checkout (generated secrets, embedded Postgres, Redis pid); gitignored.
 * MINAPUSH_STATE_DIR moves it (the scripts' own tests use a temporary one).
 */
export const stateDir = path.resolve(root, envValue('MINAPUSH_STATE_DIR') ?? '.minapush');

/** A problem the user can fix: the scripts print its message (no stack) and exit non-zero. */
export class SetupError extends Error {
  name = 'SetupError';
}

/** Same rule as @minapush/config: an empty value counts as unset. */
export function envValue(name) {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * Reads KEY=VALUE lines from the root .env into process.env; a variable already in the
 * environment wins. Returns the names it set (never the values: some are secrets).
 */
export function loadDotEnv(file = path.join(root, '.env')) {
  if (!existsSync(file)) return [];
  const loaded = [];
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(trimmed);
    if (!match) {
      console.warn(`env: ignoring line ${index + 1} of .env (expected KEY=VALUE)`);
      continue;
    }
    const [, key, raw] = match;
    const value = parseDotEnvValue(raw);
    if (process.env[key] === undefined) {
      process.env[key] = value;
      loaded.push(key);
    }
  }
  return loaded;
}

function parseDotEnvValue(raw) {
  const quote = raw[0];
  if ((quote === '"' || quote === "'") && raw.indexOf(quote, 1) > 0) {
    const inner = raw.slice(1, raw.indexOf(quote, 1));
    return quote === '"' ? inner.replaceAll('\\n', '\n') : inner;
  }
  // Unquoted: a ` #` starts a comment (JSON such as WECHAT_APPS should be single-quoted).
  const comment = raw.search(/\s#/);
  return (comment >= 0 ? raw.slice(0, comment) : raw).trim();
}

/** Hides the password (and password-like query parameters) of a connection URL. */
export function maskUrl(raw) {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    for (const key of [...url.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(key)) url.searchParams.set(key, '***');
    }
    return url.toString();
  } catch {
    return '<not a valid URL>';
  }
}

/** Runs a command with inherited output; resolves with its exit code (1 when killed by a signal). */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: root,
      stdio: 'inherit',
      shell: process.platform === 'win32',
      ...options,
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * Installs when node_modules is missing, older than package-lock.json (a fresh clone, a pull) or
 * without the root's devDependencies (an earlier install under NODE_ENV=production or omit=dev).
 *
 * Always with `--include=dev`: npm leaves devDependencies out when NODE_ENV=production (or the
 * user's npm config says omit=dev), and `npm start` and `npm test` build from source, so they need
 * the build tools (turbo, typescript, prisma) whatever environment the apps will run in. They stay
 * devDependencies: what each app needs at run time is its own `dependencies`, and NODE_ENV is the
 * apps' business, not the installer's.
 */
export async function ensureDependencies(dir = root) {
  const lockfile = path.join(dir, 'package-lock.json');
  // npm writes this file at the end of every install; its age is the age of node_modules.
  const installed = path.join(dir, 'node_modules', '.package-lock.json');
  let reason;
  if (!existsSync(path.join(dir, 'node_modules'))) reason = 'node_modules is missing';
  else if (!existsSync(installed)) reason = 'node_modules was not installed by npm';
  else if (existsSync(lockfile) && statSync(lockfile).mtimeMs > statSync(installed).mtimeMs + 1000) {
    reason = 'package-lock.json is newer than node_modules';
  } else {
    const missing = missingDevDependencies(dir);
    if (missing.length > 0) {
      const named = missing.length > 3 ? `${missing.slice(0, 3).join(', ')}, …` : missing.join(', ');
      reason = `devDependencies (the build tools) are not installed: ${named}`;
    }
  }
  if (!reason) return;
  const flags = ['--include=dev', '--no-audit', '--no-fund'];
  if (existsSync(lockfile)) {
    console.log(`deps: ${reason}: running npm ci ${flags.join(' ')}`);
    if ((await run('npm', ['ci', ...flags], { cwd: dir })) === 0) return;
    // npm/cli#4828: npm leaves other platforms' optional packages (biome, rollup, turbo) out of
    // the lockfile it writes, and npm 11's `npm ci` then refuses that lockfile. `npm install` uses
    // the same lockfile's versions and fills in what this platform needs.
    console.log('deps: npm ci refused the lockfile (npm/cli#4828); running npm install with it instead');
  } else {
    console.log(`deps: ${reason}: running npm install ${flags.join(' ')}`);
  }
  const code = await run('npm', ['install', ...flags], { cwd: dir });
  if (code !== 0) throw new SetupError(`deps: npm install failed (exit ${code}); see the npm output above`);
}

/** The root's devDependencies that node_modules lacks. */
function missingDevDependencies(dir) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  } catch {
    return [];
  }
  return Object.keys(manifest.devDependencies ?? {}).filter(
    (name) => !existsSync(path.join(dir, 'node_modules', name, 'package.json')),
  );
}

/** The local turbo binary; `npx turbo` would do the same with one more process. */
export function turboCommand() {
  const bin = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'turbo.cmd' : 'turbo');
  if (!existsSync(bin)) throw new SetupError('turbo is not installed: run `npm ci --include=dev` first');
  return bin;
}

/**
 * Every workspace under apps/, sorted by folder: its package name, folder, `start` script, whether
 * it has a src/main.* to build and whether `dist/main.js` is built.
 */
export function listApps() {
  const appsDir = path.join(root, 'apps');
  if (!existsSync(appsDir)) return [];
  const apps = [];
  for (const entry of readdirSync(appsDir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(appsDir, entry.name);
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    apps.push({
      name: manifest.name ?? entry.name,
      label: entry.name,
      dir,
      startScript: manifest.scripts?.start,
      // Not written yet (a manifest and an empty src/): nothing to build or start.
      hasSource: ['main.ts', 'main.mts', 'main.js'].some((file) => existsSync(path.join(dir, 'src', file))),
      built: existsSync(path.join(dir, 'dist', 'main.js')),
    });
  }
  return apps;
}

/**
 * A secret kept in .minapush/<file> (mode 600) so it survives restarts; created with `generate`
 * the first time. Returns `{ value, created }`.
 */
export function localSecret(file, generate) {
  const target = path.join(stateDir, file);
  if (existsSync(target)) {
    const value = readFileSync(target, 'utf8').trim();
    if (value !== '') return { value, created: false, path: target };
  }
  mkdirSync(stateDir, { recursive: true });
  const value = generate();
  writeFileSync(target, `${value}\n`, { mode: 0o600 });
  chmodSync(target, 0o600);
  return { value, created: true, path: target };
}

/** Prints a SetupError's message, anything else with its stack, and exits 1. */
export function exitWithError(error) {
  if (error instanceof SetupError) {
    console.error(`\n${error.message}`);
  } else {
    console.error(error);
  }
  process.exit(1);
}
