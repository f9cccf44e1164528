import {
  completeBroadcastIfDone,
  type Database,
  findBroadcast,
  finishBroadcastFanOut,
  insertBroadcastMessages,
  listAppUserPage,
  startBroadcast,
} from '@minapush/db';
import type { Logger } from '@minapush/logger';
import {
  broadcastAudienceSchema,
  broadcastFanOutCatalog,
  broadcastQueueName,
  messageSendCatalog,
  parseCatalogJob,
  type Redis,
} from '@minapush/queues';
import { type Queue, UnrecoverableError, Worker } from 'bullmq';

/** Messages created and queued per round trip. */
export const FAN_OUT_CHUNK = 1_000;

export interface FanOutDeps {
  db: Database;
  /** each app's send queue */
  queues: ReadonlyMap<string, Queue>;
  logger: Logger;
}

export type FanOutResult =
  | { status: 'missing' | 'cancelled' | 'already_completed' }
  | { status: 'fanned_out'; queued: number };

/** Thrown when this dispatcher does not serve the broadcast's app; the job is retried. */
export class UnservedAppError extends Error {
  override readonly name = 'UnservedAppError';
  readonly code = 'unserved_app';
}

async function* audienceChunks(db: Database, appId: string, audience: unknown): AsyncGenerator<string[]> {
  const parsed = broadcastAudienceSchema.safeParse(audience);
  if (!parsed.success) throw new UnrecoverableError('the broadcast has an invalid audience');
  if (parsed.data.type === 'openids') {
    const { openids } = parsed.data;
    for (let start = 0; start < openids.length; start += FAN_OUT_CHUNK) {
      yield openids.slice(start, start + FAN_OUT_CHUNK);
    }
    return;
  }
  let afterId = 0n;
  for (;;) {
    const page = await listAppUserPage(db, { appId, afterId, limit: FAN_OUT_CHUNK });
    const last = page.at(-1);
    if (!last) return;
    yield page.map((user) => user.openid);
    afterId = last.id;
  }
}

/**
 * Creates the messages of a broadcast and queues their send jobs. Idempotent, so a retried or
 * twice-delivered job is harmless: a message is unique per (broadcast, openid) and its job id is
 * its message id. The total is recorded at the end, which marks the fan-out done.
 */
export async function fanOutBroadcast(deps: FanOutDeps, broadcastId: string): Promise<FanOutResult> {
  const { db } = deps;
  const broadcast = await findBroadcast(db, broadcastId);
  if (!broadcast) return { status: 'missing' };
  if (broadcast.status === 'cancelled') return { status: 'cancelled' };
  if (broadcast.status === 'completed') return { status: 'already_completed' };
  const queue = deps.queues.get(broadcast.appId);
  if (!queue) throw new UnservedAppError(`this dispatcher does not serve app ${broadcast.appId}`);
  const status = await startBroadcast(db, broadcastId);
  if (status === 'cancelled') return { status: 'cancelled' };

  const { options } = messageSendCatalog.jobs['send-message'];
  let queued = 0;
  for await (const openids of audienceChunks(db, broadcast.appId, broadcast.audience)) {
    // a cancel during a long fan-out stops it; messages made meanwhile are cancelled by the send path
    if ((await findBroadcast(db, broadcastId))?.status === 'cancelled') return { status: 'cancelled' };
    const ids = await insertBroadcastMessages(db, broadcast, openids);
    if (ids.length === 0) continue;
    await queue.addBulk(
      ids.map((messageId) => ({
        name: 'send-message',
        data: { messageId },
        opts: { ...options, jobId: messageId },
      })),
    );
    queued += ids.length;
  }
  await finishBroadcastFanOut(db, broadcastId);
  await completeBroadcastIfDone(db, broadcastId);
  return { status: 'fanned_out', queued };
}

export interface FanOutWorkerOptions extends FanOutDeps {
  connection: Redis;
  prefix: string;
  concurrency?: number;
}

/** The worker of the broadcast-fanout queue, shared by every app. */
export function createFanOutWorker(options: FanOutWorkerOptions): Worker {
  return new Worker(
    broadcastQueueName(),
    async (job) => {
      let broadcastId: string;
      try {
        broadcastId = parseCatalogJob(broadcastFanOutCatalog, job).payload.broadcastId;
      } catch (error) {
        throw new UnrecoverableError((error as Error).message);
      }
      const log = options.logger.child({ jobId: job.id, broadcastId });
      const result = await fanOutBroadcast(options, broadcastId);
      log.info(result, 'broadcast fan-out done');
      return result;
    },
    { connection: options.connection, prefix: options.prefix, concurrency: options.concurrency ?? 2 },
  );
}
