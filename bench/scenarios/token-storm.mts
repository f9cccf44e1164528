// 1,000 callers report the same access_token stale at once (each got 40001 with it): the central
// token must be refreshed once, not 1,000 times (each fetch would kill the token the others hold).
import { Pool } from 'undici';
import type { RunContext } from '../support/context.mjs';
import { expectJson, requestJson } from '../support/http.mjs';
import { say } from '../support/log.mjs';
import { authorization } from '../support/minapush.mjs';
import { Stack } from '../support/stack.mjs';

interface TokenFetch {
  mode: string;
  forceRefresh: boolean;
  at: string;
  issued: boolean;
  errcode?: number;
}

export interface TokenStormResult {
  callers: number;
  /** answered 200 with a token */
  answered: number;
  /** other answers, by status */
  refused: Record<string, number>;
  /** calls the sandbox's token endpoints received during the storm */
  fetchCalls: number;
  /** of those, calls that issued a new token (a stable token is re-issued only near expiry) */
  issued: number;
  /** when each of those calls came, in ms after the first caller left */
  fetchCallsAtMs: number[];
  /** distinct tokens the callers got back */
  distinctTokens: number;
  seconds: number;
}

export async function runTokenStorm(ctx: RunContext): Promise<TokenStormResult> {
  const callers = ctx.sizes.tokenStormCallers;
  await ctx.reset();
  const stack = await Stack.start(ctx, { ingest: true });
  // One connection per caller: all of them really are in flight at once.
  const pool = new Pool(stack.api(''), { connections: callers, keepAliveTimeout: 30_000 });
  try {
    const appId = stack.app.appId;
    const current = await expectJson<{ accessToken: string }>(
      stack.api(`/v1/apps/${appId}/access-token`),
      200,
      {
        headers: authorization(ctx),
      },
    );
    const fetchesBefore = (
      await expectJson<{ fetches: TokenFetch[] }>(stack.sandboxControl('/token-fetches'), 200)
    ).fetches.length;

    say(
      'token storm',
      `${callers} concurrent POST /v1/apps/:appId/access-token/refresh with the current token`,
    );
    const startedAt = Date.now();
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: callers }, () =>
        requestJson<{ accessToken?: string }>(stack.api(`/v1/apps/${appId}/access-token/refresh`), {
          dispatcher: pool,
          headers: authorization(ctx),
          body: { staleToken: current.accessToken },
        }),
      ),
    );
    const elapsedMs = performance.now() - started;
    const { fetches } = await expectJson<{ fetches: TokenFetch[] }>(
      stack.sandboxControl('/token-fetches'),
      200,
    );
    const during = fetches.slice(fetchesBefore);

    const refused: Record<string, number> = {};
    const tokens = new Set<string>();
    for (const answer of answers) {
      if (answer.status === 200 && answer.body.accessToken) tokens.add(answer.body.accessToken);
      else refused[answer.status] = (refused[answer.status] ?? 0) + 1;
    }
    const result: TokenStormResult = {
      callers,
      answered: answers.length - Object.values(refused).reduce((sum, n) => sum + n, 0),
      refused,
      fetchCalls: during.length,
      issued: during.filter((fetch) => fetch.issued).length,
      fetchCallsAtMs: during.map((fetch) => Date.parse(fetch.at) - startedAt),
      distinctTokens: tokens.size,
      seconds: elapsedMs / 1000,
    };
    say(
      'token storm',
      `${result.fetchCalls} token fetch call(s) (${result.issued} issued a new token), ` +
        `${result.answered}/${callers} answered in ${elapsedMs.toFixed(0)} ms`,
    );
    return result;
  } finally {
    await pool.close();
    await stack.stop();
  }
}
