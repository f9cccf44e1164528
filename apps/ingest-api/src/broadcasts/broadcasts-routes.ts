import { type QuietHours, quietHoursSchema } from '@minapush/config';
import {
  BroadcastStatus,
  type BroadcastToCreate,
  type BroadcastView,
  cancelBroadcast,
  createBroadcast,
  type Database,
  deleteUnstartedBroadcast,
  findBroadcastView,
  listBroadcasts,
} from '@minapush/db';
import type { Logger } from '@minapush/logger';
import {
  appIdSchema,
  broadcastAudienceSchema,
  enqueueBroadcastFanOut,
  idempotencyKeySchema,
  messageRequestSchema,
  normaliseMessageRequest,
  type Redis,
  redisKeys,
  requestHash,
} from '@minapush/queues';
import type { TemplateRegistryService } from '@minapush/templates';
import type { Queue } from 'bullmq';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { DEFAULT_PAGE_LIMIT, pageCursorSchema, pageLimitSchema } from '../http/list-query.js';
import { readBody } from '../http/request-body.js';
import { parseRequest } from '../http/validation.js';
import { refuseUnlessTemplateFits } from '../templates/check-subscribe-template.js';
import { dryRunBroadcast } from './dry-run-broadcast.js';
import { resumeOrRefuse } from './resume-or-refuse.js';

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
  appId: appIdSchema.optional().describe('default: the first configured app'),
  idempotencyKey: idempotencyKeySchema.optional(),
  quietHours: quietHoursSchema
    .optional()
    .describe(
      "a daily window in which the broadcast sends nothing: sends that would fall inside wait for `end`. Absent: the app's quietHours (WECHAT_APPS) when it has some",
    ),
  dryRun: z
    .boolean()
    .optional()
    .describe(
      'true: create nothing, answer 200 with how many users it would reach and how long it would take',
    ),
});

export interface BroadcastsRouteDeps {
  db: Database;
  /** a producer connection, which fails fast when Redis is down */
  redis: Redis;
  /** BullMQ prefix of the deployment (a resume adds to the apps' bulk queues) */
  queuePrefix: string;
  /** each app's sendRatePerSecond, for a dry run's estimate */
  sendRates: Readonly<Record<string, number>>;
  logger: Logger;
  /** the broadcast-fanout queue, on that producer connection (main.ts makes it) */
  fanOutQueue: Queue;
  defaultAppId: string;
  appIds: readonly string[];
  /** API keys only */
  authenticate: RequestHandler;
  /** each app's subscribe templates, which a subscribe broadcast must fit (dry runs too) */
  templates: TemplateRegistryService;
  /** an app's quiet hours (WECHAT_APPS), which its broadcasts keep unless they bring their own */
  quietHoursOf?: (appId: string) => QuietHours | undefined;
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

const storedButNotQueued = (id: string) =>
  new ApiError(
    503,
    'queue_unavailable',
    `The broadcast was stored as ${id} but its fan-out could not be queued; it starts once the queue is back, or at once when this request is sent again with the same idempotencyKey. Check it with GET /v1/broadcasts/${id}.`,
    { id },
    QUEUE_RETRY_AFTER_SECONDS,
  );

/**
 * Two requests with one idempotencyKey are the same broadcast exactly when they would store the
 * same one: flat and wire `data`, key order, a repeated openid and an omitted default `appId`
 * make no difference, nor does the offset `sendAt` is written with.
 */
function broadcastRequestHash(broadcast: BroadcastToCreate): string {
  return requestHash({ ...broadcast, sendAt: broadcast.sendAt?.toISOString() });
}

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
    ...(view.quietHours === null ? {} : { quietHours: view.quietHours }),
    ...(view.waitingUntil !== null && (view.status === 'running' || view.status === 'scheduled')
      ? { waitingUntil: view.waitingUntil.toISOString() }
      : {}),
  };
}

/** The query of GET /v1/broadcasts. */
export const broadcastListQuerySchema = z.strictObject({
  appId: appIdSchema.optional().describe('only broadcasts of this app (default: every app)'),
  status: z.enum(BroadcastStatus).optional().describe('only broadcasts in this status'),
  limit: pageLimitSchema,
  cursor: pageCursorSchema,
});

/**
 * POST /v1/broadcasts (or its dry run), GET /v1/broadcasts[/:id], POST /v1/broadcasts/:id/cancel
 * and /resume.
 */
export function createBroadcastsRouter(deps: BroadcastsRouteDeps): Router {
  const now = deps.now ?? (() => new Date());
  const router = Router();

  router.post(
    '/v1/broadcasts',
    deps.authenticate,
    ...readBody(MAX_BROADCAST_BODY_BYTES),
    async (req, res) => {
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
      if (body.kind === 'subscribe') {
        const { templateId, data } = normalised.message;
        await refuseUnlessTemplateFits(deps.templates, appId, { templateId, data });
      }
      const audience =
        body.audience.type === 'all'
          ? body.audience
          : { type: 'openids' as const, openids: [...new Set(body.audience.openids)] };
      if (body.dryRun === true) {
        const { kind, templateId } = body;
        const sendRatePerSecond = deps.sendRates[appId] ?? 1;
        res.json(
          await dryRunBroadcast(
            { db: deps.db, now },
            { appId, kind, templateId, audience, sendRatePerSecond },
          ),
        );
        return;
      }
      if (deps.redis.status !== 'ready') throw queueUnavailable();

      const sendAt = body.sendAt === undefined ? undefined : new Date(body.sendAt);
      const toCreate: BroadcastToCreate = {
        appId,
        kind: body.kind,
        templateId: body.templateId,
        data: normalised.message.data,
        page: body.page,
        audience,
        sendAt,
        quietHours: body.quietHours,
      };
      const { idempotencyKey } = body;
      // hashed only under a key: an audience of 100,000 openids takes about 0.1 s of CPU to hash
      // (measured here on a loaded machine), several times what parsing it took
      const hash = idempotencyKey === undefined ? undefined : broadcastRequestHash(toCreate);
      const { created, broadcast } = await createBroadcast(deps.db, {
        ...toCreate,
        // the app's quiet hours are kept with the broadcast, but not hashed: a replay after they
        // changed is the same request
        quietHours: toCreate.quietHours ?? deps.quietHoursOf?.(appId),
        idempotencyKey,
        requestHash: hash,
      });
      if (!created && broadcast.requestHash !== hash) {
        throw new ApiError(
          409,
          'idempotency_key_reused',
          'This idempotencyKey was used before with a different broadcast; use a new key for a new broadcast, or resend the first request unchanged.',
        );
      }
      // A replay queues a still-scheduled broadcast's fan-out again: it heals a crash or a refused
      // add between the insert and the add, and BullMQ ignores a job id it already holds. A broadcast
      // past scheduled (started, paused or cancelled) gets no job from a replay: its fan-out has run
      // or must not, and the reconciler sees to one cut short.
      if (broadcast.status === 'scheduled') {
        try {
          await enqueueBroadcastFanOut(
            deps.fanOutQueue,
            broadcast.id,
            Math.max(0, (broadcast.sendAt?.getTime() ?? 0) - now().getTime()),
          );
        } catch (error) {
          let apiError: ApiError;
          if (idempotencyKey === undefined) {
            // without its job the broadcast would never start: take it back so a retry starts one
            await deleteUnstartedBroadcast(deps.db, broadcast.id);
            apiError = queueUnavailable();
          } else {
            // under a key a retry is safe and heals it, and an earlier answer may have named it: keep it
            apiError = storedButNotQueued(broadcast.id);
          }
          apiError.cause = error;
          throw apiError;
        }
      }
      res.status(202).json({ id: broadcast.id, status: broadcast.status });
    },
  );

  router.get('/v1/broadcasts', deps.authenticate, async (req, res) => {
    const query = parseRequest(broadcastListQuerySchema, req.query, { what: 'query' });
    if (query.appId !== undefined && !deps.appIds.includes(query.appId)) {
      throw new ApiError(
        422,
        'unknown_app',
        `Unknown appId ${query.appId}; this API serves ${deps.appIds.join(', ')}.`,
      );
    }
    const page = await listBroadcasts(deps.db, { ...query, limit: query.limit ?? DEFAULT_PAGE_LIMIT });
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      items: page.items.map(describeBroadcast),
      ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
    });
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

  const resumeDeps = {
    db: deps.db,
    redis: deps.redis,
    keys: redisKeys(deps.queuePrefix),
    prefix: deps.queuePrefix,
    fanOutQueue: deps.fanOutQueue,
    logger: deps.logger,
  };
  router.post('/v1/broadcasts/:id/resume', deps.authenticate, async (req, res) => {
    const id = String(req.params.id);
    await resumeOrRefuse(resumeDeps, id, notFound);
    res.json({ id, status: 'running' });
  });
  return router;
}
