import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DispatchHarness, sleep, startDispatchHarness } from './harness.js';
import { exited, spawnDispatcher } from './processes.js';

let h: DispatchHarness;
beforeAll(async () => {
  h = await startDispatchHarness({ dispatcher: false });
});
afterAll(() => h.close());

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('SIGTERM', () => {
  it('stops taking jobs, finishes or releases the ones in flight, and exits 0', async () => {
    const users = [];
    for (let i = 0; i < 40; i += 1) users.push(await h.userWithFormIds(1));
    await h.fault({ endpoint: 'template_send', delayMs: 400 });
    const ids = [];
    for (const user of users) ids.push(await h.sendTemplate(user.openid));

    const output: string[] = [];
    const child = spawnDispatcher(h, output, { DISPATCHER_CONCURRENCY: '5', SHUTDOWN_TIMEOUT_MS: '5000' });
    while ((await h.db.message.count({ where: { id: { in: ids }, status: 'sending' } })) === 0)
      await sleep(20);
    child.kill('SIGTERM');
    const { code } = await exited(child);
    expect(code).toBe(0);
    expect(output.join('')).toContain('shutting down');

    // Nothing is left half-done: every message is sent or back in the queue without a lease.
    const rows = await h.db.message.findMany({ where: { id: { in: ids } } });
    expect(rows.filter((m) => m.status === 'sending')).toEqual([]);
    const sentBeforeStop = rows.filter((m) => m.status === 'sent').length;
    expect(sentBeforeStop).toBeGreaterThan(0);
    expect(sentBeforeStop).toBeLessThan(ids.length);

    await h.control('DELETE', `/apps/${h.app.appId}/faults`);
    h.startDispatcher();
    const views = await Promise.all(ids.map((id) => h.waitUntilFinal(id)));
    expect(views.every((v) => v.status === 'sent')).toBe(true);
    const deliveries = await h.deliveries();
    expect(new Set(deliveries.map((d) => d.openid)).size).toBe(deliveries.length);
    expect(deliveries).toHaveLength(ids.length);
  }, 60_000);

  it('exits within its shutdown timeout even when Redis is gone', async () => {
    const port = await freePort();
    const redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    try {
      await sleep(300);
      const output: string[] = [];
      const child = spawnDispatcher(h, output, {
        REDIS_URL: `redis://127.0.0.1:${port}`,
        SHUTDOWN_TIMEOUT_MS: '2000',
      });
      while (!output.join('').includes('dispatcher started')) await sleep(20);
      redis.kill('SIGKILL');
      await exited(redis);
      await sleep(200);
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited(child).then(() => true), sleep(10_000).then(() => false)]);
      if (!stopped) child.kill('SIGKILL');
      expect(stopped).toBe(true);
    } finally {
      if (redis.exitCode === null) redis.kill('SIGKILL');
    }
  }, 30_000);
});
