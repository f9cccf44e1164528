import type { Database } from '../create-database.js';
import type { Prisma } from '../generated/prisma/client.js';

export interface UserSighting {
  appId: string;
  openid: string;
  unionid?: string | undefined;
  seenAt: Date;
}

type Executor = Database | Prisma.TransactionClient;

/**
 * Records that a user was seen: creates them on first sight, otherwise moves `lastSeenAt`
 * forward (never back, since batches may be processed out of order) and keeps a known unionid.
 */
export async function recordUser(db: Executor, sighting: UserSighting): Promise<void> {
  await db.$executeRaw`
    INSERT INTO app_users (app_id, openid, unionid, first_seen_at, last_seen_at)
    VALUES (${sighting.appId}, ${sighting.openid}, ${sighting.unionid ?? null}, ${sighting.seenAt}, ${sighting.seenAt})
    ON CONFLICT (app_id, openid) DO UPDATE SET
      last_seen_at = GREATEST(app_users.last_seen_at, EXCLUDED.last_seen_at),
      first_seen_at = LEAST(app_users.first_seen_at, EXCLUDED.first_seen_at),
      unionid = COALESCE(EXCLUDED.unionid, app_users.unionid)`;
}
