import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';

/**
 * What an app can send now (GET /v1/apps/:appId/inventory), in the contract's JSON shape. Only
 * credits usable now count: `available`, with uses left, and (formIds and prepay_ids) not expired.
 */
export interface AppInventory {
  /** users the app has recorded (logins and credit hand-overs): the audience `{"type":"all"}` */
  users: number;
  /** distinct users with a usable formId or prepay_id: reachable by a template message */
  reachableByFormId: number;
  /** per subscribe templateId: distinct users with an accepted, unsent subscription to it */
  reachableBySubscribe: Record<string, number>;
  /** usable formIds and prepay_ids (credits, not users) that expire within 24 hours of `now` */
  formIdsExpiringWithin24h: number;
}

// Sequential passes over the app's credits. There is no index on a credit's state on purpose: a
// claim changes it, and an index on it would take every claim off its page's HOT update (see
// 20261202000000_send_engine_indexes). Distinct users are counted under the "C" collation: the
// same count, compared bytewise instead of by the locale's rules (measured on a million users: the
// sort that counts them took a third of the time, and less than counting hashes of the openids).
// The statements run side by side, each on its own connection.
const FORM_IDS = `
  SELECT count(DISTINCT openid COLLATE "C")::int AS users,
    (count(*) FILTER (WHERE expires_at <= $2::timestamptz + interval '24 hours'))::int AS expiring
  FROM send_credits
  WHERE app_id = $1 AND kind IN ('form_id', 'prepay_id') AND state = 'available' AND uses_left > 0
    AND expires_at > $2::timestamptz`;
const SUBSCRIBE = `
  SELECT template_id, count(DISTINCT openid COLLATE "C")::int AS users
  FROM send_credits
  WHERE app_id = $1 AND kind = 'subscribe' AND state = 'available' AND uses_left > 0
  GROUP BY template_id`;
const USERS = 'SELECT count(*)::int AS users FROM app_users WHERE app_id = $1';

/** The app's users and who among them can be reached now, by kind and template. */
export async function findAppInventory(
  db: Database,
  input: { appId: string; now: Date },
): Promise<AppInventory> {
  const [[formIds], subscribe, [users]] = await Promise.all([
    query<{ users: number; expiring: number }>(
      db,
      FORM_IDS,
      [input.appId, input.now],
      'minapush_inventory_form_ids',
    ),
    query<{ template_id: string; users: number }>(
      db,
      SUBSCRIBE,
      [input.appId],
      'minapush_inventory_subscribe',
    ),
    query<{ users: number }>(db, USERS, [input.appId], 'minapush_inventory_users'),
  ]);
  return {
    users: users?.users ?? 0,
    reachableByFormId: formIds?.users ?? 0,
    reachableBySubscribe: Object.fromEntries(subscribe.map((row) => [row.template_id, row.users])),
    formIdsExpiringWithin24h: formIds?.expiring ?? 0,
  };
}
