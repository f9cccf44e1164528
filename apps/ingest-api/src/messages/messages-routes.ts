import { findMessage, findMessageAttempts, listMessages, type Message, MessageStatus } from '@minapush/db';
import {
  appIdSchema,
  type EnqueueMessageFailure,
  enqueueMessage,
  type MessageProducerConnection,
  type MessageRequest,
  messageRequestSchema,
  noControlCharacters,
  normaliseMessageRequest,
  QueueUnavailableError,
} from '@minapush/queues';
import type { TemplateRegistryService } from '@minapush/templates';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { DEFAULT_PAGE_LIMIT, pageCursorSchema, pageLimitSchema } from '../http/list-query.js';
import { readBody } from '../http/request-body.js';
import { parseRequest } from '../http/validation.js';
import { refuseUnlessTemplateFits } from '../templates/check-subscribe-template.js';
import { cancelQueuedMessage } from './cancel-message.js';

const QUEUE_RETRY_AFTER_SECONDS = 5;

export interface MessagesRouteDeps {
  /** the same producer other backends use through `@minapush/queues` */
  producer: MessageProducerConnection;
  /** API keys only: a mini-program user must not message other users */
  authenticate: RequestHandler;
  /** each app's subscribe templates, which a subscribe message must fit before it is queued */
  templates: TemplateRegistryService;
}

function refusal(failure: EnqueueMessageFailure): ApiError {
  switch (failure.reason) {
    case 'invalid_request':
      return new ApiError(400, 'invalid_request', `${failure.message} See /docs for the expected shape.`, {
        issues: failure.issues,
      });
    case 'invalid_data':
      return new ApiError(422, 'invalid_data', failure.message, { field: failure.field });
    case 'invalid_send_at':
      return new ApiError(422, 'invalid_send_at', failure.message);
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
    ...(message.sendAt === null ? {} : { sendAt: message.sendAt.toISOString() }),
    ...(message.sentAt === null ? {} : { sentAt: message.sentAt.toISOString() }),
    ...(message.broadcastId === null ? {} : { broadcastId: message.broadcastId }),
    ...(message.deliveryStatus === null || message.deliveryReportedAt === null
      ? {}
      : {
          delivery: {
            status: message.deliveryStatus,
            ...(message.deliveryErrcode === null ? {} : { errcode: message.deliveryErrcode }),
            ...(message.deliveryErrmsg === null ? {} : { errmsg: message.deliveryErrmsg }),
            reportedAt: message.deliveryReportedAt.toISOString(),
          },
        }),
  };
}

/** The query of GET /v1/messages; `openid` or `broadcastId` is required (checked after parsing). */
export const messageListQuerySchema = z.strictObject({
  openid: z.string().min(1).max(128).check(noControlCharacters).optional().describe("the user's messages"),
  broadcastId: z.uuid().optional().describe("the broadcast's messages"),
  appId: appIdSchema.optional().describe('only messages of this app (default: every app)'),
  status: z.enum(MessageStatus).optional().describe('only messages in this status'),
  limit: pageLimitSchema,
  cursor: pageCursorSchema,
});

const messageNotFound = () =>
  new ApiError(404, 'message_not_found', 'No message has this id; use the id POST /v1/messages answered.');

/**
 * POST /v1/messages sends one message to one user; GET /v1/messages/:id tells how it went, with
 * each attempt; GET /v1/messages lists a user's or a broadcast's; POST /v1/messages/:id/cancel
 * stops one that is still queued.
 */
export function createMessagesRouter(deps: MessagesRouteDeps): Router {
  const router = Router();
  const { db } = deps.producer;
  const appIds = deps.producer.appIds;
  router.post('/v1/messages', deps.authenticate, ...readBody(), async (req, res) => {
    // A subscribe message that WeChat would refuse for its template (40037, 47003) is refused
    // before anything is stored; a request the producer would refuse anyway is left to it, so
    // that its answer (400, invalid_data, unknown_app) stays what it was.
    const parsed = messageRequestSchema.safeParse(req.body);
    if (parsed.success && parsed.data.kind === 'subscribe') {
      const normalised = normaliseMessageRequest(parsed.data, deps.producer.defaultAppId);
      if (normalised.ok && (!appIds || appIds.includes(normalised.message.appId))) {
        const { appId, templateId, data } = normalised.message;
        await refuseUnlessTemplateFits(deps.templates, appId, { templateId, data });
      }
    }
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
  router.get('/v1/messages', deps.authenticate, async (req, res) => {
    const query = parseRequest(messageListQuerySchema, req.query, { what: 'query' });
    if (query.openid === undefined && query.broadcastId === undefined) {
      throw new ApiError(
        400,
        'invalid_request',
        'Name whose messages to list: `openid` (a user) or `broadcastId` (a broadcast), or both.',
      );
    }
    if (query.appId !== undefined && appIds && !appIds.includes(query.appId)) {
      throw new ApiError(
        422,
        'unknown_app',
        `Unknown appId ${query.appId}; this API serves ${appIds.join(', ')}.`,
      );
    }
    const page = await listMessages(db, { ...query, limit: query.limit ?? DEFAULT_PAGE_LIMIT });
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      items: page.items.map(describeMessage),
      ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
    });
  });
  router.get('/v1/messages/:id', deps.authenticate, async (req, res) => {
    const id = String(req.params.id);
    const message = await findMessage(db, id);
    if (!message) throw messageNotFound();
    const attemptHistory = await findMessageAttempts(db, id);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ ...describeMessage(message), attemptHistory });
  });
  router.post('/v1/messages/:id/cancel', deps.authenticate, async (req, res) => {
    const id = String(req.params.id);
    const result = await cancelQueuedMessage(deps.producer, id);
    if (!result.ok) {
      if (result.reason === 'not_found') throw messageNotFound();
      throw new ApiError(
        409,
        'not_cancellable',
        `The message is ${result.status}: only a queued message can be cancelled (one being sent or finished cannot be called back).`,
        { status: result.status },
      );
    }
    res.json({ id, status: 'cancelled' });
  });
  return router;
}
