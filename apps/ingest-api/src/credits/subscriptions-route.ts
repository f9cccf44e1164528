import { createHash, randomUUID } from 'node:crypto';
import type { WechatAppConfig } from '@minapush/config';
import { appIdSchema, noControlCharacters } from '@minapush/queues';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { readBody } from '../http/request-body.js';
import { parseRequest } from '../http/validation.js';
import type { Metrics } from '../metrics/metrics.js';
import type { CreditIngestProducer } from './credit-ingest-producer.js';
import { resolveRecipient } from './resolve-recipient.js';

export const MAX_TEMPLATES_PER_REQUEST = 20;
const SUBSCRIBE_ANSWERS = ['accept', 'reject', 'ban', 'filter'] as const;

/** What wx.requestSubscribeMessage resolves with, plus who it is for when an API key posts it. */
export const subscriptionsBodySchema = z.object({
  results: z.record(z.string().min(1).max(128).check(noControlCharacters), z.unknown(), {
    error: (issue) =>
      issue.code === 'invalid_key'
        ? `each key of results is a templateId that ${issue.issues[0]?.message ?? 'is 1 to 128 characters'}`
        : undefined,
  }),
  /**
   * A UUID the client makes once per report and sends again with every retry of it: the credits of
   * one batchId are stored once, even when an earlier attempt's answer was lost.
   */
  batchId: z.uuid('batchId must be a UUID the client made for this report').optional(),
  openid: z.string().min(1).max(128).check(noControlCharacters).optional(),
  appId: appIdSchema.optional(),
});

/**
 * The stored id of a client's batch: derived from the app, the user and the client's own id, so
 * that no client can collide with another user's batch, and the same report maps to the same id.
 */
function scopedBatchId(appId: string, openid: string, clientBatchId: string): string {
  const hex = createHash('sha256')
    .update(`${appId}\n${openid}\n${clientBatchId.toLowerCase()}`)
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface SubscriptionsRouteDeps {
  apps: readonly WechatAppConfig[];
  authenticate: RequestHandler;
  producer: CreditIngestProducer;
  metrics: Metrics;
  now: () => Date;
}

/** POST /v1/subscriptions: each `accept` is one credit to send that template to that user. */
export function createSubscriptionsRouter(deps: SubscriptionsRouteDeps): Router {
  const router = Router();
  router.post('/v1/subscriptions', deps.authenticate, ...readBody(), async (req, res) => {
    const body = parseRequest(subscriptionsBodySchema, req.body);
    // wx.requestSubscribeMessage's result also carries `errMsg`; it is not a template.
    const answers = Object.entries(body.results).filter(([key]) => key !== 'errMsg');
    if (answers.length === 0) {
      throw new ApiError(
        422,
        'no_results',
        'results names no template; send what wx.requestSubscribeMessage resolved with.',
      );
    }
    if (answers.length > MAX_TEMPLATES_PER_REQUEST) {
      throw new ApiError(
        413,
        'too_many_templates',
        `At most ${MAX_TEMPLATES_PER_REQUEST} templates per request.`,
      );
    }
    const invalid = answers.filter(([, answer]) => !SUBSCRIBE_ANSWERS.includes(answer as never));
    if (invalid.length > 0) {
      throw new ApiError(
        422,
        'invalid_subscribe_result',
        `Each template's result must be one of ${SUBSCRIBE_ANSWERS.join(', ')}; invalid for ${invalid.map(([t]) => t).join(', ')}.`,
        { templates: invalid.map(([templateId]) => templateId) },
      );
    }
    const { app, openid } = resolveRecipient(req.caller!, body, deps.apps);
    const accepted = answers.filter(([, answer]) => answer === 'accept').map(([templateId]) => templateId);
    if (accepted.length > 0) {
      const now = deps.now().toISOString();
      await deps.producer.enqueueBatch({
        batchId: body.batchId ? scopedBatchId(app.appId, openid, body.batchId) : randomUUID(),
        appId: app.appId,
        openid,
        seenAt: now,
        credits: accepted.map((templateId) => ({
          kind: 'subscribe' as const,
          templateId,
          usesLeft: 1,
          capturedAt: now,
          expiresAt: null,
        })),
      });
      deps.metrics.creditsAccepted.inc({ app: app.appId, kind: 'subscribe' }, accepted.length);
    }
    res.status(202).json({ credited: accepted.length });
  });
  return router;
}
