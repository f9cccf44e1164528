import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';

/**
 * What can be sent to one user now (GET /v1/apps/:appId/users/:openid/credits), in the contract's
 * JSON shape: `JSON.stringify` writes `soonestExpiresAt` as ISO-8601. Only credits usable now
 * count: `available`, with uses left, and (formIds and prepay_ids) not expired.
 */
export interface UserCredits {
  openid: string;
  formIds: {
    /** usable formId and prepay_id credits (each can carry one template message at least) */
    usable: number;
    /** template messages they can still carry: a formId has 1 use, a prepay_id up to 3 */
    usesLeft: number;
    /** when the soonest of them expires; absent when there is none */
    soonestExpiresAt?: Date;
  };
  /** per subscribe templateId: subscribe messages the user accepted and that are not sent yet */
  subscribe: Record<string, number>;
}

interface Row {
  template_id: string | null;
  credits: number;
  uses_left: number;
  soonest: Date | null;
}

// One pass over the user's credits (the index (app_id, openid, expires_at)): formIds and
// prepay_ids together in one group (template_id is null for them), each subscribe template in its own.
const STATEMENT = `
  SELECT CASE WHEN kind = 'subscribe' THEN template_id END AS template_id,
    count(*)::int AS credits, sum(uses_left)::int AS uses_left, min(expires_at) AS soonest
  FROM send_credits
  WHERE app_id = $1 AND openid = $2 AND state = 'available' AND uses_left > 0
    AND (kind = 'subscribe' OR expires_at > $3::timestamptz)
  GROUP BY 1`;

/** The credits of `openid` in `appId` usable at `now`; a user without any answers zeros. */
export async function findUserCredits(
  db: Database,
  input: { appId: string; openid: string; now: Date },
): Promise<UserCredits> {
  const rows = await query<Row>(
    db,
    STATEMENT,
    [input.appId, input.openid, input.now],
    'minapush_user_credits',
  );
  const formIds: UserCredits['formIds'] = { usable: 0, usesLeft: 0 };
  const subscribe: Record<string, number> = {};
  for (const row of rows) {
    if (row.template_id === null) {
      formIds.usable = row.credits;
      formIds.usesLeft = row.uses_left;
      if (row.soonest) formIds.soonestExpiresAt = row.soonest;
    } else {
      subscribe[row.template_id] = row.uses_left;
    }
  }
  return { openid: input.openid, formIds, subscribe };
}
