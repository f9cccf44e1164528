import {
  type Database,
  fanOutChunk,
  findBroadcast,
  finishBroadcastFanOut,
  startBroadcast,
} from '@minapush/db';
import { batchJob, broadcastAudienceSchema } from '@minapush/queues';
import { UnrecoverableError } from 'bullmq';
import type { DispatcherQueues } from '../queues.js';

/** Audience members per fan-out statement. */
export const FAN_OUT_CHUNK = 5_000;

export interface FanOutResources {
  db: Database;
  queues: DispatcherQueues;
  settings: { batchSize: number; creditExpiryMarginMs: number };
  now: () => number;
}

export type FanOutResult =
  | { status: 'missing' | 'cancelled' | 'paused' | 'already_done' }
  | { status: 'fanned_out'; created: number; skipped: number; batches: number };

/** Thrown when this dispatcher does not serve the broadcast's app; the job is retried. */
export class UnservedAppError extends Error {
  override readonly name = 'UnservedAppError';
  readonly code = 'unserved_app';
}

/**
 * Creates a broadcast's messages and queues their send batches, chunk by chunk, in Postgres: each
 * chunk is one set-based statement that also moves the fan-out's keyset position, so a fan-out
 * cut short (crash, Redis flushed) goes on where it stopped, and a repeated one creates nothing
 * twice (a message is unique per broadcast and user, a batch job's id is its batch id). Sending
 * starts with the first chunk's batches, while later chunks are still being made.
 */
export async function fanOutBroadcast(
  r: FanOutResources,
  broadcastId: string,
  onProgress?: (progress: { position: string; created: number }) => Promise<void> | void,
): Promise<FanOutResult> {
  const broadcast = await findBroadcast(r.db, broadcastId);
  if (!broadcast) return { status: 'missing' };
  if (broadcast.status === 'cancelled') return { status: 'cancelled' };
  if (broadcast.status === 'completed' || broadcast.fannedOutAt) return { status: 'already_done' };
  const bulk = r.queues.bulk(broadcast.appId);
  if (!bulk) throw new UnservedAppError(`this dispatcher does not serve app ${broadcast.appId}`);
  const started = await startBroadcast(r.db, broadcastId);
  if (started === 'cancelled' || started === 'paused') return { status: started };
  const audience = broadcastAudienceSchema.safeParse(broadcast.audience);
  if (!audience.success) throw new UnrecoverableError('the broadcast has an invalid audience');

  let position = broadcast.fanOutPosition;
  const totals = { created: 0, skipped: 0, batches: 0 };
  for (;;) {
    const openids =
      audience.data.type === 'openids'
        ? audience.data.openids.slice(Number(position), Number(position) + FAN_OUT_CHUNK)
        : undefined;
    if (openids?.length === 0) break;
    const chunk = await fanOutChunk(r.db, {
      broadcastId,
      chunkSize: FAN_OUT_CHUNK,
      batchSize: r.settings.batchSize,
      creditValidFrom: new Date(r.now() + r.settings.creditExpiryMarginMs),
      position,
      ...(openids ? { openids } : {}),
    });
    if (chunk.status === 'stopped') {
      const now = await findBroadcast(r.db, broadcastId);
      if (now?.status === 'cancelled' || now?.status === 'paused') return { status: now.status };
      if (now?.status !== 'running' || now.fannedOutAt) return { status: 'already_done' };
      // another run of this fan-out moved on meanwhile: go on from where it is
      position = now.fanOutPosition;
      continue;
    }
    if (chunk.batches.length > 0) {
      await bulk.addBulk(chunk.batches.map((batch) => batchJob({ batchId: batch.batchId, broadcastId })));
    }
    const created = chunk.batches.reduce((sum, batch) => sum + batch.size, 0) + chunk.skipped;
    totals.created += created;
    totals.skipped += chunk.skipped;
    totals.batches += chunk.batches.length;
    position = chunk.position;
    await onProgress?.({ position: position.toString(), created: totals.created });
    if (chunk.scanned < FAN_OUT_CHUNK) break;
  }
  await finishBroadcastFanOut(r.db, broadcastId);
  return { status: 'fanned_out', ...totals };
}
