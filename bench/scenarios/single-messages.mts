// Single messages through POST /v1/messages: throughput with many in flight, and
// enqueue-to-sent latency of a paced trickle, on an idle system and while a broadcast runs.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { RunContext } from '../support/context.mjs';
import { expectJson, requestJson, waitFor } from '../support/http.mjs';
import { say } from '../support/log.mjs';
import {
  authorization,
  broadcastBody,
  deliveryTimes,
  messageBody,
  pendingCount,
  readBroadcast,
  statusCounts,
} from '../support/minapush.mjs';
import { openidsOf, seedUsers } from '../support/seed.mjs';
import { Stack } from '../support/stack.mjs';
import { perSecond } from '../support/stats.mjs';

export interface TrickleResult {
  messages: number;
  ratePerSecond: number;
  sent: number;
  statuses: Record<string, number>;
  /** sent_at − created_at */
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  maxMs: number | undefined;
  /** still queued or sending when the wait ended */
  notSentInTime: number;
  /** how long after the trickle's last POST the wait lasted */
  waitedMs: number;
}

export interface LoadedTrickleResult extends TrickleResult {
  broadcastAudience: number;
  /** the broadcast's sent count went up by this much while the trickle ran */
  broadcastSentDuringTrickle: number;
  /** false if the broadcast completed before the trickle ended (then the load was partly absent) */
  broadcastRanThroughout: boolean;
}

export interface SingleMessagesResult {
  messages: number;
  concurrency: number;
  statuses: Record<string, number>;
  sent: number;
  /** first POST to the last message's sent_at */
  seconds: number;
  messagesPerSecond: number | undefined;
  /** POSTs answered 202 per second */
  intakePerSecond: number | undefined;
  enqueueToSentP50Ms: number | undefined;
  enqueueToSentP99Ms: number | undefined;
  idle: TrickleResult;
  loaded: LoadedTrickleResult;
}

async function postMessage(ctx: RunContext, stack: Stack, pool: Pool, openid: string): Promise<string> {
  const answer = await requestJson<{ id?: string }>(stack.api('/v1/messages'), {
    dispatcher: pool,
    headers: authorization(ctx),
    body: messageBody(openid),
  });
  if (answer.status !== 202 || !answer.body.id) {
    throw new Error(
      `POST /v1/messages answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`,
    );
  }
  return answer.body.id;
}

/** One message per openid with `concurrency` requests in flight; ids in the openids' order. */
async function postMany(
  ctx: RunContext,
  stack: Stack,
  pool: Pool,
  openids: readonly string[],
  concurrency: number,
): Promise<string[]> {
  const ids: string[] = new Array(openids.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < openids.length; index = next++) {
      ids[index] = await postMessage(ctx, stack, pool, openids[index]!);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ids;
}

/** One message per openid at a steady `ratePerSecond` (each POST on its own schedule, not chained). */
async function trickle(
  ctx: RunContext,
  stack: Stack,
  pool: Pool,
  openids: readonly string[],
  ratePerSecond: number,
): Promise<string[]> {
  const started = performance.now();
  const posted: Promise<string>[] = [];
  for (const [index, openid] of openids.entries()) {
    const due = started + (index * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    posted.push(postMessage(ctx, stack, pool, openid));
  }
  return Promise.all(posted);
}

/**
 * Waits until none of `ids` is pending or `timeoutMs` passed; answers how many are still pending
 * and how long it waited.
 */
async function settle(
  ctx: RunContext,
  ids: readonly string[],
  timeoutMs: number,
): Promise<{ pending: number; waitedMs: number }> {
  const started = performance.now();
  for (;;) {
    ctx.registry.check();
    const pending = await pendingCount(ctx.services.db, ids);
    const waitedMs = performance.now() - started;
    if (pending === 0 || waitedMs >= timeoutMs) return { pending, waitedMs };
    await sleep(250);
  }
}

async function trickleFigures(
  ctx: RunContext,
  ids: readonly string[],
  ratePerSecond: number,
  settled: { pending: number; waitedMs: number },
): Promise<TrickleResult> {
  const times = await deliveryTimes(ctx.services.db, { ids }, 'created_at');
  return {
    messages: ids.length,
    ratePerSecond,
    sent: times.sent,
    statuses: await statusCounts(ctx.services.db, { ids }),
    p50Ms: times.p50Ms,
    p99Ms: times.p99Ms,
    maxMs: times.lastMs,
    notSentInTime: settled.pending,
    waitedMs: settled.waitedMs,
  };
}

export async function runSingleMessages(ctx: RunContext): Promise<SingleMessagesResult> {
  const { sizes } = ctx;
  const trickleCount = sizes.trickleRatePerSecond * sizes.trickleSeconds;
  await ctx.reset();
  const stack = await Stack.start(ctx, { ingest: true, refresher: true, dispatchers: 1 });
  const pool = new Pool(stack.api(''), { connections: sizes.singleConcurrency, keepAliveTimeout: 30_000 });
  try {
    // Separate users for each part, so that no part finds another's credit spent.
    const single = openidsOf('single', sizes.singleMessages);
    const idle = openidsOf('idle', trickleCount);
    const loaded = openidsOf('loaded', trickleCount);
    const background = openidsOf('background', sizes.loadedBroadcastAudience);
    await seedUsers(stack, ctx.services.db, [...single, ...idle, ...loaded, ...background]);

    // (a) throughput
    say('single', `${single.length} POST /v1/messages, ${sizes.singleConcurrency} in flight`);
    const firstPost = Date.now();
    const ids = await postMany(ctx, stack, pool, single, sizes.singleConcurrency);
    const intakeMs = Date.now() - firstPost;
    say('single', `accepted in ${(intakeMs / 1000).toFixed(1)} s; waiting until every message is final`);
    const stuck = await settle(ctx, ids, Math.max(120_000, single.length * 50));
    if (stuck.pending > 0) throw new Error(`single: ${stuck.pending} messages still pending after the wait`);
    const times = await deliveryTimes(ctx.services.db, { ids }, 'created_at');
    const elapsedMs = (times.lastSentAt ?? Date.now()) - firstPost;
    const statuses = await statusCounts(ctx.services.db, { ids });

    // (b) latency on an idle system: a paced trickle, so that no backlog forms
    say('single', `idle trickle: ${trickleCount} messages at ${sizes.trickleRatePerSecond}/s`);
    const idleIds = await trickle(ctx, stack, pool, idle, sizes.trickleRatePerSecond);
    const idleStuck = await settle(ctx, idleIds, 60_000);
    const idleResult = await trickleFigures(ctx, idleIds, sizes.trickleRatePerSecond, idleStuck);

    // (c) the same trickle while a broadcast is sending
    say('single', `loaded trickle: broadcast to ${background.length} users, then the trickle`);
    const { id: broadcastId } = await expectJson<{ id: string }>(stack.api('/v1/broadcasts'), 202, {
      headers: authorization(ctx),
      body: broadcastBody({ type: 'openids', openids: background }),
    });
    const before = await waitFor(
      async () => {
        const view = await readBroadcast(ctx, stack, broadcastId);
        return view.sent > 0 ? view : undefined;
      },
      {
        what: 'the background broadcast to start sending',
        timeoutMs: 60_000,
        check: () => ctx.registry.check(),
      },
    );
    const loadedIds = await trickle(ctx, stack, pool, loaded, sizes.trickleRatePerSecond);
    const after = await readBroadcast(ctx, stack, broadcastId);
    const loadedStuck = await settle(ctx, loadedIds, sizes.loadedTrickleDeadlineMs);
    if (loadedStuck.pending > 0) {
      say(
        'single',
        `${loadedStuck.pending} of the loaded trickle's messages not sent ${sizes.loadedTrickleDeadlineMs} ms after it ended`,
      );
    }
    const loadedResult: LoadedTrickleResult = {
      ...(await trickleFigures(ctx, loadedIds, sizes.trickleRatePerSecond, loadedStuck)),
      broadcastAudience: background.length,
      broadcastSentDuringTrickle: after.sent - before.sent,
      broadcastRanThroughout: after.status === 'running',
    };
    // The rest of the broadcast is not measured: cancel it rather than wait for it.
    const cancel = await requestJson(stack.api(`/v1/broadcasts/${broadcastId}/cancel`), {
      method: 'POST',
      headers: authorization(ctx),
    });
    if (cancel.status !== 200 && cancel.status !== 409) {
      throw new Error(`cancelling the background broadcast answered ${cancel.status}`);
    }

    const result: SingleMessagesResult = {
      messages: single.length,
      concurrency: sizes.singleConcurrency,
      statuses,
      sent: times.sent,
      seconds: elapsedMs / 1000,
      messagesPerSecond: perSecond(times.sent, elapsedMs),
      intakePerSecond: perSecond(single.length, intakeMs),
      enqueueToSentP50Ms: times.p50Ms,
      enqueueToSentP99Ms: times.p99Ms,
      idle: idleResult,
      loaded: loadedResult,
    };
    say(
      'single',
      `${Math.round(result.messagesPerSecond ?? 0)} msgs/s; idle p50 ${Math.round(idleResult.p50Ms ?? Number.NaN)} ms, ` +
        `loaded p50 ${Math.round(loadedResult.p50Ms ?? Number.NaN)} ms`,
    );
    return result;
  } finally {
    await pool.close();
    await stack.stop();
  }
}
