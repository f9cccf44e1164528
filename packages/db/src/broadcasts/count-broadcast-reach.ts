import type { Database } from '../create-database.js';
import type { MessageKind } from '../generated/prisma/client.js';
import { query } from '../sql-pool.js';
import type { BroadcastAudience } from './broadcasts.js';

export interface BroadcastReachRequest {
  appId: string;
  kind: MessageKind;
  templateId: string;
  audience: BroadcastAudience;
  /** a formId or prepay_id expiring before this moment does not make its user reachable */
  creditValidFrom: Date;
}

export interface BroadcastReach {
  /** distinct users the broadcast would go to */
  audience: number;
  /** of those, the users with a usable credit for it: the messages it would send */
  reachable: number;
}

// Usable for the broadcast, as the fan-out decides it (fan-out-chunk.ts): any formId or prepay_id
// for a template message, an accepted subscription to its template for a subscribe message.
const USABLE = `c.state = 'available' AND c.uses_left > 0
  AND CASE WHEN $2::message_kind = 'template' THEN c.kind IN ('form_id', 'prepay_id') AND c.expires_at > $4::timestamptz
    ELSE c.kind = 'subscribe' AND c.template_id = $3 END`;

// Every recorded user: the app's users, and the distinct users with a usable credit, in one pass
// over the app's credits counted bytewise as in findAppInventory. Those are all recorded users: the
// intake records a credit's user in the transaction that stores it (storeCreditBatch), so no join
// to app_users is needed (it took half the time on a million users).
const ALL = `
  SELECT (SELECT count(*) FROM app_users WHERE app_id = $1)::int AS audience,
    (SELECT count(DISTINCT c.openid COLLATE "C") FROM send_credits c WHERE c.app_id = $1 AND ${USABLE})::int
      AS reachable`;
// A list of openids: each distinct one looked up in the index (app_id, openid, expires_at) of the
// credits, as a semi-join (a condition inside an aggregate's FILTER would be a subplan per row).
const LISTED = `
  WITH o AS MATERIALIZED (SELECT DISTINCT openid FROM unnest($5::varchar[]) AS u(openid))
  SELECT (SELECT count(*) FROM o)::int AS audience,
    (SELECT count(*) FROM o WHERE EXISTS (
      SELECT 1 FROM send_credits c WHERE c.app_id = $1 AND c.openid = o.openid AND ${USABLE}))::int AS reachable`;

/** How many users a broadcast would reach now, writing nothing (POST /v1/broadcasts `dryRun`). */
export async function countBroadcastReach(
  db: Database,
  request: BroadcastReachRequest,
): Promise<BroadcastReach> {
  const values: unknown[] = [request.appId, request.kind, request.templateId, request.creditValidFrom];
  const [row] =
    request.audience.type === 'all'
      ? await query<BroadcastReach>(db, ALL, values)
      : await query<BroadcastReach>(db, LISTED, [...values, request.audience.openids]);
  return { audience: row?.audience ?? 0, reachable: row?.reachable ?? 0 };
}
