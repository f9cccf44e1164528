import type pg from 'pg';
import { expectJson } from './http.mjs';
import { say } from './log.mjs';
import type { Stack } from './stack.mjs';

/** The sandbox's bulk routes take 10,000 openids per call; Postgres gets the same chunks. */
const CHUNK = 10_000;

export interface MintedFormId {
  openid: string;
  formId: string;
  createdAt: string;
  expiresAt: string;
}

/** `count` distinct openids of one group, shaped roughly like WeChat's (28 characters). */
export function openidsOf(group: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `o-bench-${group}-${String(i).padStart(7, '0')}`);
}

/** One formId per openid, minted by the sandbox (the user's form submit), in the openids' order. */
export async function mintFormIds(stack: Stack, openids: readonly string[]): Promise<MintedFormId[]> {
  const minted: MintedFormId[] = [];
  for (let start = 0; start < openids.length; start += CHUNK) {
    const answer = await expectJson<{ formIds: MintedFormId[] }>(
      stack.sandboxControl('/form-ids/bulk'),
      201,
      {
        body: { openids: openids.slice(start, start + CHUNK), kind: 'form_id' },
      },
    );
    minted.push(...answer.formIds);
  }
  return minted;
}

/**
 * What minapush would hold after these users opened the mini-program and submitted a form: one
 * app_users row each (inserted in the given order, so ids follow it) and one formId credit each
 * (1 use, expiring when the sandbox says). Set-based SQL with explicit column lists: the other
 * columns keep their defaults, whatever columns the schema gains.
 */
export async function storeUsers(
  db: pg.Pool,
  appId: string,
  formIds: readonly MintedFormId[],
): Promise<void> {
  for (let start = 0; start < formIds.length; start += CHUNK) {
    const chunk = formIds.slice(start, start + CHUNK);
    await db.query(
      `INSERT INTO app_users (app_id, openid)
       SELECT $1, u.openid FROM unnest($2::text[]) WITH ORDINALITY AS u(openid, n) ORDER BY u.n
       ON CONFLICT (app_id, openid) DO NOTHING`,
      [appId, chunk.map((f) => f.openid)],
    );
    await db.query(
      `INSERT INTO send_credits (app_id, openid, kind, form_id, uses_left, expires_at, captured_at)
       SELECT $1, c.openid, 'form_id', c.form_id, 1, c.expires_at, c.captured_at
       FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])
         AS c(openid, form_id, expires_at, captured_at)`,
      [
        appId,
        chunk.map((f) => f.openid),
        chunk.map((f) => f.formId),
        chunk.map((f) => f.expiresAt),
        chunk.map((f) => f.createdAt),
      ],
    );
  }
  // Fresh statistics, as a long-lived database has: right after a TRUNCATE the planner would
  // guess the tables empty and plan the engine's queries for that.
  await db.query('ANALYZE app_users, send_credits');
}

/** Mints a formId per user in the sandbox and records the users and their formIds in Postgres. */
export async function seedUsers(
  stack: Stack,
  db: pg.Pool,
  openids: readonly string[],
): Promise<MintedFormId[]> {
  const started = performance.now();
  const formIds = await mintFormIds(stack, openids);
  await storeUsers(db, stack.app.appId, formIds);
  say(
    'seed',
    `${openids.length} users with one formId each in ${Math.round(performance.now() - started)} ms`,
  );
  return formIds;
}
