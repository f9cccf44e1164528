// What most teams write first: for each user, in order, look up their soonest-expiring formId,
// send with it, delete it. One user at a time, against the same Postgres and sandbox.
import pg from 'pg';
import { Pool } from 'undici';
import type { RunContext } from '../support/context.mjs';
import { say } from '../support/log.mjs';
import { openidsOf, seedUsers } from '../support/seed.mjs';
import { Stack, TEMPLATE_ID } from '../support/stack.mjs';
import { perSecond } from '../support/stats.mjs';

export interface NaiveLoopResult {
  users: number;
  sent: number;
  failed: number;
  /** users with no formId left */
  skipped: number;
  seconds: number;
  messagesPerSecond: number | undefined;
}

export async function runNaiveLoop(ctx: RunContext): Promise<NaiveLoopResult> {
  const users = ctx.sizes.naiveUsers;
  await ctx.reset();
  const stack = await Stack.start(ctx);
  const client = new pg.Client({ connectionString: ctx.services.databaseUrl });
  const wechat = new Pool(stack.sandboxUrl, { connections: 1, keepAliveTimeout: 30_000 });
  try {
    await seedUsers(stack, ctx.services.db, openidsOf('naive', users));
    await client.connect();
    const appId = stack.app.appId;
    // Fetched once, as the loop's author would (and then hope it does not expire mid-run).
    const token = await stack.stableToken();
    const path = `/cgi-bin/message/wxopen/template/send?access_token=${encodeURIComponent(token)}`;

    say('naive', `${users} users, one at a time`);
    let sent = 0;
    let failed = 0;
    let skipped = 0;
    const started = performance.now();
    const { rows: audience } = await client.query<{ openid: string }>(
      'SELECT openid FROM app_users WHERE app_id = $1 ORDER BY id',
      [appId],
    );
    for (const [index, { openid }] of audience.entries()) {
      const { rows } = await client.query<{ id: string; form_id: string }>(
        `SELECT id, form_id FROM send_credits
         WHERE app_id = $1 AND openid = $2 AND kind = 'form_id'
         ORDER BY expires_at LIMIT 1`,
        [appId, openid],
      );
      const credit = rows[0];
      if (!credit) {
        skipped += 1;
        continue;
      }
      const answer = await wechat.request({
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          touser: openid,
          template_id: TEMPLATE_ID,
          form_id: credit.form_id,
          data: { keyword1: { value: 'bench' } },
        }),
      });
      const reply = (await answer.body.json()) as { errcode?: number };
      if (reply.errcode === 0) sent += 1;
      else failed += 1;
      await client.query('DELETE FROM send_credits WHERE id = $1', [credit.id]);
      if ((index + 1) % 1_000 === 0) say('naive', `${index + 1}/${audience.length}`);
    }
    const elapsedMs = performance.now() - started;
    const result: NaiveLoopResult = {
      users,
      sent,
      failed,
      skipped,
      seconds: elapsedMs / 1000,
      messagesPerSecond: perSecond(sent, elapsedMs),
    };
    say('naive', `${Math.round(result.messagesPerSecond ?? 0)} msgs/s (${sent} sent, ${failed} failed)`);
    return result;
  } finally {
    await client.end().catch(() => undefined);
    await wechat.close();
    await stack.stop();
  }
}
