import type { WechatAppConfig } from '@minapush/config';
import { type Database, recordPushEvent } from '@minapush/db';
import type { Logger } from '@minapush/logger';
import {
  MAX_PUSH_BODY_LENGTH,
  type OpenPushRefusal,
  openPushMessage,
  type PushAppSettings,
  type PushQuery,
  verifyPushSignature,
} from '@minapush/wechat/push';
import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import { ApiError } from '../http/api-error.js';
import type { Metrics } from '../metrics/metrics.js';
import { pushDedupeKey } from './push-dedupe-key.js';
import { MAX_PUSH_CLOCK_SKEW_S, type PushRefusalReason } from './push-outcomes.js';

export interface PushEventsRouteDeps {
  apps: readonly WechatAppConfig[];
  db: Database;
  /**
   * Adds the job that applies a stored event. It may fail (Redis down): the event is stored, so
   * WeChat is still answered `success` and the sweep enqueues it later.
   */
  enqueue: (eventId: string) => Promise<unknown>;
  metrics: Pick<Metrics, 'pushEvents' | 'pushRefused'>;
  logger: Logger;
  now: () => Date;
}

export const PUSH_EVENTS_PATH = '/v1/apps/:appId/wechat/events';

// WeChat reads the answer as text: `success` (or an empty body) acknowledges a push.
function acknowledge(res: Response): void {
  res.type('text/plain').send('success');
}

function firstString(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

function pushQueryOf(req: Request): PushQuery {
  const query: PushQuery = {};
  for (const key of ['signature', 'timestamp', 'nonce', 'msg_signature', 'encrypt_type'] as const) {
    const value = firstString(req.query[key]);
    if (value !== undefined) query[key] = value;
  }
  return query;
}

/** Why a refusal is counted, and how it is answered. */
function refusalOf(reason: OpenPushRefusal, detail: string | undefined): [PushRefusalReason, ApiError] {
  switch (reason) {
    case 'missing_signature':
      return [
        'missing_signature',
        new ApiError(
          401,
          'bad_signature',
          `The push is not signed: ${detail ?? 'signature, timestamp and nonce are required'}.`,
        ),
      ];
    case 'bad_signature':
      return [
        'bad_signature',
        new ApiError(
          401,
          'bad_signature',
          "The push's signature does not match this app's pushToken (WECHAT_APPS): check that it is the Token of the console's message-push settings.",
        ),
      ];
    case 'body_too_large':
      return [
        'body_too_large',
        new ApiError(413, 'body_too_large', `A push body is at most ${MAX_PUSH_BODY_LENGTH} characters.`),
      ];
    case 'encryption_not_configured':
      return [
        'encryption_not_configured',
        new ApiError(
          400,
          'encryption_not_configured',
          "The push is encrypted but this app has no encodingAesKey: set it in the app's WECHAT_APPS entry (the EncodingAESKey of the console's message-push settings).",
        ),
      ];
    default:
      return [
        'malformed',
        new ApiError(
          400,
          'malformed_push',
          `The push could not be read (${reason}${detail ? `: ${detail}` : ''}); WeChat sends XML or JSON as its message-push settings say.`,
        ),
      ];
  }
}

/**
 * WeChat's message push, per app: `GET` is the console's URL verification, `POST` an event.
 * An accepted event is stored in Postgres before `success` is answered (WeChat waits 5 seconds,
 * then retries); applying it to the ledger is the credit-ingest worker's job (docs/push-events.md).
 */
export function createPushEventsRouter(deps: PushEventsRouteDeps): Router {
  const router = Router();

  const pushAppOf = (req: Request, res: Response): PushAppSettings => {
    const appId = String(req.params.appId);
    const app = deps.apps.find((candidate) => candidate.appId === appId);
    if (!app) {
      throw new ApiError(
        404,
        'unknown_app',
        `${appId} is not one of this server's apps (WECHAT_APPS); the push URL names the appId of the mini-program.`,
      );
    }
    if (app.pushToken === undefined) {
      throw new ApiError(
        404,
        'push_not_configured',
        `${appId} takes no message push: set pushToken (and encodingAesKey for the compatible and secure modes) in its WECHAT_APPS entry, as in the console's message-push settings.`,
      );
    }
    res.locals.pushApp = app.appId;
    return {
      appId: app.appId,
      pushToken: app.pushToken,
      ...(app.encodingAesKey === undefined ? {} : { encodingAesKey: app.encodingAesKey }),
    };
  };

  function refuse(appId: string, reason: PushRefusalReason, error: ApiError): never {
    deps.metrics.pushRefused.inc({ app: appId, reason });
    throw error;
  }

  // Checked before a byte of the body is read: unknown apps and apps without push cost nothing.
  const knownPushApp: RequestHandler = (req, res, next) => {
    pushAppOf(req, res);
    next();
  };

  // The body as text, whatever its content type (WeChat sends text/xml or application/json),
  // refused past the size any push has.
  const textBody = express.text({ type: () => true, limit: MAX_PUSH_BODY_LENGTH });
  const readPushBody: RequestHandler = (req, res, next) => {
    textBody(req, res, (error?: unknown) => {
      if (error && (error as { type?: string }).type === 'entity.too.large') {
        deps.metrics.pushRefused.inc({ app: String(res.locals.pushApp), reason: 'body_too_large' });
      }
      next(error);
    });
  };

  router.get(PUSH_EVENTS_PATH, (req, res) => {
    const app = pushAppOf(req, res);
    const { signature, timestamp, nonce } = pushQueryOf(req);
    const echostr = firstString(req.query.echostr);
    if (!signature || !timestamp || !nonce) {
      refuse(
        app.appId,
        'missing_signature',
        new ApiError(
          401,
          'bad_signature',
          'The verification is not signed: signature, timestamp and nonce are required.',
        ),
      );
    } else if (!verifyPushSignature({ token: app.pushToken, timestamp, nonce, signature })) {
      refuse(app.appId, ...refusalOf('bad_signature', undefined));
    }
    if (echostr === undefined) {
      throw new ApiError(400, 'missing_echostr', 'The verification carries no echostr to answer.');
    }
    res.type('text/plain').send(echostr);
  });

  router.post(PUSH_EVENTS_PATH, knownPushApp, readPushBody, async (req, res) => {
    const app = pushAppOf(req, res);
    const query = pushQueryOf(req);
    const contentType = req.get('content-type');
    const opened = openPushMessage({
      app,
      query,
      body: typeof req.body === 'string' ? req.body : '',
      ...(contentType === undefined ? {} : { contentType }),
    });
    if (!opened.ok) refuse(app.appId, ...refusalOf(opened.reason, opened.detail));
    // Signed, so the timestamp is WeChat's; one too far from now is a recorded request replayed.
    const sentAt = Number(query.timestamp);
    const skew = Math.abs(deps.now().getTime() / 1000 - sentAt);
    if (!Number.isFinite(skew) || skew > MAX_PUSH_CLOCK_SKEW_S) {
      refuse(
        app.appId,
        'stale_timestamp',
        new ApiError(
          401,
          'stale_timestamp',
          `The push's timestamp is more than ${MAX_PUSH_CLOCK_SKEW_S} s from this server's clock: a replayed request, or a clock to set right.`,
        ),
      );
    }

    const { event } = opened;
    if (event.type === 'unknown') {
      // Other pushes of the mini-program (messages from customer service, other events) are not
      // ours to handle; WeChat only needs them acknowledged.
      deps.metrics.pushEvents.inc({ app: app.appId, event: 'unknown' });
      acknowledge(res);
      return;
    }
    // Postgres first: an event is acknowledged only once it cannot be lost. When Postgres is
    // down this throws, the answer is 503, and WeChat retries.
    const recorded = await recordPushEvent(deps.db, {
      appId: app.appId,
      dedupeKey: pushDedupeKey(app.appId, event),
      eventType: event.type,
      openid: event.fromUser,
      eventTime: new Date(event.createTime * 1000),
      payload: event,
    });
    if (recorded.duplicate) {
      deps.metrics.pushEvents.inc({ app: app.appId, event: 'duplicate' });
      acknowledge(res);
      return;
    }
    deps.metrics.pushEvents.inc({ app: app.appId, event: event.type });
    try {
      await deps.enqueue(String(recorded.id));
    } catch (error) {
      deps.logger.warn(
        { err: error, appId: app.appId, eventId: String(recorded.id) },
        'push event stored but not enqueued (redis unavailable?): the sweep enqueues it within two minutes',
      );
    }
    acknowledge(res);
  });
  return router;
}
