// The ceiling: how fast the sandbox's template_send answers when nothing but a load generator
// stands in front of it (no queue, no database). Every request is a valid send the sandbox
// delivers, paid for with a formId minted for it.
import { Pool } from 'undici';
import type { RunContext } from '../support/context.mjs';
import { say } from '../support/log.mjs';
import { ProcessMeter } from '../support/processes.mjs';
import { mintFormIds, openidsOf } from '../support/seed.mjs';
import { Stack, TEMPLATE_ID } from '../support/stack.mjs';
import { perSecond } from '../support/stats.mjs';

/** Enough keep-alive connections and requests queued on them that no connection ever idles. */
const CONNECTIONS = 64;
const IN_FLIGHT = 256;
/** Sends before the measured ones, so that the sandbox's code is optimised when the clock starts. */
const WARM_UP = 1_000;

export interface LimitResult {
  sends: number;
  delivered: number;
  /** errcodes other than 0, by code */
  errors: Record<string, number>;
  seconds: number;
  messagesPerSecond: number | undefined;
  connections: number;
  inFlight: number;
  /** the sandbox's CPU use during the measured sends, as a share of one core */
  sandboxCpuShare: number;
  /** this process's (the load generator's) CPU use, as a share of one core */
  loadGeneratorCpuShare: number;
}

/** Sends every body through the pool with `inFlight` requests outstanding; counts the answers. */
async function drive(
  pool: Pool,
  path: string,
  bodies: readonly string[],
  inFlight: number,
): Promise<{ delivered: number; errors: Record<string, number> }> {
  let next = 0;
  let delivered = 0;
  const errors: Record<string, number> = {};
  const worker = async () => {
    for (let index = next++; index < bodies.length; index = next++) {
      const answer = await pool.request({
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json' },
        body: bodies[index],
      });
      const reply = (await answer.body.json()) as { errcode?: number };
      if (answer.statusCode === 200 && reply.errcode === 0) delivered += 1;
      else {
        const key = String(reply.errcode ?? `http ${answer.statusCode}`);
        errors[key] = (errors[key] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { delivered, errors };
}

export async function runLimit(ctx: RunContext): Promise<LimitResult> {
  const sends = ctx.sizes.limitSends;
  await ctx.reset();
  const stack = await Stack.start(ctx);
  const pool = new Pool(stack.sandboxUrl, {
    connections: CONNECTIONS,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  try {
    const formIds = await mintFormIds(stack, openidsOf('limit', sends + WARM_UP));
    const token = await stack.stableToken();
    const path = `/cgi-bin/message/wxopen/template/send?access_token=${encodeURIComponent(token)}`;
    // Serialised up front: the generator's own JSON work stays out of the measured window.
    const bodies = formIds.map((credit) =>
      JSON.stringify({
        touser: credit.openid,
        template_id: TEMPLATE_ID,
        form_id: credit.formId,
        data: { keyword1: { value: 'bench' } },
      }),
    );
    say('limit', `warming up with ${WARM_UP} sends`);
    await drive(pool, path, bodies.slice(0, WARM_UP), IN_FLIGHT);

    say('limit', `${sends} sends, ${CONNECTIONS} connections, ${IN_FLIGHT} requests in flight`);
    const meter = new ProcessMeter([stack.sandbox]);
    meter.start();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const outcome = await drive(pool, path, bodies.slice(WARM_UP), IN_FLIGHT);
    const elapsedMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const [sandbox] = meter.finish();
    const result: LimitResult = {
      sends,
      delivered: outcome.delivered,
      errors: outcome.errors,
      seconds: elapsedMs / 1000,
      messagesPerSecond: perSecond(outcome.delivered, elapsedMs),
      connections: CONNECTIONS,
      inFlight: IN_FLIGHT,
      sandboxCpuShare: sandbox?.cpuShareOfOneCore ?? 0,
      loadGeneratorCpuShare: (cpu.user + cpu.system) / 1000 / elapsedMs,
    };
    say(
      'limit',
      `${Math.round(result.messagesPerSecond ?? 0)} msgs/s; sandbox CPU ${Math.round(result.sandboxCpuShare * 100)}% ` +
        `of a core, load generator ${Math.round(result.loadGeneratorCpuShare * 100)}%`,
    );
    if (outcome.delivered !== sends)
      throw new Error(`limit: ${sends - outcome.delivered} sends failed: ${JSON.stringify(outcome.errors)}`);
    return result;
  } finally {
    await pool.close();
    await stack.stop();
  }
}
