import type pg from 'pg';
import type { RunContext } from './context.mjs';
import { expectJson, waitFor } from './http.mjs';
import { say } from './log.mjs';
import type { Stack } from './stack.mjs';
import { TEMPLATE_ID } from './stack.mjs';

export const authorization = (ctx: RunContext) => ({ authorization: `Bearer ${ctx.apiKey}` });

/** The broadcast every scenario sends: the legacy template, paid for with each user's formId. */
export const broadcastBody = (audience: { type: 'all' } | { type: 'openids'; openids: string[] }) => ({
  kind: 'template',
  templateId: TEMPLATE_ID,
  data: { keyword1: 'bench' },
  audience,
});

export const messageBody = (openid: string) => ({
  openid,
  kind: 'template',
  templateId: TEMPLATE_ID,
  data: { keyword1: 'bench' },
});

export interface BroadcastView {
  id: string;
  status: 'scheduled' | 'running' | 'paused' | 'completed' | 'cancelled';
  total: number;
  sent: number;
  failed: number;
  skipped: number;
  unknown: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  pausedReason?: string;
}

export function readBroadcast(ctx: RunContext, stack: Stack, id: string): Promise<BroadcastView> {
  return expectJson<BroadcastView>(stack.api(`/v1/broadcasts/${id}`), 200, { headers: authorization(ctx) });
}

/**
 * Polls the broadcast every `intervalMs` until it is completed, printing progress every few
 * seconds. A paused or cancelled broadcast is a failure: it would never complete.
 */
export async function waitForBroadcast(
  ctx: RunContext,
  stack: Stack,
  id: string,
  options: { scope: string; timeoutMs: number; intervalMs?: number; postedAt: number },
): Promise<BroadcastView> {
  let lastReport = performance.now();
  return waitFor(
    async () => {
      const view = await readBroadcast(ctx, stack, id);
      if (view.status === 'completed') return view;
      if (view.status === 'paused' || view.status === 'cancelled') {
        throw new BroadcastStoppedError(
          `broadcast ${id} is ${view.status}${view.pausedReason ? `: ${view.pausedReason}` : ''}`,
        );
      }
      if (performance.now() - lastReport >= 5_000) {
        lastReport = performance.now();
        const done = view.sent + view.failed + view.skipped + view.unknown;
        const seconds = (Date.now() - options.postedAt) / 1000;
        say(
          options.scope,
          `${view.status}: ${done}/${view.total || '?'} done, ${view.sent} sent, ${Math.round(view.sent / seconds)} msgs/s so far`,
        );
      }
      return undefined;
    },
    {
      what: `broadcast ${id} to complete`,
      timeoutMs: options.timeoutMs,
      intervalMs: options.intervalMs ?? 500,
      check: () => ctx.registry.check(),
    },
  );
}

export class BroadcastStoppedError extends Error {
  override readonly name = 'BroadcastStoppedError';
}

export interface DeliveryTimes {
  /** messages with a sent_at */
  sent: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  firstMs: number | undefined;
  lastMs: number | undefined;
  /** the last sent_at, epoch ms */
  lastSentAt: number | undefined;
}

/**
 * Percentiles of `sent_at − from`, in Postgres: 100,000 timestamps stay where they are. `from` is
 * a column (`created_at`) or a fixed time in epoch ms.
 */
export async function deliveryTimes(
  db: pg.Pool,
  where: { broadcastId: string } | { ids: readonly string[] },
  from: 'created_at' | number,
): Promise<DeliveryTimes> {
  const origin = typeof from === 'number' ? 'to_timestamp($2::double precision / 1000)' : 'created_at';
  const [filter, first] =
    'broadcastId' in where
      ? ['broadcast_id = $1::uuid', where.broadcastId]
      : ['id = ANY($1::uuid[])', where.ids];
  const params: unknown[] = typeof from === 'number' ? [first, from] : [first];
  const { rows } = await db.query<{
    sent: string;
    p50: number | null;
    p99: number | null;
    first: number | null;
    last: number | null;
    last_sent_at: number | null;
  }>(
    `WITH delay AS (
       SELECT extract(epoch FROM sent_at - ${origin}) * 1000 AS ms, extract(epoch FROM sent_at) * 1000 AS at
       FROM messages WHERE ${filter} AND sent_at IS NOT NULL
     )
     SELECT count(*) AS sent,
            percentile_disc(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
            percentile_disc(0.99) WITHIN GROUP (ORDER BY ms) AS p99,
            min(ms) AS first, max(ms) AS last, max(at) AS last_sent_at
     FROM delay`,
    params,
  );
  const row = rows[0];
  const number = (value: number | null | undefined) =>
    value === null || value === undefined ? undefined : Number(value);
  return {
    sent: Number(row?.sent ?? 0),
    p50Ms: number(row?.p50),
    p99Ms: number(row?.p99),
    firstMs: number(row?.first),
    lastMs: number(row?.last),
    lastSentAt: number(row?.last_sent_at),
  };
}

/** Messages by status, from the messages table. */
export async function statusCounts(
  db: pg.Pool,
  where: { broadcastId: string } | { ids: readonly string[] },
): Promise<Record<string, number>> {
  const [filter, param] =
    'broadcastId' in where
      ? ['broadcast_id = $1::uuid', where.broadcastId]
      : ['id = ANY($1::uuid[])', where.ids];
  const { rows } = await db.query<{ status: string; count: string }>(
    `SELECT status::text AS status, count(*) AS count FROM messages WHERE ${filter} GROUP BY status ORDER BY status`,
    [param],
  );
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
}

/** How many of `ids` are not final yet (queued or sending). */
export async function pendingCount(db: pg.Pool, ids: readonly string[]): Promise<number> {
  const { rows } = await db.query<{ pending: string }>(
    "SELECT count(*) AS pending FROM messages WHERE id = ANY($1::uuid[]) AND status IN ('queued', 'sending')",
    [ids],
  );
  return Number(rows[0]?.pending ?? 0);
}

export interface DeliveryCheck {
  ok: boolean;
  expected: number;
  delivered: number;
  missing: number;
  duplicated: number;
  unexpected: number;
}

/**
 * Proof from WeChat's side (the sandbox) that each of `openids` got exactly one template message
 * and nobody else got one.
 */
export async function checkDeliveries(stack: Stack, openids: readonly string[]): Promise<DeliveryCheck> {
  const { deliveries } = await expectJson<{ deliveries: { openid: string }[] }>(
    stack.sandboxControl('/deliveries?kind=template'),
    200,
  );
  const received = new Map<string, number>();
  for (const delivery of deliveries) received.set(delivery.openid, (received.get(delivery.openid) ?? 0) + 1);
  const expected = new Set(openids);
  let missing = 0;
  let duplicated = 0;
  for (const openid of expected) {
    const count = received.get(openid) ?? 0;
    if (count === 0) missing += 1;
    if (count > 1) duplicated += 1;
  }
  const unexpected = [...received.keys()].filter((openid) => !expected.has(openid)).length;
  return {
    ok: missing === 0 && duplicated === 0 && unexpected === 0,
    expected: expected.size,
    delivered: deliveries.length,
    missing,
    duplicated,
    unexpected,
  };
}

/** The sandbox's count of calls to its send endpoints for the bench app. */
export async function sandboxCalls(stack: Stack): Promise<{ template_send: number; subscribe_send: number }> {
  const described = await expectJson<{ calls: { template_send: number; subscribe_send: number } }>(
    stack.sandboxControl(),
    200,
  );
  return described.calls;
}
