import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createDatabase } from '@minapush/db';
import { createLogger } from '@minapush/logger';
import { createRedisConnection, redisKeys } from '@minapush/queues';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createHousekeepingLock,
  type HousekeepingReport,
  type HousekeepingSettings,
  nothingRemoved,
  runHousekeeping,
} from '../src/index.js';

// Real Postgres and Redis. Every run is scoped to the test's own app (the suites beside it share
// the database) and its own key prefix (they share Redis).
const db = createDatabase({
  url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/minapush_test',
  maxConnections: 4,
});
const redis = createRedisConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'worker');
const DAY = 86_400_000;
const prefixes: string[] = [];

afterEach(async () => {
  for (const prefix of prefixes.splice(0)) {
    const keys = redisKeys(prefix);
    await redis.del(keys.housekeepingLock, keys.housekeepingLastRun);
  }
});
afterAll(async () => {
  redis.disconnect();
  await db.$disconnect();
});

function setUp(settings: Partial<HousekeepingSettings> = {}, now = Date.now) {
  const appId = `wx-hk-${randomUUID().slice(0, 8)}`;
  const prefix = `test-${randomUUID()}`;
  prefixes.push(prefix);
  const lines: string[] = [];
  const logger = createLogger({
    name: 'housekeeping-test',
    level: 'info',
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  const resources = {
    db,
    redis,
    keys: redisKeys(prefix),
    logger,
    settings: { retentionDays: 30, appIds: [appId], waitPollMs: 20, ...settings },
    now,
  };
  const runLines = () => lines.filter((line) => line.includes('housekeeping removed'));
  return { appId, prefix, resources, lines, runLines };
}

/** `count` credits of the app that can never be used again (dead subscriptions). */
async function seedDeadCredits(appId: string, count: number) {
  await db.$executeRaw`
    INSERT INTO send_credits (app_id, openid, kind, template_id, uses_left, captured_at, state)
    SELECT ${appId}, 'o-' || g, 'subscribe', 'tmpl-x', 0, now(), 'dead'
    FROM generate_series(1, ${count}::int) g`;
}

/** `count` sent messages of the app with one attempt each, finished now. */
async function seedSentMessages(appId: string, count: number) {
  await db.$executeRaw`
    WITH m AS (
      INSERT INTO messages (id, app_id, openid, kind, template_id, data, status, attempts, sent_at)
      SELECT minapush_uuid_v7(), ${appId}, 'o-' || g, 'template', 'tmpl-t', '{}', 'sent', 1, now()
      FROM generate_series(1, ${count}::int) g
      RETURNING id)
    INSERT INTO message_attempts (message_id, outcome) SELECT id, 'sent' FROM m`;
}

describe('runHousekeeping', () => {
  it('removes every row of a run that spans many chunks, each statement deleting at most one chunk', async () => {
    // 31 days on: the messages finished now are past the 30 days kept
    const { appId, resources, runLines } = setUp({ chunkSize: 100 }, () => Date.now() + 31 * DAY);
    await seedDeadCredits(appId, 250);
    await seedSentMessages(appId, 230);

    const outcome = await runHousekeeping(resources, 'manual');

    expect(outcome.ok && outcome.ranHere).toBe(true);
    expect(outcome.ok && outcome.report.removed).toEqual({
      ...nothingRemoved(),
      credits: 250,
      messages: 230,
      attempts: 230,
    });
    expect(await db.sendCredit.count({ where: { appId } })).toBe(0);
    expect(await db.message.count({ where: { appId } })).toBe(0);
    // one line for the run, which went through the tables in windows of 100 rows
    const [line] = runLines();
    expect(runLines()).toHaveLength(1);
    const logged = JSON.parse(line ?? '{}');
    expect(logged.removed).toMatchObject({ credits: 250, messages: 230, attempts: 230 });
    expect(logged.statements).toBeGreaterThanOrEqual(3 + 3 + 1 + 1);
    expect(logged.msg).toBe(
      'housekeeping removed 250 credits, 230 messages, 230 attempts, 0 broadcasts, 0 token fetches, 0 push events',
    );
  });

  it('waits for the run in progress elsewhere and answers its report, running nothing itself', async () => {
    const { appId, resources, runLines } = setUp();
    await seedDeadCredits(appId, 3);
    // another process's run holds the lock
    const lock = createHousekeepingLock(redis, resources.keys, 60_000);
    expect(await lock.take('run-elsewhere')).toBe(true);

    const waiting = runHousekeeping(resources, 'schedule');
    let settled = false;
    void waiting.finally(() => {
      settled = true;
    });
    // it is waiting, not running: the credits are still there while the lock is held
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(settled).toBe(false);
    expect(await db.sendCredit.count({ where: { appId } })).toBe(3);

    const elsewhere: HousekeepingReport = {
      runId: 'run-elsewhere',
      trigger: 'manual',
      removed: { ...nothingRemoved(), credits: 7 },
      startedAt: '2026-12-02T19:00:00.000Z',
      finishedAt: '2026-12-02T19:00:01.000Z',
    };
    await lock.finish('run-elsewhere', elsewhere);

    expect(await waiting).toEqual({ ok: true, ranHere: false, report: elsewhere });
    expect(await db.sendCredit.count({ where: { appId } })).toBe(3);
    expect(runLines()).toHaveLength(0);
  });

  it('runs itself when the run it waited for ended without a report (its process died)', async () => {
    const { appId, resources } = setUp();
    await seedDeadCredits(appId, 2);
    // a run whose process died: its lock runs out, and it never wrote a report
    await redis.set(resources.keys.housekeepingLock, 'run-that-died', 'PX', 300);

    const outcome = await runHousekeeping(resources, 'schedule');

    expect(outcome.ok && outcome.ranHere).toBe(true);
    expect(outcome.ok && outcome.report.removed.credits).toBe(2);
    expect(await redis.get(resources.keys.housekeepingLock)).toBeNull();
  });

  it('lets two runs started together run once: one runs, the other answers its report', async () => {
    const { appId, resources, runLines } = setUp({ chunkSize: 50 });
    await seedDeadCredits(appId, 400);
    const otherProcess = {
      ...resources,
      redis: createRedisConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'worker'),
    };
    try {
      const [a, b] = await Promise.all([
        runHousekeeping(resources, 'schedule'),
        runHousekeeping(otherProcess, 'manual'),
      ]);
      expect(a.ok && b.ok).toBe(true);
      if (!a.ok || !b.ok) return;
      // whichever took the lock first ran; the other either waited for it (same report) or came
      // after it had finished (a run of its own that found nothing left)
      const reports = [a, b].filter((o) => o.ranHere);
      const removedCredits = [a, b]
        .filter((o) => o.ranHere)
        .reduce((sum, o) => sum + o.report.removed.credits, 0);
      expect(removedCredits).toBe(400);
      if (reports.length === 1) expect(a.report).toEqual(b.report);
      expect(runLines()).toHaveLength(reports.length);
    } finally {
      otherProcess.redis.disconnect();
    }
  });

  it('stops after the statement in flight when its process shuts down, and frees the lock', async () => {
    const shutdown = new AbortController();
    shutdown.abort();
    const { appId, resources } = setUp({ chunkSize: 10 });
    await seedDeadCredits(appId, 5);
    await seedSentMessages(appId, 25);

    const outcome = await runHousekeeping({ ...resources, signal: shutdown.signal }, 'schedule');

    expect(outcome).toEqual({ ok: false, reason: 'stopped', removed: nothingRemoved() });
    expect(await redis.get(resources.keys.housekeepingLock)).toBeNull();
    expect(await db.sendCredit.count({ where: { appId } })).toBe(5);
  });
});
