// `NODE_ENV=production npm start` refuses, before installing or starting anything, to stand in
// for WeChat with the local sandbox or for the operators' keys with a generated one.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { childEnv, freePort, root } from './support.mjs';

const WECHAT_APPS = '[{"appId":"wxproductiontest01","secret":"a-real-secret"}]';
let stateDir;

beforeEach(() => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'minapush-production-'));
});

afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

/**
 * `npm start` with `env` on top of this environment, on free ports; resolves when it exits. Should
 * it start an app instead of refusing, it is stopped (SIGTERM to npm) and `started` is true.
 */
async function npmStart(env) {
  const ports = {
    PORT: String(await freePort()),
    TOKEN_REFRESHER_PORT: String(await freePort()),
    DISPATCHER_PORT: String(await freePort()),
    SANDBOX_PORT: String(await freePort()),
  };
  const child = spawn('npm', ['start'], {
    cwd: root,
    // A set variable wins over a developer's .env; an empty one counts as unset.
    env: childEnv({
      ...ports,
      MINAPUSH_STATE_DIR: stateDir,
      WECHAT_APPS: '',
      API_KEYS: '',
      ADMIN_USERNAME: '',
      ADMIN_PASSWORD: '',
      ...env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let started = false;
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      output += chunk;
      if (!started && /^start: @minapush\//m.test(output)) {
        started = true;
        child.kill('SIGTERM');
      }
    });
  }
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output, started })));
}

describe.skipIf(process.platform === 'win32')('NODE_ENV=production npm start', () => {
  it('refuses without WECHAT_APPS and API_KEYS, and says how to set each', async () => {
    const { code, output, started } = await npmStart({ NODE_ENV: 'production' });
    expect(started, output).toBe(false);
    expect(code).not.toBe(0);
    expect(output).toMatch(/WECHAT_APPS is not set.*sandbox/);
    expect(output).toContain(`Fix: set WECHAT_APPS='[{"appId":"wx…","secret":"…"}]'`);
    expect(output).toMatch(/API_KEYS is not set/);
    expect(output).toContain('Fix: set API_KEYS to the keys your backends present');
    // Before anything else: no database touched, no key generated.
    expect(output).not.toMatch(/^(postgres|migrate|build|start):(?! NODE_ENV)/m);
    expect(existsSync(path.join(stateDir, 'api-key'))).toBe(false);
  });

  it('refuses to run the sandbox when only API_KEYS is set', async () => {
    const { code, output, started } = await npmStart({
      NODE_ENV: 'production',
      API_KEYS: 'key-of-backend-a',
    });
    expect(started, output).toBe(false);
    expect(code).not.toBe(0);
    expect(output).toContain('Fix: set WECHAT_APPS=');
    expect(output).not.toContain('Fix: set API_KEYS');
  });

  it('refuses to generate an API key when only WECHAT_APPS is set', async () => {
    const { code, output, started } = await npmStart({ NODE_ENV: 'production', WECHAT_APPS });
    expect(started, output).toBe(false);
    expect(code).not.toBe(0);
    expect(output).toContain('Fix: set API_KEYS');
    expect(output).not.toContain('Fix: set WECHAT_APPS');
    expect(existsSync(path.join(stateDir, 'api-key'))).toBe(false);
  });

  it('goes on with both set (here to a DATABASE_URL that it rejects, so that nothing starts)', async () => {
    const { code, output } = await npmStart({
      NODE_ENV: 'production',
      WECHAT_APPS,
      API_KEYS: 'key-of-backend-a',
      DATABASE_URL: 'not-a-url',
    });
    expect(code).not.toBe(0);
    expect(output).not.toContain('Fix: set');
    expect(output).toContain('postgres: DATABASE_URL is not a URL');
    // the admin stays off without credentials, and npm start says so before anything else
    expect(output).toContain(
      'ADMIN_USERNAME and ADMIN_PASSWORD are not both set, so /admin and Bull Board stay disabled',
    );
  });

  it('makes up no admin credentials: it starts the apps with the admin disabled', async () => {
    const database = new URL(
      process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/minapush_test',
    );
    database.pathname = `${database.pathname}_production_start`;
    const { output, started } = await npmStart({
      NODE_ENV: 'production',
      WECHAT_APPS,
      API_KEYS: 'key-of-backend-a',
      DATABASE_URL: database.toString(),
    });
    // past the point where a local run generates them: the apps were being started
    expect(started, output).toBe(true);
    expect(existsSync(path.join(stateDir, 'admin-password'))).toBe(false);
    expect(output).not.toMatch(/admin login/);
  });

  it('keeps the local quick start: without NODE_ENV=production nothing is refused', async () => {
    const { output } = await npmStart({ NODE_ENV: '', DATABASE_URL: 'not-a-url' });
    expect(output).not.toContain('Fix: set');
    expect(output).toContain('postgres: DATABASE_URL is not a URL');
  });
});
