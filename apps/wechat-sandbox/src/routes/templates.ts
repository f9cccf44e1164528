import { type Request, type Response, Router } from 'express';
import { appOfAccessToken } from '../http/identify-app.js';
import { queryText } from '../http/wechat-body.js';
import { answerWechatCall } from '../http/wechat-call.js';
import { listTemplates } from '../rules/template-list.js';
import { checkAccessToken } from '../rules/tokens.js';
import type { SandboxState } from '../state/sandbox-state.js';

/** `GET /wxaapi/newtmpl/gettemplate`: the app's subscribe templates, with their keys and enum values. */
export function templateRoutes(state: SandboxState): Router {
  const router = Router();

  router.get('/wxaapi/newtmpl/gettemplate', async (req: Request, res: Response) => {
    const caller = appOfAccessToken(state, queryText(req.query.access_token));
    if (!caller.ok) return void res.json(caller.failure);
    const { app, token } = caller.value;
    // counted before a fault or a refusal can answer: proof of whether a client asked at all
    app.counters.templateListCalls += 1;
    await answerWechatCall(req, res, state.random, {
      app,
      endpoint: 'template_list',
      perform: () => {
        const authorised = checkAccessToken(app, token);
        return authorised.ok ? listTemplates(app) : authorised;
      },
    });
  });

  return router;
}
