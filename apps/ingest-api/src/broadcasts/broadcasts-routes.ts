import {
  type BroadcastView,
  cancelBroadcast,
  createBroadcast,
  type Database,
  deleteUnstartedBroadcast,
  findBroadcastView,
} from '@minapush/db';
import {
  broadcastAudienceSchema,
  enqueueBroadcastFanOut,
  messageRequestSchema,
  normaliseMessageRequest,
  type Redis,
} from '@minapush/queues';
import type { Queue } from 'bullmq';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { parseRequest } from '../http/validation.js';

const QUEUE_RETRY_AFTER_SECONDS = 5;

/**
 * A broadcast body may list up to 100,000 openids, far more than the 64 KiB every other route
 * takes; this limit applies to POST /v1/broadcasts only.
 */
export const MAX_BROADCAST_BODY_BYTES = 8 * 1024 * 1024;

const { kind, templateId, data, page } = messageRequestSchema.shape;

/** The body of POST /v1/broadcasts; `data` follows the same rules as a single message's. */
export const broadcastRequestSchema = z.strictObject({
  kind,
  templateId,
  data,
  page,
  audience: broadcastAudienceSchema.describe(
    '{"type":"all"}: every user the app has recorded; {"type":"openids","openids":[…]}: 1 to 100000 openids, a repeated one gets one message',
  ),
  sendAt: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('ISO-8601; absent or past: now. Until then the broadcast is `scheduled`'),
  appId: z.string().min(1).max(64).optional().describe('default: the first configured app'),
});

export interface BroadcastsRouteDeps {
  db: Database;
  /** a producer connection, which fails fast when Redis is down */
  redis: Redis;
  /** the broadcast-fanout queue, on that producer connection (main.ts makes it) */
  fanOutQueue: Queue;
  defaultAppId: string;
  appIds: readonly string[];
  /** API keys only */
  authenticate: RequestHandler;
  now?: () => Date;
}

const notFound = () =>
  new ApiError(
    404,
    'broadcast_not_found',
    'No broadcast has this id; use the id POST /v1/broadcasts answered.',
  );

const queueUnavailable = () =>
  new ApiError(
    503,
    'queue_unavailable',
    'Broadcasts cannot be accepted right now (the queue is unreachable); nothing was stored, retry later.',
    undefined,
    QUEUE_RETRY_AFTER_SECONDS,
  );

/** The documented answer of GET /v1/broadcasts/:id; absent optional fields are left out. */
export function describeBroadcast(view: BroadcastView) {
  return {
    id: view.id,
    appId: view.appId,
    status: view.status,
    total: view.total,
    sent: view.sent,
    failed: view.failed,
    skipped: view.skipped,
    unknown: view.unknown,
    pending: view.pending,
    createdAt: view.createdAt.toISOString(),
    ...(view.startedAt === null ? {} : { startedAt: view.startedAt.toISOString() }),
    ...(view.finishedAt === null ? {} : { finishedAt: view.finishedAt.toISOString() }),
    ...(view.pausedReason === null ? {} : { pausedReason: view.pausedReason }),
  };
}

/** POST /v1/broadcasts, GET /v1/broadcasts/:id and POST /v1/broadcasts/:id/cancel. */
export function createBroadcastsRouter(deps: BroadcastsRouteDeps): Router {
  const now = deps.now ?? (() => new Date());
  const router = Router();

  router.post('/v1/broadcasts', deps.authenticate, async (req, res) => {
    const body = parseRequest(broadcastRequestSchema, req.body);
    const appId = body.appId ?? deps.defaultAppId;
    if (!deps.appIds.includes(appId)) {
      throw new ApiError(
        422,
        'unknown_app',
        `Unknown appId ${appId}; broadcasts can be sent for ${deps.appIds.join(', ')}.`,
      );
    }
    // the same normalisation and value rules as a single message; the openid is not part of them
    const normalised = normaliseMessageRequest(
      { openid: '(broadcast)', kind: body.kind, templateId: body.templateId, data: body.data, appId },
      deps.defaultAppId,
    );
    if (!normalised.ok) {
      throw new ApiError(422, 'invalid_data', normalised.message, { field: normalised.field });
    }
    if (deps.redis.status !== 'ready') throw queueUnavailable();

    const sendAt = body.sendAt === undefined ? undefined : new Date(body.sendAt);
    const audience =
      body.audience.type === 'all'
        ? body.audience
        : { type: 'openids' as const, openids: [...new Set(body.audience.openids)] };
    const broadcast = await createBroadcast(deps.db, {
      appId,
      kind: body.kind,
      templateId: body.templateId,
      data: normalised.message.data,
      page: body.page,
      audience,
      sendAt,
    });
    try {
      await enqueueBroadcastFanOut(
        deps.fanOutQueue,
        broadcast.id,
        Math.max(0, (sendAt?.getTime() ?? 0) - now().getTime()),
      );
    } catch (error) {
      // without its job the broadcast would never start: take it back so a retry starts one
      await deleteUnstartedBroadcast(deps.db, broadcast.id);
      const apiError = queueUnavailable();
      apiError.cause = error;
      throw apiError;
    }
    res.status(202).json({ id: broadcast.id, status: broadcast.status });
  });

  router.get('/v1/broadcasts/:id', deps.authenticate, async (req, res) => {
    const view = await findBroadcastView(deps.db, String(req.params.id));
    if (!view) throw notFound();
    res.setHeader('Cache-Control', 'no-store');
    res.json(describeBroadcast(view));
  });

  router.post('/v1/broadcasts/:id/cancel', deps.authenticate, async (req, res) => {
    const id = String(req.params.id);
    const result = await cancelBroadcast(deps.db, id);
    if (!result.ok) {
      if (result.reason === 'not_found') throw notFound();
      throw new ApiError(
        409,
        'broadcast_finished',
        `The broadcast is ${result.status}: every message of it was already sent or settled.`,
      );
    }
    res.json({ id, status: result.status });
  });
  return router;
}
