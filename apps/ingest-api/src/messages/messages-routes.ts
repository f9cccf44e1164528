import { findMessage, type Message } from '@minapush/db';
import {
  type EnqueueMessageFailure,
  enqueueMessage,
  type MessageProducerConnection,
  type MessageRequest,
  QueueUnavailableError,
} from '@minapush/queues';
import { type RequestHandler, Router } from 'express';
import { ApiError } from '../http/api-error.js';
import { readBody } from '../http/request-body.js';

const QUEUE_RETRY_AFTER_SECONDS = 5;

export interface MessagesRouteDeps {
  /** the same producer other backends use through `@minapush/queues` */
  producer: MessageProducerConnection;
  /** API keys only: a mini-program user must not message other users */
  authenticate: RequestHandler;
}

function refusal(failure: EnqueueMessageFailure): ApiError {
  switch (failure.reason) {
    case 'invalid_request':
      return new ApiError(400, 'invalid_request', `${failure.message} See /docs for the expected shape.`, {
        issues: failure.issues,
      });
    case 'invalid_data':
      return new ApiError(422, 'invalid_data', failure.message, { field: failure.field });
    case 'unknown_app':
      return new ApiError(422, 'unknown_app', failure.message);
    case 'idempotency_conflict':
      return new ApiError(409, 'idempotency_key_reused', failure.message);
  }
}

function queueUnavailable(error: QueueUnavailableError): ApiError {
  const apiError =
    error.messageId === undefined
      ? new ApiError(
          503,
          'queue_unavailable',
          'Messages cannot be accepted right now (the queue is unreachable); nothing was stored, retry later.',
          undefined,
          QUEUE_RETRY_AFTER_SECONDS,
        )
      : new ApiError(
          503,
          'queue_unavailable',
          `The message was stored as ${error.messageId} but could not be queued; it will be sent once the queue is back. Check it with GET /v1/messages/${error.messageId}: retrying sends a second message unless the request carries an idempotencyKey.`,
          { id: error.messageId },
          QUEUE_RETRY_AFTER_SECONDS,
        );
  apiError.cause = error;
  return apiError;
}

/** The documented answer of GET /v1/messages/:id; absent optional fields are left out. */
export function describeMessage(message: Message) {
  return {
    id: message.id,
    appId: message.appId,
    status: message.status,
    openid: message.openid,
    kind: message.kind,
    templateId: message.templateId,
    attempts: message.attempts,
    ...(message.errcode === null ? {} : { errcode: message.errcode }),
    ...(message.errmsg === null ? {} : { errmsg: message.errmsg }),
    createdAt: message.createdAt.toISOString(),
    ...(message.sentAt === null ? {} : { sentAt: message.sentAt.toISOString() }),
    ...(message.broadcastId === null ? {} : { broadcastId: message.broadcastId }),
  };
}

/** POST /v1/messages sends one message to one user; GET /v1/messages/:id tells how it went. */
export function createMessagesRouter(deps: MessagesRouteDeps): Router {
  const router = Router();
  router.post('/v1/messages', deps.authenticate, ...readBody(), async (req, res) => {
    let result: Awaited<ReturnType<typeof enqueueMessage>>;
    try {
      // the producer validates the body as unknown input; the cast only satisfies its signature
      result = await enqueueMessage(deps.producer, req.body as MessageRequest);
    } catch (error) {
      throw error instanceof QueueUnavailableError ? queueUnavailable(error) : error;
    }
    if (!result.ok) throw refusal(result);
    res.status(202).json({ id: result.id, status: result.status });
  });
  router.get('/v1/messages/:id', deps.authenticate, async (req, res) => {
    const id = String(req.params.id);
    const message = await findMessage(deps.producer.db, id);
    if (!message) {
      throw new ApiError(
        404,
        'message_not_found',
        'No message has this id; use the id POST /v1/messages answered.',
      );
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json(describeMessage(message));
  });
  return router;
}
