// ensureDependencies (npm start, npm test, npm run db:migrate) with the real npm, on a small
// project of its own whose dependency and devDependency are local folders (no registry needed).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { childEnv, root } from './support.mjs';

const workspaceModule = pathToFileURL(path.join(root, 'scripts', 'workspace.mjs')).href;
let project;

beforeEach(() => {
  project = mkdtempSync(path.join(tmpdir(), 'minapush-deps-'));
  for (const name of ['build-tool', 'runtime-lib']) {
    mkdirSync(path.join(project, name));
    writeFileSync(path.join(project, name, 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
  }
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({
      name: 'deps-fixture',
      private: true,
      dependencies: { 'runtime-lib': 'file:./runtime-lib' },
      devDependencies: { 'build-tool': 'file:./build-tool' },
    }),
  );
  npm(['install', '--package-lock-only', '--no-audit', '--no-fund']);
});

afterEach(() => {
  rmSync(project, { recursive: true, force: true });
});

function npm(args, env = {}) {
  const result = spawnSync('npm', args, { cwd: project, env: childEnv(env), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
}

/** ensureDependencies(project) in a process of its own, with `env` on top of this one's. */
function ensureDependencies(env) {
  const code = `const { ensureDependencies } = await import(${JSON.stringify(workspaceModule)}); await ensureDependencies(${JSON.stringify(project)});`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: project,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output })));
}

const buildTool = () => path.join(project, 'node_modules', 'build-tool', 'package.json');

describe('ensureDependencies', () => {
  it('installs devDependencies (the build tools) on a fresh checkout under NODE_ENV=production', async () => {
    const { code, output } = await ensureDependencies({ NODE_ENV: 'production' });
    expect(code, output).toBe(0);
    expect(existsSync(buildTool()), output).toBe(true);
  });

  it('installs them again when an earlier install left them out (npm ci --omit=dev)', async () => {
    npm(['ci', '--omit=dev', '--no-audit', '--no-fund']);
    expect(existsSync(path.join(project, 'node_modules', 'runtime-lib', 'package.json'))).toBe(true);
    expect(existsSync(buildTool())).toBe(false);

    const { code, output } = await ensureDependencies({ NODE_ENV: 'production' });
    expect(code, output).toBe(0);
    expect(output).toMatch(/devDependencies/);
    expect(existsSync(buildTool()), output).toBe(true);
  });

  it('leaves a complete install alone', async () => {
    npm(['ci', '--no-audit', '--no-fund']);
    const { code, output } = await ensureDependencies({ NODE_ENV: 'production' });
    expect(code, output).toBe(0);
    expect(output).not.toMatch(/running npm/);
  });
});
