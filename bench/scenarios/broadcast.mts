// minapush's broadcast, end to end: from POST /v1/broadcasts (audience: every user) until GET
// says completed, with real ingest-api, token-refresher and dispatcher processes.
import type { RunContext } from '../support/context.mjs';
import { expectJson } from '../support/http.mjs';
import { say, shout } from '../support/log.mjs';
import {
  authorization,
  broadcastBody,
  checkDeliveries,
  type DeliveryCheck,
  deliveryTimes,
  sandboxCalls,
  statusCounts,
  waitForBroadcast,
} from '../support/minapush.mjs';
import { ProcessMeter } from '../support/processes.mjs';
import { type ProfileSummary, summariseProfile } from '../support/profile.mjs';
import { openidsOf, seedUsers } from '../support/seed.mjs';
import { Stack } from '../support/stack.mjs';
import { perSecond } from '../support/stats.mjs';

export interface DispatcherFigures {
  name: string;
  /** VmHWM: the kernel's peak resident set, read at the end */
  peakRssMb: number;
  /** the largest VmRSS seen sampling every 250 ms */
  sampledPeakRssMb: number;
  cpuShareOfOneCore: number;
}

export interface BroadcastCaseResult {
  audience: number;
  dispatchers: number;
  /** started with --cpu-prof: its figures carry the profiler's overhead */
  profiled: boolean;
  total: number;
  sent: number;
  /** from the messages table */
  statuses: Record<string, number>;
  /** POST to finishedAt (the broadcast's own record; polling does not blur it) */
  seconds: number;
  messagesPerSecond: number | undefined;
  /** per message: sent_at − the moment of the POST */
  deliveryP50Ms: number | undefined;
  deliveryP99Ms: number | undefined;
  firstDeliveryMs: number | undefined;
  dispatcherProcesses: DispatcherFigures[];
  sandboxCpuShare: number;
  /** calls the sandbox's template_send received: more than `sent` means retries */
  sendCalls: number;
  /** attempts of the broadcast not answered "sent" (by outcome and errcode): why calls exceeded users */
  otherAnswers: Record<string, number>;
  deliveries: DeliveryCheck;
  profile?: ProfileSummary[];
}

export interface BroadcastFailure {
  audience: number;
  dispatchers: number;
  error: string;
}

/** Each case that finished, and each that did not (a failed case does not lose the others). */
export interface BroadcastResult {
  cases: BroadcastCaseResult[];
  failures: BroadcastFailure[];
}

async function runCase(
  ctx: RunContext,
  audience: number,
  dispatchers: number,
  profiled: boolean,
): Promise<BroadcastCaseResult> {
  const scope = `broadcast ${audience / 1000}k×${dispatchers}`;
  await ctx.reset();
  const profileName = profiled ? `dispatcher-broadcast-${audience}-${Date.now()}` : undefined;
  const stack = await Stack.start(ctx, { ingest: true, refresher: true, dispatchers, profileName });
  let result: BroadcastCaseResult;
  try {
    const openids = openidsOf('broadcast', audience);
    await seedUsers(stack, ctx.services.db, openids);

    const meter = new ProcessMeter([...stack.dispatchers, stack.sandbox]);
    meter.start();
    say(scope, `POST /v1/broadcasts to ${audience} users${profiled ? ' (dispatcher profiled)' : ''}`);
    const postedAt = Date.now();
    const { id } = await expectJson<{ id: string }>(stack.api('/v1/broadcasts'), 202, {
      headers: authorization(ctx),
      body: broadcastBody({ type: 'all' }),
    });
    const view = await waitForBroadcast(ctx, stack, id, {
      scope,
      postedAt,
      // generous: 20 ms a message (the one-at-a-time engine took ~8); a hang still ends clearly
      timeoutMs: Math.max(180_000, audience * 20),
    });
    const seenCompleteAt = Date.now();
    const figures = meter.finish();
    const finishedAt = view.finishedAt ? Date.parse(view.finishedAt) : seenCompleteAt;
    const elapsedMs = finishedAt - postedAt;
    const times = await deliveryTimes(ctx.services.db, { broadcastId: id }, postedAt);
    const deliveries = await checkDeliveries(stack, openids);
    const calls = await sandboxCalls(stack);
    // what the calls beyond one per user were answered (a reply lost under load, a stale token…)
    const { rows: answers } = await ctx.services.db.query<{
      outcome: string;
      errcode: number | null;
      count: string;
    }>(
      `SELECT a.outcome::text AS outcome, a.errcode, count(*) AS count
       FROM message_attempts a JOIN messages m ON m.id = a.message_id
       WHERE m.broadcast_id = $1::uuid AND (a.outcome <> 'sent' OR a.errcode IS NOT NULL)
       GROUP BY 1, 2 ORDER BY 3 DESC`,
      [id],
    );
    const sandboxFigures = figures.find((f) => f.name === 'sandbox');
    result = {
      audience,
      dispatchers,
      profiled,
      total: view.total,
      sent: view.sent,
      statuses: await statusCounts(ctx.services.db, { broadcastId: id }),
      seconds: elapsedMs / 1000,
      messagesPerSecond: perSecond(view.sent, elapsedMs),
      deliveryP50Ms: times.p50Ms,
      deliveryP99Ms: times.p99Ms,
      firstDeliveryMs: times.firstMs,
      dispatcherProcesses: figures
        .filter((f) => f.name !== 'sandbox')
        .map((f) => ({
          name: f.name,
          peakRssMb: f.vmHwmMb,
          sampledPeakRssMb: f.sampledPeakRssMb,
          cpuShareOfOneCore: f.cpuShareOfOneCore,
        })),
      sandboxCpuShare: sandboxFigures?.cpuShareOfOneCore ?? 0,
      sendCalls: calls.template_send,
      otherAnswers: Object.fromEntries(
        answers.map((row) => [
          `${row.outcome}${row.errcode === null ? '' : ` ${row.errcode}`}`,
          Number(row.count),
        ]),
      ),
      deliveries,
    };
    say(
      scope,
      `${Math.round(result.messagesPerSecond ?? 0)} msgs/s over ${result.seconds.toFixed(1)} s; ` +
        `p50 ${Math.round(result.deliveryP50Ms ?? 0)} ms, p99 ${Math.round(result.deliveryP99Ms ?? 0)} ms; ` +
        `dispatcher peak RSS ${result.dispatcherProcesses.map((d) => `${Math.round(d.peakRssMb)} MB`).join(', ')}`,
    );
    if (!deliveries.ok) {
      shout(
        scope,
        `DELIVERY CHECK FAILED: of ${deliveries.expected} users, ${deliveries.missing} got nothing, ` +
          `${deliveries.duplicated} got more than one message, ${deliveries.unexpected} unknown users got one`,
      );
    }
  } finally {
    // The profile is written when the dispatcher exits, so stop first.
    await stack.stop();
  }
  if (profiled) {
    result.profile = await Promise.all(stack.profiles.map((file) => summariseProfile(file)));
  }
  return result;
}

export async function runBroadcast(ctx: RunContext): Promise<BroadcastResult> {
  const result: BroadcastResult = { cases: [], failures: [] };
  const largest = Math.max(...ctx.sizes.broadcastAudiences);
  for (const audience of ctx.sizes.broadcastAudiences) {
    for (const dispatchers of ctx.sizes.broadcastDispatchers) {
      const profiled = ctx.profileDir !== undefined && audience === largest && dispatchers === 1;
      // Each case runs its own children: an app that died in the last one is not this one's failure.
      ctx.registry.clearFailure();
      try {
        result.cases.push(await runCase(ctx, audience, dispatchers, profiled));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        shout(`broadcast ${audience / 1000}k×${dispatchers}`, `FAILED: ${message}`);
        result.failures.push({ audience, dispatchers, error: message });
      }
    }
  }
  return result;
}
