import type { Database } from '../create-database.js';
import type { Message } from '../generated/prisma/client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The message with this id, or null. An id that is not a UUID cannot name a message, so it is
 * answered as unknown instead of reaching Postgres, which would refuse it with an error.
 */
export async function findMessage(db: Database, id: string): Promise<Message | null> {
  if (!UUID.test(id)) return null;
  return db.message.findUnique({ where: { id } });
}
