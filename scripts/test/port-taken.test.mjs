// An app whose port is taken says so and exits 1: an API that does not listen must not log that it
// listens and keep running (express 5 hands the listen error to the callback as well).
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, freePort, root } from './support.mjs';

let blocker;
let port;
beforeAll(async () => {
  port = await freePort();
  blocker = net.createServer();
  await new Promise((resolve, reject) => {
    blocker.once('error', reject);
    blocker.listen(port, '127.0.0.1', resolve);
  });
});
afterAll(() => new Promise((resolve) => blocker.close(resolve)));

/** Runs an app's built main with `env` until it exits; its output and exit code. */
function runUntilExit(app, env) {
  const child = spawn(process.execPath, [path.join(root, 'apps', app, 'dist', 'main.js')], {
    cwd: root,
    env: childEnv({ LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  // one that keeps running is the failure this test looks for: it must not outlive the test
  const stop = setTimeout(() => child.kill('SIGKILL'), 45_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(stop);
      resolve({ code, output });
    }),
  );
}

describe('a taken port', () => {
  it('stops the ingest API with exit 1, naming the address and PORT', async () => {
    const { code, output } = await runUntilExit('ingest-api', {
      PORT: String(port),
      HOST: '127.0.0.1',
      SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
      WECHAT_APPS: '[{"appId":"wx0123456789abcdef","secret":"not-used"}]',
      API_KEYS: 'not-used',
    });
    expect(code).toBe(1);
    expect(output).toContain('EADDRINUSE');
    expect(output).toContain(`could not listen on http://127.0.0.1:${port} (set PORT to a free port)`);
    expect(output).not.toContain('ingest-api listening');
  }, 60_000);

  it('stops the sandbox with exit 1 and its reason, not a TypeError', async () => {
    const { code, output } = await runUntilExit('wechat-sandbox', {
      SANDBOX_PORT: String(port),
      HOST: '127.0.0.1',
    });
    expect(code).toBe(1);
    expect(output).toContain('WeChat sandbox could not start');
    expect(output).toContain('EADDRINUSE');
    expect(output).not.toContain('TypeError');
  }, 60_000);
});
