import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';

/** Messages of the broadcast created by one chunk that share a send job. */
export interface SendBatch {
  batchId: string;
  size: number;
}

export interface FanOutChunkRequest {
  broadcastId: string;
  /** audience members handled by this statement */
  chunkSize: number;
  /** messages per send batch (one bulk job each) */
  batchSize: number;
  /** a formId expiring before this moment does not make its user reachable */
  creditValidFrom: Date;
  /**
   * audience `openids` only: the next openids of the list, from `fanOutPosition` on (the list
   * travels from Node because it came in the request; the `all` audience never does)
   */
  openids?: readonly string[];
  /** the fan-out position the caller read, so that two runs of one fan-out never both move it */
  position: bigint;
}

export type FanOutChunkResult =
  /** the broadcast is no longer running (cancelled or paused), or another run moved the position */
  | { status: 'stopped' }
  | {
      status: 'created';
      /** audience members this chunk covered; fewer than `chunkSize` means the audience is done */
      scanned: number;
      position: bigint;
      /** users without a usable credit, recorded as `skipped` without any send work */
      skipped: number;
      batches: SendBatch[];
    };

// The audience of the chunk, as (position, openid): the app's recorded users after the position
// in id order (keyset), or the next openids of the list.
const AUDIENCE = {
  all: `SELECT u.id AS position, u.openid FROM b, LATERAL (
      SELECT id, openid FROM app_users WHERE app_id = b.app_id AND id > b.fan_out_position
      ORDER BY id LIMIT $2::int) u`,
  openids: `SELECT b.fan_out_position + o.ord AS position, o.openid
      FROM b, unnest($7::varchar[]) WITH ORDINALITY AS o(openid, ord) LIMIT $2::int`,
} as const;

function statement(audience: string): string {
  return `
  WITH b AS (
    SELECT id, app_id, kind, template_id, data, page, fan_out_position FROM broadcasts
    WHERE id = $1::uuid AND status = 'running' AND fanned_out_at IS NULL AND fan_out_position = $6::bigint
    FOR UPDATE
  ), audience AS (
    ${audience}
  ), reach AS (
    SELECT a.position, a.openid, EXISTS (
      SELECT 1 FROM send_credits c
      WHERE c.app_id = b.app_id AND c.openid = a.openid AND c.state = 'available' AND c.uses_left > 0
        AND CASE WHEN b.kind = 'template' THEN c.kind IN ('form_id', 'prepay_id') AND c.expires_at > $4::timestamptz
          ELSE c.kind = 'subscribe' AND c.template_id = b.template_id END
    ) AS reachable
    FROM audience a, b
  ), numbered AS (
    SELECT reach.*, (row_number() OVER (PARTITION BY reach.reachable ORDER BY reach.position) - 1) / $3::int AS batch_no
    FROM reach
  ), created AS (
    INSERT INTO messages (id, app_id, openid, kind, template_id, data, page, broadcast_id, status, batch_id, errmsg)
    SELECT minapush_uuid_v7(), b.app_id, n.openid, b.kind, b.template_id, b.data, b.page, b.id,
      CASE WHEN n.reachable THEN 'queued'::message_status ELSE 'skipped'::message_status END,
      -- a version-4-shaped uuid derived from the chunk, so that a retried chunk makes the same ids
      CASE WHEN n.reachable THEN overlay(overlay(
        md5(b.id::text || ':' || b.fan_out_position::text || ':' || n.batch_no::text)
        PLACING '4' FROM 13) PLACING '8' FROM 17)::uuid END,
      CASE WHEN n.reachable THEN NULL
        WHEN b.kind = 'template' THEN $5::text || 'the user has no usable formId or prepay_id'
        ELSE $5::text || 'the user has no accepted subscription to template ' || b.template_id END
    FROM numbered n, b
    ON CONFLICT (broadcast_id, openid) DO NOTHING
    RETURNING batch_id, status
  ), moved AS (
    UPDATE broadcasts SET fan_out_position = (SELECT max(position) FROM audience),
      total = broadcasts.total + (SELECT count(*) FROM created)
    FROM b WHERE broadcasts.id = b.id AND EXISTS (SELECT 1 FROM audience)
    RETURNING broadcasts.fan_out_position
  )
  SELECT EXISTS (SELECT 1 FROM b) AS running,
    (SELECT count(*) FROM audience)::int AS scanned,
    coalesce((SELECT fan_out_position FROM moved), (SELECT fan_out_position FROM b))::text AS position,
    (SELECT count(*) FROM created WHERE status = 'skipped')::int AS skipped,
    coalesce((SELECT json_agg(json_build_object('batchId', x.batch_id, 'size', x.size))
      FROM (SELECT batch_id, count(*)::int AS size FROM created WHERE batch_id IS NOT NULL GROUP BY batch_id) x),
      '[]'::json) AS batches`;
}

const STATEMENTS = { all: statement(AUDIENCE.all), openids: statement(AUDIENCE.openids) };

/** Prefix of a skipped message's errmsg, so that an operator can tell where it was decided. */
const SKIPPED_AT_FAN_OUT = 'skipped when the broadcast fanned out: ';

/**
 * Creates the messages of the next chunk of a running broadcast's audience in one set-based
 * statement (`INSERT … SELECT` over a keyset chunk of the app's users, or `unnest` of the list)
 * and moves its fan-out position, so a resumed fan-out goes on from there. Users without a usable
 * credit are recorded as `skipped`; the others are grouped into send batches, whose ids are
 * derived from the chunk so that a retried chunk makes the same ones. The broadcast row is locked
 * for the statement: two runs of one fan-out never both create a chunk.
 */
export async function fanOutChunk(db: Database, request: FanOutChunkRequest): Promise<FanOutChunkResult> {
  const [text, values] =
    request.openids === undefined
      ? [STATEMENTS.all, [] as unknown[]]
      : [STATEMENTS.openids, [request.openids]];
  const [row] = await query<{
    running: boolean;
    scanned: number;
    position: string;
    skipped: number;
    batches: SendBatch[];
  }>(db, text, [
    request.broadcastId,
    request.chunkSize,
    request.batchSize,
    request.creditValidFrom,
    SKIPPED_AT_FAN_OUT,
    request.position.toString(),
    ...values,
  ]);
  if (!row?.running) return { status: 'stopped' };
  return {
    status: 'created',
    scanned: row.scanned,
    position: BigInt(row.position),
    skipped: row.skipped,
    batches: row.batches,
  };
}
