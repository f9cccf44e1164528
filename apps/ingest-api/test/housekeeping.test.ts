import { createHousekeepingLock, type HousekeepingReport } from '@minapush/housekeeping';
import { redisKeys } from '@minapush/queues';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, post, startHarness } from './harness.js';

const NOTHING = { credits: 0, messages: 0, attempts: 0, broadcasts: 0, tokenFetches: 0, pushEvents: 0 };

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(() => h.close());

/** `count` subscriptions of the harness's app that can never be used again. */
async function seedDeadCredits(count: number) {
  await h.db.$executeRaw`
    INSERT INTO send_credits (app_id, openid, kind, template_id, uses_left, captured_at, state)
    SELECT ${h.appId}, 'o-dead-' || g, 'subscribe', 'tmpl-x', 0, now(), 'dead' FROM generate_series(1, ${count}::int) g`;
}

const runNow = (token?: string) => post(h.url, '/v1/housekeeping/run', undefined, token);

describe('POST /v1/housekeeping/run', () => {
  it('runs housekeeping and answers what it removed, counted in the metric', async () => {
    const before = await (await fetch(`${h.url}/metrics`)).text();
    for (const table of [
      'send_credits',
      'messages',
      'message_attempts',
      'broadcasts',
      'access_token_fetches',
    ])
      expect(before).toContain(`minapush_housekeeping_removed_total{table="${table}"} 0`);
    await seedDeadCredits(3);

    const response = await runNow(h.apiKey);

    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({
      removed: { ...NOTHING, credits: 3 },
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
    });
    expect(new Date(body.finishedAt).getTime()).toBeGreaterThanOrEqual(new Date(body.startedAt).getTime());
    expect(await h.db.sendCredit.count({ where: { appId: h.appId } })).toBe(0);
    expect(await (await fetch(`${h.url}/metrics`)).text()).toContain(
      'minapush_housekeeping_removed_total{table="send_credits"} 3',
    );
    const logged = h.logs.lines.filter((line) => line.includes('housekeeping removed'));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0] ?? '{}')).toMatchObject({ trigger: 'manual', removed: { credits: 3 } });
  });

  it('answers the result of the run in progress (the schedule) instead of starting a second', async () => {
    await seedDeadCredits(2);
    const lock = createHousekeepingLock(h.redis, redisKeys(h.prefix), 60_000);
    expect(await lock.take('scheduled-run')).toBe(true);

    const answer = runNow(h.apiKey);
    // the request waits on the run that holds the lock: nothing is deleted meanwhile
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await h.db.sendCredit.count({ where: { appId: h.appId } })).toBe(2);
    const scheduled: HousekeepingReport = {
      runId: 'scheduled-run',
      trigger: 'schedule',
      removed: { ...NOTHING, credits: 5, messages: 1 },
      startedAt: '2026-12-02T19:00:00.000Z',
      finishedAt: '2026-12-02T19:00:02.000Z',
    };
    await lock.finish('scheduled-run', scheduled);

    const response = await answer;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      removed: scheduled.removed,
      startedAt: scheduled.startedAt,
      finishedAt: scheduled.finishedAt,
    });
    expect(await h.db.sendCredit.count({ where: { appId: h.appId } })).toBe(2);
  });

  it('is for API keys only: 401 without one or with a wrong one, 403 with a session', async () => {
    const none = await runNow();
    expect(none.status).toBe(401);
    expect((await none.json()).error.code).toBe('missing_credentials');
    expect((await runNow('not-a-key')).status).toBe(401);
    const session = await h.login();
    expect((await runNow(session.token)).status).toBe(403);
  });

  it('is described in the OpenAPI document', async () => {
    const document = await (await fetch(`${h.url}/openapi.json`)).json();
    const operation = document.paths['/v1/housekeeping/run']?.post;
    expect(operation?.security).toEqual([{ apiKey: [] }]);
    expect(Object.keys(operation?.responses ?? {})).toEqual(['200', '401', '403', '503']);
  });
});

describe('POST /v1/housekeeping/run when Redis is down', () => {
  it('answers 503 and deletes nothing: the run lock cannot be taken', async () => {
    const down = await startHarness({ redisUrl: 'redis://127.0.0.1:1', worker: false });
    try {
      const response = await post(down.url, '/v1/housekeeping/run', undefined, down.apiKey);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect((await response.json()).error.code).toBe('redis_unavailable');
    } finally {
      await down.close();
    }
  });
});
