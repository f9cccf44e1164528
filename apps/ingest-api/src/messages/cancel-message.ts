import { type CancelMessageResult, cancelMessage, completeBroadcastIfDone } from '@minapush/db';
import { type MessageProducerConnection, withdrawMessageJob } from '@minapush/queues';

/**
 * POST /v1/messages/:id/cancel: a message still `queued` (held until its sendAt, waiting its turn
 * or a quota pause's end) is cancelled and never sent, and any credit use it held is given back;
 * see `cancelMessage`. Its send job is then taken out of the queue, and a broadcast whose last
 * pending message it was completes.
 */
export async function cancelQueuedMessage(
  connection: MessageProducerConnection,
  messageId: string,
): Promise<CancelMessageResult> {
  const result = await cancelMessage(connection.db, messageId);
  if (!result.ok || !result.changed) return result;
  if (result.broadcastId !== null) {
    await completeBroadcastIfDone(connection.db, result.broadcastId);
  } else if (connection.redis.status === 'ready') {
    await withdrawMessageJob(connection, { appId: result.appId, messageId });
  }
  return result;
}
