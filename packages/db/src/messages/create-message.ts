import type { Database } from '../create-database.js';
import { type Message, type MessageKind, Prisma } from '../generated/prisma/client.js';

export interface MessageToCreate {
  appId: string;
  openid: string;
  kind: MessageKind;
  templateId: string;
  /** WeChat's wire shape, `{"thing1":{"value":"…"}}` */
  data: Record<string, { value: string }>;
  page?: string | undefined;
  emphasisKeyword?: string | undefined;
  miniprogramState?: string | undefined;
  lang?: string | undefined;
  /** unique per app: a second create with the same key returns the first message */
  idempotencyKey?: string | undefined;
  /** sha256 hex of the normalised request, to tell a replay from a conflicting reuse of the key */
  requestHash: string;
}

export type CreatedMessage = { created: true; message: Message } | { created: false; message: Message };

/** A key taken by a message that then vanished (deleted between our insert and our read) is tried again. */
const MAX_CONFLICT_ROUNDS = 3;

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

/**
 * Stores a message as `queued`. With an idempotency key it is idempotent: when the app already
 * has a message under that key, nothing is written and that message is returned as it is now
 * (`created: false`), for the caller to compare its `requestHash`. Concurrent creates with one key
 * store one row: the unique index (app_id, idempotency_key) decides, and the loser reads the winner.
 */
export async function createMessage(db: Database, input: MessageToCreate): Promise<CreatedMessage> {
  const data = {
    appId: input.appId,
    openid: input.openid,
    kind: input.kind,
    templateId: input.templateId,
    data: input.data,
    page: input.page ?? null,
    emphasisKeyword: input.emphasisKeyword ?? null,
    miniprogramState: input.miniprogramState ?? null,
    lang: input.lang ?? null,
    idempotencyKey: input.idempotencyKey ?? null,
    requestHash: input.requestHash,
  };
  const key = input.idempotencyKey;
  if (key === undefined) return { created: true, message: await db.message.create({ data }) };

  for (let round = 0; round < MAX_CONFLICT_ROUNDS; round += 1) {
    try {
      return { created: true, message: await db.message.create({ data }) };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    // the partial unique index (app_id, idempotency_key) answers this lookup
    const existing = await db.message.findFirst({ where: { appId: input.appId, idempotencyKey: key } });
    if (existing) return { created: false, message: existing };
  }
  // still racing a writer that keeps deleting the row: let Postgres' refusal surface as it is
  return { created: true, message: await db.message.create({ data }) };
}
