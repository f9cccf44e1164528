import { type Request, type Response, Router } from 'express';
import { appOfAppid } from '../http/identify-app.js';
import { queryText } from '../http/wechat-body.js';
import { answerWechatCall } from '../http/wechat-call.js';
import { exchangeLoginCode } from '../rules/login.js';
import type { SandboxState } from '../state/sandbox-state.js';

/** `GET /sns/jscode2session`: a mini-program's login code for the user's openid and session_key. */
export function loginRoutes(state: SandboxState): Router {
  const router = Router();

  router.get('/sns/jscode2session', async (req: Request, res: Response) => {
    const app = appOfAppid(state, queryText(req.query.appid));
    if (!app.ok) return void res.json(app.failure);
    const request = {
      secret: queryText(req.query.secret),
      grantType: queryText(req.query.grant_type),
      code: queryText(req.query.js_code),
    };
    await answerWechatCall(req, res, state.random, {
      app: app.value,
      endpoint: 'jscode2session',
      perform: () => exchangeLoginCode(app.value, request),
    });
  });

  return router;
}
