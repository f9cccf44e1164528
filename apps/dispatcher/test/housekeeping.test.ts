import { Writable } from 'node:stream';
import { type HousekeepingOutcome, runHousekeeping } from '@minapush/housekeeping';
import { createLogger } from '@minapush/logger';
import {
  dispatcherMaintenanceCatalog,
  HOUSEKEEPING_SCHEDULER_ID,
  HOUSEKEEPING_TIMEZONE,
  redisKeys,
} from '@minapush/queues';
import { hashToken } from '@minapush/tokens';
import { Job, Queue } from 'bullmq';
import { CronExpressionParser } from 'cron-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { type DispatchHarness, LEGACY_TEMPLATE, startDispatchHarness, waitFor } from './harness.js';

const DAY = 86_400_000;
const PENDING = new Set(['queued', 'sending']);

let h: DispatchHarness;
afterEach(() => h?.close());

/**
 * Housekeeping as the dispatcher's job runs it, on the harness's database and Redis, with the
 * clock a test moves: scoped to the harness's app, as the dispatcher's is in the harness.
 */
function housekeepingAt(at: () => number) {
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
  return {
    lines,
    run: (): Promise<HousekeepingOutcome> =>
      runHousekeeping(
        {
          db: h.db,
          redis: h.redis,
          keys: redisKeys(h.prefix),
          logger,
          settings: { retentionDays: 30, appIds: [h.app.appId] },
          now: at,
        },
        'manual',
      ),
  };
}

function removedOf(outcome: HousekeepingOutcome) {
  if (!outcome.ok) throw new Error(`housekeeping stopped: ${outcome.reason}`);
  return outcome.report.removed;
}

async function broadcastTo(openids: string[]): Promise<string> {
  const response = await h.api<{ id: string }>('POST', '/v1/broadcasts', {
    kind: 'template',
    templateId: LEGACY_TEMPLATE,
    data: { keyword1: 'spring sale' },
    audience: { type: 'openids', openids },
  });
  if (response.status !== 202) throw new Error(`POST /v1/broadcasts answered ${response.status}`);
  return response.body.id;
}

describe('housekeeping', () => {
  it('a week on, drops expired credits but not the one a pending message holds', async () => {
    h = await startDispatchHarness();
    // subscriptions do not expire: one unused, one spent by a message that was sent (and is kept)
    const subscriber = await h.userWithSubscription(1);
    const spender = await h.userWithSubscription(1);
    expect((await h.waitUntilFinal(await h.sendSubscribe(spender.openid))).status).toBe('sent');
    // A message whose call WeChat answers "busy" (-1) goes back to queued and keeps the formId it
    // claimed (its soonest-expiring one) for its retry; the dispatcher stops there.
    await h.fault({ endpoint: 'template_send', errcode: -1 });
    const holder = await h.userWithFormIds(2);
    const pendingId = await h.sendTemplate(holder.openid);
    await waitFor('the first call of the message', async () => {
      const message = await h.db.message.findUnique({ where: { id: pendingId } });
      return message && message.attempts >= 1 && message.creditId !== null ? message : undefined;
    });
    await h.dispatcher?.close();
    const pending = await h.db.message.findUniqueOrThrow({ where: { id: pendingId } });
    expect(PENDING.has(pending.status)).toBe(true);
    const heldCreditId = pending.creditId;
    expect(heldCreditId).not.toBeNull();
    const unused = await h.userWithFormIds(1);
    // the held formId, captured now, expires in 7 days as the others do
    const held = await h.db.sendCredit.findUniqueOrThrow({ where: { id: heldCreditId ?? 0n } });
    expect(held.expiresAt?.getTime()).toBeLessThan(Date.now() + 7 * DAY + 60_000);

    const weekOn = housekeepingAt(() => Date.now() + 7 * DAY + 3_600_000);
    const removed = removedOf(await weekOn.run());

    // the holder's second formId and the unused user's formId expired unused: gone
    expect(removed).toEqual({
      credits: 2,
      messages: 0,
      attempts: 0,
      broadcasts: 0,
      tokenFetches: 0,
      pushEvents: 0,
    });
    expect(await h.credits(unused.openid)).toEqual([]);
    const holderCredits = await h.credits(holder.openid);
    expect(holderCredits.map((c) => c.id)).toEqual([heldCreditId]);
    // the pending message still holds its credit, and its attempts still point at it
    const after = await h.db.message.findUniqueOrThrow({ where: { id: pendingId } });
    expect(PENDING.has(after.status)).toBe(true);
    expect(after.creditId).toBe(heldCreditId);
    const attempts = await h.db.messageAttempt.findMany({ where: { messageId: pendingId } });
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    expect(attempts.every((a) => a.creditId === heldCreditId)).toBe(true);
    // subscriptions: the unused one stays, and so does the one the kept sent message points at
    expect((await h.credits(subscriber.openid)).map((c) => c.state)).toEqual(['available']);
    expect((await h.credits(spender.openid)).map((c) => c.state)).toEqual(['spent']);
    expect(weekOn.lines.filter((line) => line.includes('housekeeping removed'))).toHaveLength(1);
  });

  it('past RETENTION_DAYS, purges finished messages, attempts, broadcasts and old token fetches, keeping pending work and the newest fetch; no token in plain text', async () => {
    h = await startDispatchHarness();
    // finished work: single messages and a completed broadcast, sent through WeChat (the sandbox)
    const singles = [await h.userWithFormIds(1), await h.userWithFormIds(1)];
    const singleIds = [];
    for (const user of singles) singleIds.push(await h.sendTemplate(user.openid));
    const audience = [await h.userWithFormIds(1), await h.userWithFormIds(1), await h.userWithFormIds(1)];
    const broadcastId = await broadcastTo(audience.map((user) => user.openid));
    for (const id of singleIds) expect((await h.waitUntilFinal(id)).status).toBe('sent');
    await waitFor('the broadcast to complete', async () => {
      const view = await h.api<{ status: string }>('GET', `/v1/broadcasts/${broadcastId}`);
      return view.body.status === 'completed' || undefined;
    });
    // A second fetch of the token (a stale report), so that the history holds an older fetch.
    const first = await h.tokens.getToken(h.app.appId);
    if (!first.ok) throw new Error('no token');
    const second = await h.tokens.refreshTokenIfStale(h.app.appId, first.token.accessToken);
    expect(second.ok && second.fetched).toBe(true);
    const token = second.ok ? second.token.accessToken : '';
    await h.dispatcher?.close();

    // pending work: a message and a broadcast that no dispatcher has taken yet
    const waiting = await h.userWithSubscription(1);
    const pendingId = await h.sendSubscribe(waiting.openid);
    const pendingBroadcastId = await broadcastTo([waiting.openid]);

    const finishedIds = [
      ...singleIds,
      ...(await h.db.message.findMany({ where: { broadcastId } })).map((m) => m.id),
    ];
    expect(finishedIds).toHaveLength(5);
    expect(await h.db.messageAttempt.count({ where: { messageId: { in: finishedIds } } })).toBe(5);
    const fetches = await h.db.accessTokenFetch.findMany({
      where: { appId: h.app.appId },
      orderBy: [{ fetchedAt: 'asc' }, { id: 'asc' }],
    });
    expect(fetches).toHaveLength(2);
    // two pushes from WeChat's message push: one received now, one five days later (as the days
    // would have brought it)
    const pushed = async (key: string, receivedAt: string) =>
      h.db.$executeRaw`INSERT INTO wechat_push_events
        (app_id, dedupe_key, event_type, openid, event_time, payload, received_at, processed_at)
        VALUES (${h.app.appId}, ${key.padEnd(64, '0')}, 'change', 'o-pushed', now(), '{}'::jsonb,
          ${receivedAt}::timestamptz, now())`;
    await pushed('a', new Date().toISOString());
    await pushed('b', new Date(Date.now() + 5 * DAY).toISOString());

    // 29 days on, the history is younger than RETENTION_DAYS (30): nothing goes, not even the
    // formIds the sends spent (expired since), which their kept messages point at.
    const removedAt29 = removedOf(await housekeepingAt(() => Date.now() + 29 * DAY).run());
    expect(removedAt29).toEqual({
      credits: 0,
      messages: 0,
      attempts: 0,
      broadcasts: 0,
      tokenFetches: 0,
      pushEvents: 0,
    });
    expect(await h.db.message.count({ where: { id: { in: finishedIds } } })).toBe(5);

    // One of the single messages finished a few days later than the rest: younger than 30 days
    // at day 31, it stays (its finish is moved as the passing days would have made it).
    const [lateId, oldSingleId] = singleIds as [string, string];
    await h.db
      .$executeRaw`UPDATE messages SET updated_at = updated_at + interval '5 days' WHERE id = ${lateId}::uuid`;

    const dayThirtyOne = housekeepingAt(() => Date.now() + 31 * DAY);
    const removed = removedOf(await dayThirtyOne.run());

    // 4 finished messages and their 4 attempts, the broadcast once its messages were gone, the
    // formIds those messages had spent (freed in the same run), the older token fetch and the
    // older push
    expect(removed).toEqual({
      credits: 4,
      messages: 4,
      attempts: 4,
      broadcasts: 1,
      tokenFetches: 1,
      pushEvents: 1,
    });
    expect(
      (await h.db.wechatPushEvent.findMany({ where: { appId: h.app.appId } })).map((e) => e.dedupeKey[0]),
    ).toEqual(['b']);
    expect(await h.db.message.count({ where: { id: { in: finishedIds } } })).toBe(1);
    expect(await h.db.message.findUnique({ where: { id: oldSingleId } })).toBeNull();
    expect(await h.db.messageAttempt.count({ where: { messageId: { in: finishedIds } } })).toBe(1);
    expect(await h.db.broadcast.findUnique({ where: { id: broadcastId } })).toBeNull();
    // kept: the late message with its credit, the pending message and broadcast, the newest fetch
    const late = await h.db.message.findUniqueOrThrow({ where: { id: lateId } });
    expect(late.creditId).not.toBeNull();
    expect(await h.db.sendCredit.findUnique({ where: { id: late.creditId ?? 0n } })).not.toBeNull();
    expect((await h.db.message.findUniqueOrThrow({ where: { id: pendingId } })).status).toBe('queued');
    expect((await h.db.broadcast.findUniqueOrThrow({ where: { id: pendingBroadcastId } })).status).toBe(
      'scheduled',
    );
    expect((await h.credits(waiting.openid)).map((c) => c.state)).toEqual(['available']);
    const kept = await h.db.accessTokenFetch.findMany({ where: { appId: h.app.appId } });
    expect(kept.map((row) => row.id)).toEqual([fetches[1]?.id]);
    expect(dayThirtyOne.lines.filter((line) => line.includes('housekeeping removed'))).toHaveLength(1);

    // Token history holds a hash, never the token: no such column, and no row's bytes contain it.
    const columns = await h.db.$queryRaw<Array<{ column_name: string }>>`
      SELECT column_name::text AS column_name FROM information_schema.columns WHERE table_name = 'access_token_fetches'`;
    expect(columns.map((c) => c.column_name)).not.toContain('access_token');
    expect(kept[0]?.tokenHash).toBe(hashToken(token));
    const rows = await h.db.$queryRaw<Array<{ text: string; sealed_contains: boolean }>>`
      SELECT f::text AS text,
        position(convert_to(${token}, 'UTF8') IN coalesce(f.token_sealed, ''::bytea)) > 0 AS sealed_contains
      FROM access_token_fetches f WHERE f.app_id = ${h.app.appId}`;
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.text).not.toContain(token);
      expect(row.sealed_contains).toBe(false);
    }

    // the pending broadcast would otherwise wait in the shared database for a dispatcher of this app
    expect((await h.api('POST', `/v1/broadcasts/${pendingBroadcastId}/cancel`)).status).toBe(200);
  });

  it('is scheduled by every dispatcher as one daily job at 03:00 China time, which the worker runs', async () => {
    h = await startDispatchHarness();
    const first = h.dispatcher;
    const second = h.startDispatcher();
    await Promise.all([first?.scheduled, second.scheduled]);
    const maintenance = new Queue(dispatcherMaintenanceCatalog.queue, {
      connection: h.redis,
      prefix: h.prefix,
    });
    try {
      const scheduler = await maintenance.getJobScheduler(HOUSEKEEPING_SCHEDULER_ID);
      expect(scheduler).toMatchObject({ pattern: '0 3 * * *', tz: HOUSEKEEPING_TIMEZONE });
      const next = CronExpressionParser.parse('0 3 * * *', { tz: HOUSEKEEPING_TIMEZONE }).next().getTime();
      expect(scheduler?.next).toBe(next);
      // two dispatchers, one tick: a single delayed job for the next 03:00
      const ticks = (await maintenance.getDelayed()).filter((job) => job.name === 'housekeeping');
      expect(ticks).toHaveLength(1);
      expect(ticks[0]?.id).toBe(`repeat:${HOUSEKEEPING_SCHEDULER_ID}:${next}`);

      // a tick, as the scheduler adds it, taken by one of the workers
      await h.db.$executeRaw`
        INSERT INTO send_credits (app_id, openid, kind, template_id, uses_left, captured_at, state)
        SELECT ${h.app.appId}, 'o-dead-' || g, 'subscribe', 'tmpl-x', 0, now(), 'dead' FROM generate_series(1, 3) g`;
      const tick = await maintenance.add(
        'housekeeping',
        {},
        dispatcherMaintenanceCatalog.jobs.housekeeping.options,
      );
      const done = await waitFor('the housekeeping tick', async () => {
        const state = await tick.getState();
        return state === 'completed' || state === 'failed' ? state : undefined;
      });
      expect(done).toBe('completed');
      const finished = await Job.fromId(maintenance, tick.id ?? '');
      expect(finished?.returnvalue).toMatchObject({ ranHere: true, removed: { credits: 3, messages: 0 } });
      expect(h.logs().match(/housekeeping removed 3 credits/g)).toHaveLength(1);
      const metrics = await h.metrics.registry.metrics();
      expect(metrics).toContain('minapush_housekeeping_removed_total{table="send_credits"} 3');
      for (const table of ['messages', 'message_attempts', 'broadcasts', 'access_token_fetches'])
        expect(metrics).toContain(`minapush_housekeeping_removed_total{table="${table}"} 0`);
    } finally {
      await maintenance.close();
      await first?.close();
    }
  });
});
