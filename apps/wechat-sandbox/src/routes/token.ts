import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { appOfAppid } from '../http/identify-app.js';
import { queryText, readWechatBody, wechatRawBody } from '../http/wechat-body.js';
import { answerWechatCall } from '../http/wechat-call.js';
import { fetchClassicToken, fetchStableToken } from '../rules/tokens.js';
import type { SandboxState } from '../state/sandbox-state.js';

const stableTokenBodySchema = z.object({
  grant_type: z.string().optional(),
  appid: z.string().optional(),
  secret: z.string().optional(),
  force_refresh: z.boolean().optional(),
});

/** `GET /cgi-bin/token` (classic) and `POST /cgi-bin/stable_token`. */
export function tokenRoutes(state: SandboxState): Router {
  const router = Router();

  router.get('/cgi-bin/token', async (req: Request, res: Response) => {
    const app = appOfAppid(state, queryText(req.query.appid));
    if (!app.ok) return void res.json(app.failure);
    const credentials = { grantType: queryText(req.query.grant_type), secret: queryText(req.query.secret) };
    await answerWechatCall(req, res, state.random, {
      app: app.value,
      endpoint: 'token',
      perform: () => fetchClassicToken(app.value, credentials),
    });
  });

  router.post('/cgi-bin/stable_token', wechatRawBody, async (req: Request, res: Response) => {
    const body = readWechatBody(req, stableTokenBodySchema);
    if (!body.ok) return void res.json(body.failure);
    const app = appOfAppid(state, body.value.appid || undefined);
    if (!app.ok) return void res.json(app.failure);
    const credentials = { grantType: body.value.grant_type, secret: body.value.secret };
    await answerWechatCall(req, res, state.random, {
      app: app.value,
      endpoint: 'stable_token',
      perform: () => fetchStableToken(app.value, credentials, body.value.force_refresh === true),
    });
  });

  return router;
}
