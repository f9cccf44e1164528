import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATABASE_URL, type DispatchHarness, REDIS_URL } from './harness.js';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A real dispatcher process (src/main.ts through tsx) serving the harness's app. */
export function spawnDispatcher(
  h: DispatchHarness,
  output: string[],
  env: Record<string, string> = {},
): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: appDir,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL,
      REDIS_URL,
      WECHAT_API_BASE_URL: h.sandboxUrl,
      WECHAT_APPS: JSON.stringify([h.app]),
      QUEUE_PREFIX: h.prefix,
      DISPATCHER_PORT: '0',
      DISPATCHER_CONCURRENCY: '20',
      MESSAGE_LEASE_MS: '2000',
      JOB_LOCK_MS: '2000',
      RECONCILE_INTERVAL_MS: '500',
      RECONCILE_GRACE_MS: '1000',
      WECHAT_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk) => output.push(String(chunk)));
  return child;
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}
