// formIds per second through POST /v1/form-ids (API key, openid in the body, 100 per request),
// against a bare express 5 endpoint that only parses the same body: the HTTP layer's ceiling.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Pool } from 'undici';
import type { RunContext } from '../support/context.mjs';
import { waitFor, waitForReady } from '../support/http.mjs';
import { say } from '../support/log.mjs';
import { authorization } from '../support/minapush.mjs';
import { root } from '../support/services.mjs';
import { freePort, Stack } from '../support/stack.mjs';
import { perSecond } from '../support/stats.mjs';

/** Distinct users the batches rotate through. */
const USERS = 1_000;
const WARM_UP_REQUESTS = 20;
/** The bare endpoint runs at least this long (going round the same bodies again). */
const BARE_MIN_MS = 3_000;

export interface IngestTargetResult {
  requests: number;
  /** formIds sent */
  formIds: number;
  /** formIds the answers accepted (minapush rejects duplicates; these are all new) */
  accepted: number;
  seconds: number;
  formIdsPerSecond: number | undefined;
  requestsPerSecond: number | undefined;
}

export interface IngestResult {
  batch: number;
  concurrency: number;
  minapush: IngestTargetResult & {
    /** first POST until the last accepted formId is a row in send_credits */
    storedSeconds: number | undefined;
    storedPerSecond: number | undefined;
  };
  bareExpress: IngestTargetResult;
}

/**
 * POSTs every body with `concurrency` in flight, and goes round them again until `minMs` passed
 * (the bare endpoint finishes the minapush count in a blink: too short to measure); fails on any
 * answer but 202.
 */
async function drive(
  origin: string,
  headers: Record<string, string>,
  bodies: readonly string[],
  options: { concurrency: number; batch: number; minMs?: number },
): Promise<IngestTargetResult> {
  const { concurrency, batch } = options;
  const pool = new Pool(origin, { connections: concurrency, keepAliveTimeout: 30_000 });
  try {
    let next = 0;
    let accepted = 0;
    let sent = 0;
    const worker = async () => {
      for (;;) {
        // Past the last body: done, unless the minimum time has not passed (then round again).
        if (next >= bodies.length && performance.now() - started >= (options.minMs ?? 0)) return;
        const index = next++ % bodies.length;
        const answer = await pool.request({
          method: 'POST',
          path: '/v1/form-ids',
          headers: { ...headers, 'content-type': 'application/json' },
          body: bodies[index],
        });
        const reply = (await answer.body.json()) as { accepted?: number };
        if (answer.statusCode !== 202) {
          throw new Error(
            `POST ${origin}/v1/form-ids answered ${answer.statusCode}: ${JSON.stringify(reply)}`,
          );
        }
        accepted += reply.accepted ?? 0;
        sent += 1;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsedMs = performance.now() - started;
    const formIds = sent * batch;
    return {
      requests: sent,
      formIds,
      accepted,
      seconds: elapsedMs / 1000,
      formIdsPerSecond: perSecond(formIds, elapsedMs),
      requestsPerSecond: perSecond(sent, elapsedMs),
    };
  } finally {
    await pool.close();
  }
}

/** Request bodies of `batch` new formIds each, for users in turn; serialised before the clock starts. */
function makeBodies(requests: number, batch: number, group: string): string[] {
  return Array.from({ length: requests }, (_, index) =>
    JSON.stringify({
      openid: `o-bench-${group}-${String(index % USERS).padStart(7, '0')}`,
      formIds: Array.from({ length: batch }, () => randomBytes(16).toString('hex')),
    }),
  );
}

export async function runIngest(ctx: RunContext): Promise<IngestResult> {
  const { ingestBatch: batch, ingestConcurrency: concurrency } = ctx.sizes;
  const requests = Math.ceil(ctx.sizes.ingestFormIds / batch);
  await ctx.reset();
  const stack = await Stack.start(ctx, { ingest: true });
  const barePort = await freePort();
  const bare = ctx.registry.start(
    'bare-express',
    process.execPath,
    ['--import', 'tsx', path.join(root, 'bench', 'support', 'bare-express.mts')],
    { cwd: root, env: { ...process.env, PORT: String(barePort) } },
  );
  try {
    const bareOrigin = `http://127.0.0.1:${barePort}`;
    await waitForReady(`${bareOrigin}/readyz`, 'bare express /readyz', () => ctx.registry.check());
    const headers = authorization(ctx);

    say('ingest', `bare express: ${requests} requests of ${batch} formIds, ${concurrency} in flight`);
    await drive(bareOrigin, headers, makeBodies(WARM_UP_REQUESTS, batch, 'warm-bare'), {
      concurrency,
      batch,
    });
    const bareExpress = await drive(bareOrigin, headers, makeBodies(requests, batch, 'bare'), {
      concurrency,
      batch,
      minMs: BARE_MIN_MS,
    });

    say('ingest', `minapush POST /v1/form-ids: the same`);
    const apiOrigin = stack.api('');
    await drive(apiOrigin, headers, makeBodies(WARM_UP_REQUESTS, batch, 'warm-ingest'), {
      concurrency,
      batch,
    });
    const warmStored = WARM_UP_REQUESTS * batch;
    // The warm-up's formIds must be stored before the clock starts, or they would count as ours.
    await waitFor(async () => ((await storedCredits(ctx)) >= warmStored ? true : undefined), {
      what: 'the warm-up formIds to be stored',
      timeoutMs: 60_000,
      check: () => ctx.registry.check(),
    });
    const started = Date.now();
    const minapush = await drive(apiOrigin, headers, makeBodies(requests, batch, 'ingest'), {
      concurrency,
      batch,
    });
    say('ingest', `accepted; waiting until the credit-ingest worker stored them in Postgres`);
    const stored = await waitFor(
      async () => ((await storedCredits(ctx)) >= warmStored + minapush.accepted ? Date.now() : undefined),
      {
        what: 'the accepted formIds to be stored',
        timeoutMs: 300_000,
        intervalMs: 500,
        check: () => ctx.registry.check(),
      },
    );
    const storedMs = stored - started;
    const result: IngestResult = {
      batch,
      concurrency,
      minapush: {
        ...minapush,
        storedSeconds: storedMs / 1000,
        storedPerSecond: perSecond(minapush.accepted, storedMs),
      },
      bareExpress,
    };
    say(
      'ingest',
      `minapush ${Math.round(minapush.formIdsPerSecond ?? 0)} formIds/s (stored ${Math.round(result.minapush.storedPerSecond ?? 0)}/s), ` +
        `bare express ${Math.round(bareExpress.formIdsPerSecond ?? 0)} formIds/s`,
    );
    return result;
  } finally {
    await bare.stop();
    await stack.stop();
  }
}

async function storedCredits(ctx: RunContext): Promise<number> {
  const { rows } = await ctx.services.db.query<{ count: string }>(
    'SELECT count(*) AS count FROM send_credits',
  );
  return Number(rows[0]?.count ?? 0);
}
