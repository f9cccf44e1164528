import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { z } from 'zod';
import { ControlApiError, ControlRequestInvalidError, ControlRouteNotFoundError } from '../control-errors.js';
import { clientErrorStatus } from '../http/wechat-body.js';
import { newOpenid } from '../ids.js';
import { answerSubscribeDialog, createFormIds, turnOffSubscription } from '../rules/credits.js';
import { createLoginCode } from '../rules/login.js';
import { describeApp } from '../state/describe-app.js';
import { type SandboxState, templateDetails } from '../state/sandbox-state.js';
import {
  bulkFormIdsSchema,
  bulkSubscriptionsSchema,
  clockMoveSchema,
  deliveriesQuerySchema,
  newAppSchema,
  newFaultSchema,
  newFormIdsSchema,
  newSubscriptionSchema,
  newUserSchema,
  pushSettingsSchema,
  subscriptionTurnOffSchema,
  templateSchema,
} from './control-schemas.js';

export const CONTROL_BODY_LIMIT_BYTES = 256 * 1024;
/** The bulk set-up routes take up to 10,000 openids of up to 128 characters each. */
export const BULK_BODY_LIMIT_BYTES = 2 * 1024 * 1024;
const BULK_ROUTES = ['/apps/:appId/form-ids/bulk', '/apps/:appId/subscriptions/bulk'];

/** Parses a control request part, or throws a 400 naming every bad field and what it needs. */
function parse<S extends z.ZodType>(schema: S, input: unknown, where = 'body'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = [where, ...issue.path.map(String)].join('.');
    return `${path}: ${issue.message}`;
  });
  throw new ControlRequestInvalidError(problems.join('; '));
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** The test-only API that sets up apps, users and credits, injects faults and reads what happened. */
export function controlRoutes(state: SandboxState): Router {
  const router = Router();
  // Parsed first, so that the general limit below does not apply to a bulk call's openids.
  router.use(BULK_ROUTES, express.json({ type: () => true, limit: BULK_BODY_LIMIT_BYTES }));
  router.use(express.json({ type: () => true, limit: CONTROL_BODY_LIMIT_BYTES }));

  router.post('/apps', (req: Request, res: Response) => {
    const app = state.createApp(parse(newAppSchema, req.body));
    res.status(201).json({ appId: app.appId, secret: app.settings.secret });
  });

  router.get('/apps/:appId', (req: Request<{ appId: string }>, res: Response) => {
    res.json(describeApp(state.requireApp(req.params.appId)));
  });

  router.delete('/apps/:appId', (req: Request<{ appId: string }>, res: Response) => {
    state.deleteApp(req.params.appId);
    res.status(204).end();
  });

  router.post('/apps/:appId/templates', (req: Request<{ appId: string }>, res: Response) => {
    const app = state.requireApp(req.params.appId);
    const template = parse(templateSchema, req.body);
    app.registerTemplate(template.id, template.kind, templateDetails(template));
    res.status(201).json(template);
  });

  router.post('/apps/:appId/users', (req: Request<{ appId: string }>, res: Response) => {
    const app = state.requireApp(req.params.appId);
    const input = parse(newUserSchema, req.body);
    res.status(201).json(app.ensureUser(input.openid ?? newOpenid(), input.unionid));
  });

  router.post('/apps/:appId/codes', (req: Request<{ appId: string }>, res: Response) => {
    const app = state.requireApp(req.params.appId);
    const input = parse(newUserSchema, req.body);
    const code = createLoginCode(app, input.openid ?? newOpenid(), input.unionid);
    res.status(201).json({ code: code.code, openid: code.openid });
  });

  router.post('/apps/:appId/form-ids', (req: Request<{ appId: string }>, res: Response) => {
    const app = state.requireApp(req.params.appId);
    const input = parse(newFormIdsSchema, req.body);
    const formIds = createFormIds(app, input.openid, input.kind, input.count).map((credit) => ({
      formId: credit.formId,
      kind: credit.kind,
      createdAt: isoTime(credit.createdAt),
      expiresAt: isoTime(credit.expiresAt),
    }));
    res.status(201).json({ formIds });
  });

  router.post('/apps/:appId/subscriptions', (req: Request<{ appId: string }>, res: Response) => {
    const app = state.requireApp(req.params.appId);
    const input = parse(newSubscriptionSchema, req.body);
    const credits = answerSubscribeDialog(app, input);
    res.status(201).json({ templateId: input.templateId, credits });
  });

  router.post('/apps/:appId/subscriptions/turn-off', (req: Request<{ appId: string }>, res: Response) => {
    const app = state.requireApp(req.params.appId);
    const input = parse(subscriptionTurnOffSchema, req.body);
    const creditsDropped = turnOffSubscription(app, input);
    res.json({ templateId: input.templateId, status: input.status, creditsDropped });
  });

  // Bulk set-up for benchmarks and large tests: the single routes' effects, for many users in one call.
  router.post('/apps/:appId/form-ids/bulk', (req: Request<{ appId: string }>, res: Response) => {
    const app = state.requireApp(req.params.appId);
    const input = parse(bulkFormIdsSchema, req.body);
    const formIds = input.openids.flatMap((openid) =>
      createFormIds(app, openid, input.kind, input.count).map((credit) => ({
        openid,
        formId: credit.formId,
        kind: credit.kind,
        createdAt: isoTime(credit.createdAt),
        expiresAt: isoTime(credit.expiresAt),
      })),
    );
    res.status(201).json({ formIds });
  });

  router.post('/apps/:appId/subscriptions/bulk', (req: Request<{ appId: string }>, res: Response) => {
    const app = state.requireApp(req.params.appId);
    const input = parse(bulkSubscriptionsSchema, req.body);
    // Registering first makes a kind conflict refuse the whole call before any user is credited.
    app.registerTemplate(input.templateId, 'subscribe');
    // Each user's popup events are only queued here: delivery happens after the answer.
    const subscriptions = input.openids.map((openid) => ({
      openid,
      credits: answerSubscribeDialog(app, {
        openid,
        templateId: input.templateId,
        status: 'accept',
        count: input.count,
        push: input.push,
      }),
    }));
    res.status(201).json({ templateId: input.templateId, subscriptions });
  });

  router.get('/apps/:appId/deliveries', (req: Request<{ appId: string }>, res: Response) => {
    const app = state.requireApp(req.params.appId);
    const query = parse(deliveriesQuerySchema, req.query, 'query');
    const deliveries = app.deliveries.filter(
      (delivery) =>
        (query.openid === undefined || delivery.openid === query.openid) &&
        (query.kind === undefined || delivery.kind === query.kind),
    );
    res.json({ deliveries });
  });

  router.put('/apps/:appId/push', (req: Request<{ appId: string }>, res: Response) => {
    const app = state.requireApp(req.params.appId);
    const settings = parse(pushSettingsSchema, req.body);
    app.pushes.configure(settings);
    // The token and the key are never answered back.
    res.json({ url: settings.url, mode: settings.mode, format: settings.format, originalId: app.originalId });
  });

  router.delete('/apps/:appId/push', (req: Request<{ appId: string }>, res: Response) => {
    state.requireApp(req.params.appId).pushes.unconfigure();
    res.status(204).end();
  });

  router.get('/apps/:appId/pushes', (req: Request<{ appId: string }>, res: Response) => {
    res.json({ pushes: state.requireApp(req.params.appId).pushes.list() });
  });

  router.get('/apps/:appId/token-fetches', (req: Request<{ appId: string }>, res: Response) => {
    res.json({ fetches: state.requireApp(req.params.appId).tokenFetchLog });
  });

  router.post('/apps/:appId/faults', (req: Request<{ appId: string }>, res: Response) => {
    const app = state.requireApp(req.params.appId);
    const fault = app.faults.add(parse(newFaultSchema, req.body));
    res.status(201).json({ id: fault.id });
  });

  router.delete('/apps/:appId/faults', (req: Request<{ appId: string }>, res: Response) => {
    state.requireApp(req.params.appId).faults.clear();
    res.status(204).end();
  });

  router.get('/apps/:appId/clock', (req: Request<{ appId: string }>, res: Response) => {
    res.json({ now: isoTime(state.requireApp(req.params.appId).now()) });
  });

  router.post('/apps/:appId/clock', (req: Request<{ appId: string }>, res: Response) => {
    const app = state.requireApp(req.params.appId);
    const move = parse(clockMoveSchema, req.body);
    if (move.now !== undefined) app.clock.set(Date.parse(move.now));
    else app.clock.advance(move.advanceMs ?? 0);
    res.json({ now: isoTime(app.now()) });
  });

  router.use((req: Request, _res: Response, next: NextFunction) => {
    next(new ControlRouteNotFoundError(req.method, req.originalUrl.split('?')[0] ?? ''));
  });

  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (error instanceof ControlApiError) {
      res.status(error.status).json({ error: { code: error.code, message: error.message } });
      return;
    }
    const status = clientErrorStatus(error);
    if (status === undefined) {
      next(error);
      return;
    }
    const code = status === 413 ? 'payload_too_large' : 'invalid_body';
    const limit = (error as { limit?: unknown }).limit;
    const message =
      status === 413
        ? `The body is over ${typeof limit === 'number' ? limit : CONTROL_BODY_LIMIT_BYTES} bytes.`
        : status === 400
          ? 'The body is not valid JSON: send a JSON object.'
          : (error as Error).message;
    res.status(status).json({ error: { code, message } });
  });

  return router;
}
