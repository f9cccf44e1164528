import { type NextFunction, type Request, type RequestHandler, type Response, Router } from 'express';
import { appOfAccessToken } from '../http/identify-app.js';
import { queryText, readWechatBody, wechatRawBody } from '../http/wechat-body.js';
import { answerWechatCall } from '../http/wechat-call.js';
import { quotaGetBodySchema, readApiQuota } from '../rules/api-quota.js';
import { sendSubscribeMessage, subscribeSendBodySchema } from '../rules/subscribe-send.js';
import { sendTemplateMessage, templateSendBodySchema } from '../rules/template-send.js';
import { checkAccessToken } from '../rules/tokens.js';
import type { SendEndpoint } from '../state/app-state.js';
import type { SandboxState } from '../state/sandbox-state.js';

/** The `touser` of a send's raw body, when it has one, read before the call's own checks. */
function recipientOf(req: Request): string | undefined {
  if (!Buffer.isBuffer(req.body)) return undefined;
  try {
    const touser = (JSON.parse(req.body.toString('utf8')) as { touser?: unknown } | null)?.touser;
    return typeof touser === 'string' && touser !== '' ? touser : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Counts the call for the app whose token it carries before anything can answer it (the body's
 * size check, a fault, a refusal): the counter proves whether a client called WeChat at all.
 */
function countSendCall(state: SandboxState, endpoint: SendEndpoint): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const caller = appOfAccessToken(state, queryText(req.query.access_token));
    if (caller.ok) caller.value.app.counters.sendCalls[endpoint] += 1;
    next();
  };
}

/**
 * The legacy template message and the subscribe message, both paid for with a user's credit, and
 * the daily quota of those APIs.
 */
export function messageRoutes(state: SandboxState): Router {
  const router = Router();
  const nextMsgid = () => state.nextMsgid();

  router.post(
    '/cgi-bin/message/wxopen/template/send',
    countSendCall(state, 'template_send'),
    wechatRawBody,
    async (req: Request, res: Response) => {
      const caller = appOfAccessToken(state, queryText(req.query.access_token));
      if (!caller.ok) return void res.json(caller.failure);
      const { app, token } = caller.value;
      await answerWechatCall(req, res, state.random, {
        app,
        endpoint: 'template_send',
        user: recipientOf(req),
        perform: () => {
          const authorised = checkAccessToken(app, token);
          if (!authorised.ok) return authorised;
          const body = readWechatBody(req, templateSendBodySchema);
          return body.ok ? sendTemplateMessage(app, body.value, nextMsgid) : body;
        },
      });
    },
  );

  router.post(
    '/cgi-bin/message/subscribe/send',
    countSendCall(state, 'subscribe_send'),
    wechatRawBody,
    async (req: Request, res: Response) => {
      const caller = appOfAccessToken(state, queryText(req.query.access_token));
      if (!caller.ok) return void res.json(caller.failure);
      const { app, token } = caller.value;
      await answerWechatCall(req, res, state.random, {
        app,
        endpoint: 'subscribe_send',
        user: recipientOf(req),
        perform: () => {
          const authorised = checkAccessToken(app, token);
          if (!authorised.ok) return authorised;
          const body = readWechatBody(req, subscribeSendBodySchema);
          return body.ok ? sendSubscribeMessage(app, body.value, nextMsgid, state.random) : body;
        },
      });
    },
  );

  router.post('/cgi-bin/openapi/quota/get', wechatRawBody, async (req: Request, res: Response) => {
    const caller = appOfAccessToken(state, queryText(req.query.access_token));
    if (!caller.ok) return void res.json(caller.failure);
    const { app, token } = caller.value;
    await answerWechatCall(req, res, state.random, {
      app,
      endpoint: 'quota_get',
      perform: () => {
        const authorised = checkAccessToken(app, token);
        if (!authorised.ok) return authorised;
        const body = readWechatBody(req, quotaGetBodySchema);
        return body.ok ? readApiQuota(app, body.value) : body;
      },
    });
  });

  return router;
}
