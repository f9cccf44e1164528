import { createMessage, type Database, type MessageStatus } from '@minapush/db';
import { DEFAULT_QUEUE_PREFIX } from '../queue-prefix.js';
import type { Redis } from '../redis-connection.js';
import { enqueueMessageJob, messageQueueName } from './catalog.js';
import {
  MAX_SEND_AT_DAYS,
  type MessageRequest,
  messageRequestHash,
  messageRequestSchema,
  normaliseMessageRequest,
} from './message-request.js';
import { producerQueue } from './producer-queues.js';
import { QueueUnavailableError } from './queue-unavailable-error.js';

export interface MessageProducerConnection {
  db: Database;
  /** a producer connection (`createRedisConnection(url, 'producer')`), which fails fast when Redis is down */
  redis: Redis;
  /**
   * BullMQ prefix of the deployment (default `minapush`); on a Redis Cluster the apps' prefix is a
   * hash tag, `{<QUEUE_PREFIX>}` (`clusterQueuePrefix` of `@minapush/config`): pass that
   */
  prefix?: string;
  /** the app of requests that name none */
  defaultAppId: string;
  /** the apps messages may be sent for; when given, any other appId is refused */
  appIds?: readonly string[];
  /** the clock `sendAt` is measured on (default: the system's) */
  now?: () => Date;
}

export interface MessageRequestIssue {
  /** dotted path into the request, `(request)` for the whole of it */
  path: string;
  message: string;
}

export type EnqueueMessageFailure =
  | { ok: false; reason: 'invalid_request'; message: string; issues: MessageRequestIssue[] }
  | { ok: false; reason: 'invalid_data'; message: string; field: string }
  /** `sendAt` is further ahead than MAX_SEND_AT_DAYS */
  | { ok: false; reason: 'invalid_send_at'; message: string }
  | { ok: false; reason: 'unknown_app' | 'idempotency_conflict'; message: string };

export type EnqueueMessageResult =
  | {
      ok: true;
      id: string;
      /** `queued` for a new message; a replay answers the first message's current status */
      status: MessageStatus;
      /** false when the idempotencyKey named a message sent before with the same request */
      created: boolean;
    }
  | EnqueueMessageFailure;

const DAY_MS = 86_400_000;

function describeIssues(issues: MessageRequestIssue[]): string {
  const [first] = issues;
  if (!first) return 'The message request is invalid.';
  const more = issues.length > 1 ? ` and ${issues.length - 1} more` : '';
  return `The message request is invalid (${first.path}: ${first.message}${more}).`;
}

function assertRedisReady(redis: Redis, messageId?: string): void {
  // BullMQ waits for a connection that is not ready instead of failing, so this is checked first.
  if (redis.status !== 'ready') {
    throw new QueueUnavailableError(`the Redis connection is ${redis.status}`, messageId);
  }
}

/**
 * Accepts one message for sending: the path `POST /v1/messages` takes, for other Node backends
 * to call directly. Validates the request (and a subscribe message's values, so that a 47003 is
 * caught before a credit is spent), stores the message as `queued` in Postgres, then queues its
 * id on the app's send queue. With an idempotencyKey a repeated request stores nothing and
 * answers the first message; the same key with a different request is refused.
 *
 * Refusals are returned as values. Throws QueueUnavailableError when Redis cannot take the job:
 * before anything was stored when Redis is known to be down, otherwise with the stored message's
 * id, which the dispatcher's sweeper queues later.
 */
export async function enqueueMessage(
  connection: MessageProducerConnection,
  request: MessageRequest,
): Promise<EnqueueMessageResult> {
  const parsed = messageRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(request)',
      message: issue.message,
    }));
    return { ok: false, reason: 'invalid_request', message: describeIssues(issues), issues };
  }
  const appId = parsed.data.appId ?? connection.defaultAppId;
  if (connection.appIds && !connection.appIds.includes(appId)) {
    return {
      ok: false,
      reason: 'unknown_app',
      message: `Unknown appId ${appId}; messages can be sent for ${connection.appIds.join(', ')}.`,
    };
  }
  const normalised = normaliseMessageRequest(parsed.data, connection.defaultAppId);
  if (!normalised.ok) {
    return { ok: false, reason: 'invalid_data', message: normalised.message, field: normalised.field };
  }
  const now = connection.now?.() ?? new Date();
  const sendAt = normalised.message.sendAt === undefined ? undefined : new Date(normalised.message.sendAt);
  if (sendAt && sendAt.getTime() - now.getTime() > MAX_SEND_AT_DAYS * DAY_MS) {
    return {
      ok: false,
      reason: 'invalid_send_at',
      message: `sendAt ${parsed.data.sendAt} is more than ${MAX_SEND_AT_DAYS} days ahead; a message can be held for at most ${MAX_SEND_AT_DAYS} days: send it later, or sooner.`,
    };
  }
  const { redis } = connection;
  assertRedisReady(redis);

  const requestHash = messageRequestHash(normalised.message);
  const { created, message } = await createMessage(connection.db, {
    ...normalised.message,
    sendAt,
    idempotencyKey: parsed.data.idempotencyKey,
    requestHash,
  });
  if (!created && message.requestHash !== requestHash) {
    return {
      ok: false,
      reason: 'idempotency_conflict',
      message:
        'This idempotencyKey was used before with a different message; use a new key for a new message, or resend the first request unchanged.',
    };
  }
  // A replay queues a still-queued message again: it heals a crash between the insert and the
  // add, and BullMQ ignores a job id it already holds. A message past `queued` is left alone.
  if (message.status === 'queued') {
    assertRedisReady(redis, message.id);
    try {
      // held until its sendAt: the job waits in BullMQ's delayed set, and the lease would not
      // take the message sooner anyway (nor does the reconciler queue it sooner after a Redis loss)
      const delayMs = Math.max(0, (message.sendAt?.getTime() ?? 0) - now.getTime());
      await enqueueMessageJob(
        producerQueue(redis, connection.prefix ?? DEFAULT_QUEUE_PREFIX, messageQueueName(appId)),
        message.id,
        delayMs,
      );
    } catch (error) {
      throw new QueueUnavailableError('the send job could not be queued', message.id, { cause: error });
    }
  }
  return { ok: true, id: message.id, status: message.status, created };
}
