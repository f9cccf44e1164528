import { noControlCharacters } from '@minapush/queues';
import type { TokenOutcome, TokenService } from '@minapush/tokens';
import { type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { readBody } from '../http/request-body.js';
import { parseRequest } from '../http/validation.js';

export const refreshAccessTokenBodySchema = z.object({
  staleToken: z
    .string()
    .min(1, 'staleToken is the access_token WeChat called invalid')
    .max(2048)
    .check(noControlCharacters),
});

const secondsUntil = (date: Date | undefined, fallback: number) =>
  date ? Math.max(1, Math.ceil((date.getTime() - Date.now()) / 1000)) : fallback;

function answer(res: Response, outcome: TokenOutcome, appId: string): void {
  if (outcome.ok) {
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      accessToken: outcome.token.accessToken,
      expiresAt: new Date(outcome.token.expiresAt).toISOString(),
    });
    return;
  }
  switch (outcome.reason) {
    case 'unknown_app':
      throw new ApiError(404, 'unknown_app', `${appId} is not one of this server's apps (WECHAT_APPS).`);
    case 'misconfigured':
      throw new ApiError(
        503,
        'app_misconfigured',
        `WeChat refuses the credentials of ${appId}; the operator must fix its secret or IP whitelist.`,
        { errcode: outcome.errcode },
        secondsUntil(outcome.retryAt, 60),
      );
    case 'budget_exhausted':
      throw new ApiError(
        429,
        'token_budget_exhausted',
        `The daily access_token budget of ${appId} is used up; use the current token until the next China day.`,
        undefined,
        secondsUntil(outcome.retryAt, 60),
      );
    default:
      throw new ApiError(
        503,
        'token_unavailable',
        `No access_token for ${appId} right now (${outcome.reason}); retry shortly.`,
        undefined,
        2,
      );
  }
}

/** The central token for other backends: read it, or report it stale (compare-and-swap). */
export function createAccessTokenRouter(deps: {
  tokens: TokenService;
  authenticate: RequestHandler;
}): Router {
  const router = Router();
  router.get('/v1/apps/:appId/access-token', deps.authenticate, async (req, res) => {
    const appId = String(req.params.appId);
    answer(res, await deps.tokens.getToken(appId), appId);
  });
  router.post('/v1/apps/:appId/access-token/refresh', deps.authenticate, ...readBody(), async (req, res) => {
    const appId = String(req.params.appId);
    const { staleToken } = parseRequest(refreshAccessTokenBodySchema, req.body);
    answer(res, await deps.tokens.refreshTokenIfStale(appId, staleToken), appId);
  });
  return router;
}
