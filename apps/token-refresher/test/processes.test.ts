import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DATABASE_URL,
  eventually,
  REDIS_URL,
  type RefresherHarness,
  sleep,
  startRefresherHarness,
} from './harness.js';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let h: RefresherHarness;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  await h.close();
});

function startRefresherProcess(output: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: appDir,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL,
      REDIS_URL,
      WECHAT_API_BASE_URL: h.sandboxUrl,
      WECHAT_APPS: JSON.stringify([h.app]),
      QUEUE_PREFIX: h.prefix,
      TOKEN_REFRESHER_PORT: '0',
      TOKEN_CHECK_INTERVAL_MS: '1000',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk) => output.push(String(chunk)));
  children.push(child);
  return child;
}

describe('three refresher processes', () => {
  it('fetch the token once between them, and once more for 200 concurrent stale reports', async () => {
    h = await startRefresherHarness({ tokenMode: 'classic' });
    const output: string[] = [];
    for (let i = 0; i < 3; i += 1) startRefresherProcess(output);

    const readers = [h.tokenService(), h.tokenService(), h.tokenService()];
    const first = await eventually(() => readers[0]!.peek(h.app.appId), 60_000);
    await sleep(2_500); // every process has run its own scheduled checks by now
    expect(await h.fetches()).toHaveLength(1);

    const reports = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        readers[i % 3]!.refreshTokenIfStale(h.app.appId, first.accessToken),
      ),
    );
    expect(new Set(reports.map((r) => (r.ok ? r.token.accessToken : r.reason))).size).toBe(1);
    await sleep(1_500);
    expect(await h.fetches()).toHaveLength(2);

    const logs = output.join('');
    expect(logs).toContain('token refresh scheduled');
    expect(logs).not.toContain(h.app.secret);
    expect(logs).not.toContain(first.accessToken);
  }, 120_000);
});
