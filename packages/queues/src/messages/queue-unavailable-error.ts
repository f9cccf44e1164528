/**
 * Redis could not take a message's send job. Thrown (a fault, not an expected outcome) by
 * `enqueueMessage`. When `messageId` is set the message was stored and stays `queued`: the
 * dispatcher's sweeper queues it once Redis is back, and a replay with its idempotencyKey
 * answers that id. Without `messageId` nothing was stored.
 */
export class QueueUnavailableError extends Error {
  override readonly name = 'QueueUnavailableError';
  readonly code = 'queue_unavailable';

  constructor(
    message: string,
    readonly messageId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
