import { randomUUID } from 'node:crypto';
import type { WechatAppConfig } from '@minapush/config';
import { appIdSchema, noControlCharacters } from '@minapush/queues';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { readBody } from '../http/request-body.js';
import { parseRequest } from '../http/validation.js';
import type { Metrics } from '../metrics/metrics.js';
import { type CreditIngestProducer, queueUnavailable } from './credit-ingest-producer.js';
import {
  FORM_ID_PATTERN,
  MAX_FORM_ID_LENGTH,
  MAX_FORM_IDS_PER_REQUEST,
  type Rejection,
  takeFormIds,
} from './form-id-intake.js';
import { resolveRecipient } from './resolve-recipient.js';
import type { SeenFormIds } from './seen-form-ids.js';

const formIdSchema = z.string().min(1).max(MAX_FORM_ID_LENGTH).regex(FORM_ID_PATTERN);
const formIdItemSchema = z.union([
  formIdSchema,
  z.object({
    formId: formIdSchema,
    kind: z.enum(['form_id', 'prepay_id']).optional(),
    capturedAt: z.union([z.iso.datetime({ offset: true }), z.number().int()]).optional(),
  }),
]);

const openidSchema = z.string().min(1).max(128).check(noControlCharacters);

/**
 * The documented body; items are checked one by one (`takeFormIds`) so that a bad one is
 * rejected alone, as `malformed`.
 */
export const formIdsBodySchema = z.object({
  formIds: z.array(formIdItemSchema).min(1).max(MAX_FORM_IDS_PER_REQUEST),
  openid: openidSchema.optional(),
  appId: appIdSchema.optional(),
});

const envelopeSchema = z.object({
  formIds: z.array(z.unknown()).min(1, 'send at least one formId'),
  openid: openidSchema.optional(),
  appId: appIdSchema.optional(),
});

const firstString = (value: unknown): unknown => (Array.isArray(value) ? value[0] : value);

/**
 * Older mini-program clients post a form, `form_id=…&openId=…` (a field may repeat); bring it to
 * the documented `{formIds, openid, appId}` shape. JSON bodies must already have that shape.
 */
function normaliseFormBody(fields: Record<string, unknown>): unknown {
  const listed = fields.formIds ?? fields.formId ?? fields.form_id ?? fields.form_ids;
  const formIds = listed === undefined ? undefined : Array.isArray(listed) ? listed : [listed];
  return {
    formIds,
    openid: firstString(fields.openid ?? fields.openId),
    appId: firstString(fields.appId ?? fields.appid),
  };
}

export interface FormIdsRouteDeps {
  apps: readonly WechatAppConfig[];
  authenticate: RequestHandler;
  producer: CreditIngestProducer;
  seenFormIds: SeenFormIds;
  metrics: Metrics;
  now: () => Date;
}

/** POST /v1/form-ids: a user's formIds and prepay_ids, kept for sending later. */
export function createFormIdsRouter(deps: FormIdsRouteDeps): Router {
  const router = Router();
  router.post('/v1/form-ids', deps.authenticate, ...readBody(), async (req, res) => {
    if (req.body === undefined) {
      throw new ApiError(
        400,
        'unsupported_content_type',
        'Send the body as application/json (or a form, for older clients).',
      );
    }
    const body = parseRequest(
      envelopeSchema,
      req.is('application/x-www-form-urlencoded')
        ? normaliseFormBody(req.body as Record<string, unknown>)
        : req.body,
    );
    if (body.formIds.length > MAX_FORM_IDS_PER_REQUEST) {
      throw new ApiError(
        413,
        'too_many_form_ids',
        `At most ${MAX_FORM_IDS_PER_REQUEST} formIds per request (got ${body.formIds.length}); split them into several requests.`,
      );
    }
    const { app, openid } = resolveRecipient(req.caller!, body, deps.apps);
    const now = deps.now();
    const intake = takeFormIds(body.formIds, now);

    let seen: Set<string>;
    try {
      seen = await deps.seenFormIds.findSeen(
        app.appId,
        intake.accepted.map((credit) => credit.formId),
      );
    } catch (error) {
      throw queueUnavailable(error);
    }
    const fresh = intake.accepted.filter((credit) => !seen.has(credit.formId));
    const rejected: Rejection[] = [
      ...intake.rejected,
      ...intake.accepted
        .filter((credit) => seen.has(credit.formId))
        .map((c) => ({ formId: c.formId, reason: 'duplicate' as const })),
    ];

    if (fresh.length > 0) {
      await deps.producer.enqueueBatch({
        batchId: randomUUID(),
        appId: app.appId,
        openid,
        seenAt: now.toISOString(),
        credits: fresh.map((credit) => ({
          kind: credit.kind,
          formId: credit.formId,
          usesLeft: credit.usesLeft,
          capturedAt: credit.capturedAt.toISOString(),
          expiresAt: credit.expiresAt.toISOString(),
        })),
      });
      // Best effort: Postgres' unique (app, formId) catches any repeat this misses.
      await deps.seenFormIds
        .markSeen(
          app.appId,
          fresh.map((credit) => credit.formId),
        )
        .catch(() => undefined);
    }
    for (const credit of fresh) deps.metrics.creditsAccepted.inc({ app: app.appId, kind: credit.kind });
    for (const rejection of rejected)
      deps.metrics.creditsRejected.inc({ app: app.appId, reason: rejection.reason });
    res.status(202).json({ accepted: fresh.length, rejected });
  });
  return router;
}
