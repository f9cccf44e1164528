import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DATABASE_URL, type DispatchHarness } from './harness.js';

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
      REDIS_URL: h.redisUrl,
      ...(h.redisClusterNodes ? { REDIS_CLUSTER_NODES: h.redisClusterNodes } : {}),
      WECHAT_API_BASE_URL: h.sandboxUrl,
      WECHAT_APPS: JSON.stringify([h.app]),
      QUEUE_PREFIX: h.prefixSetting,
      DISPATCHER_PORT: '0',
      DISPATCHER_CONCURRENCY: '20',
      MESSAGE_LEASE_MS: '2000',
      JOB_LOCK_MS: '2000',
      RECONCILE_INTERVAL_MS: '500',
      RECONCILE_GRACE_MS: '1000',
      WECHAT_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'info',
      // A spawned dispatcher's housekeeping covers every app of the shared test database: its
      // schedule must not come round while the suites beside it look at their credits (Jan 1st,
      // 03:00 China time).
      HOUSEKEEPING_CRON: '0 3 1 1 *',
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

/** A free TCP port on 127.0.0.1, for a server a test starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A Redis server of the test's own (keeping nothing on disk, like the machine's), for a test that
 * flushes or kills Redis: the shared one serves the suites running beside it.
 */
export async function startRedisServer(): Promise<{
  url: string;
  process: ChildProcess;
  stop: () => Promise<void>;
}> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  await waitUntilListening(port, 'redis-server');
  return {
    url,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited(child);
    },
  };
}

/** Waits until something accepts connections on 127.0.0.1:port. */
async function waitUntilListening(port: number, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answered = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`${what} on port ${port} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A Redis Cluster of the test's own: three masters without replicas, keeping nothing on disk but
 * their cluster config files (in a temporary directory, removed by `stop`). `nodes` is what
 * REDIS_CLUSTER_NODES would say. Needs `redis-server` and `redis-cli` (with `--cluster`) on PATH.
 */
export async function startRedisCluster(masters = 3): Promise<{
  nodes: string;
  ports: number[];
  stop: () => Promise<void>;
}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'minapush-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await Promise.all(children.map(exited));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i += 1) {
      const port = await freePort();
      // the cluster bus port, by default port + 10000, which may not exist or may be taken
      const busPort = await freePort();
      ports.push(port);
      children.push(
        spawn(
          'redis-server',
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--cluster-enabled',
            'yes',
            '--cluster-port',
            String(busPort),
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--dir',
            dir,
            '--save',
            '',
            '--appendonly',
            'no',
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    for (const port of ports) await waitUntilListening(port, 'redis-server (cluster node)');
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    await promisify(execFile)('redis-cli', [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    // every node must know the whole slot map before a client can rely on any of them
    const deadline = Date.now() + 30_000;
    for (const port of ports) {
      for (;;) {
        const { stdout } = await promisify(execFile)('redis-cli', ['-p', String(port), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`cluster node ${port} is not ok: ${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return { nodes: addresses.join(','), ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
