import type { WechatAppConfig } from '@minapush/config';
import type { Logger } from '@minapush/logger';
import { appIdSchema, noControlCharacters } from '@minapush/queues';
import { InvalidLoginCodeError, type WechatClient } from '@minapush/wechat';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import type { CreditIngestProducer } from '../credits/credit-ingest-producer.js';
import { findApp } from '../credits/resolve-recipient.js';
import { ApiError } from '../http/api-error.js';
import { readBody } from '../http/request-body.js';
import { parseRequest } from '../http/validation.js';
import type { Metrics } from '../metrics/metrics.js';
import type { SessionTokens } from './session-tokens.js';

export const createSessionBodySchema = z.object({
  code: z
    .string()
    .min(1, 'code is the string wx.login() gave the mini-program')
    .max(128)
    .check(noControlCharacters),
  appId: appIdSchema.optional(),
});

export interface SessionsRouteDeps {
  apps: readonly WechatAppConfig[];
  wechat: WechatClient;
  sessions: SessionTokens;
  producer: CreditIngestProducer;
  /** answers 429 to a client address past its logins per minute */
  limitLogins: RequestHandler;
  metrics: Metrics;
  logger: Logger;
  now: () => Date;
}

/** POST /v1/sessions: exchanges a wx.login() code for a session token (code2Session). */
export function createSessionsRouter(deps: SessionsRouteDeps): Router {
  const router = Router();
  router.post('/v1/sessions', deps.limitLogins, ...readBody(), async (req, res) => {
    const body = parseRequest(createSessionBodySchema, req.body);
    const app = findApp(deps.apps, body.appId);
    const result = await deps.wechat.code2Session({ appId: app.appId, secret: app.secret, code: body.code });
    if (!result.ok) {
      const { error } = result;
      deps.metrics.logins.inc({ app: app.appId, outcome: error.code });
      if (error instanceof InvalidLoginCodeError) {
        throw new ApiError(
          401,
          'invalid_code',
          'WeChat rejected the login code; call wx.login() again and send the new code.',
          {
            errcode: error.errcode,
          },
        );
      }
      if (error.category === 'quota') {
        throw new ApiError(
          429,
          'too_many_logins',
          'WeChat limits logins per user per minute; retry in a minute.',
          undefined,
          60,
        );
      }
      if (error.misconfiguration) {
        deps.logger.error(
          { appId: app.appId, errcode: error.errcode },
          'code2Session refused the app credentials',
        );
        throw new ApiError(
          503,
          'wechat_misconfigured',
          'WeChat refused this app’s credentials; the operator must fix WECHAT_APPS.',
        );
      }
      deps.logger.warn({ appId: app.appId, code: error.code, errcode: error.errcode }, 'code2Session failed');
      throw new ApiError(
        503,
        'wechat_unavailable',
        'WeChat could not be reached to check the code; retry shortly.',
        undefined,
        2,
      );
    }
    const { openid, unionid } = result.value;
    const session = await deps.sessions.issue({ appId: app.appId, openid });
    deps.metrics.logins.inc({ app: app.appId, outcome: 'ok' });
    // The login itself must not fail because Redis is down: the code is spent already.
    // The user is recorded again with their first credits anyway.
    await deps.producer
      .enqueueSighting({
        appId: app.appId,
        openid,
        ...(unionid ? { unionid } : {}),
        seenAt: deps.now().toISOString(),
      })
      .catch((error: unknown) =>
        deps.logger.warn({ err: error, appId: app.appId }, 'could not queue the user sighting'),
      );
    res.status(200).json({ token: session.token, openid, expiresAt: session.expiresAt.toISOString() });
  });
  return router;
}
