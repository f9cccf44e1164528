import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { WechatAppConfig } from '@minapush/config';
import { cancelBroadcast, type Database } from '@minapush/db';
import type { Logger } from '@minapush/logger';
import { type Redis, redisKeys } from '@minapush/queues';
import type { TokenService } from '@minapush/tokens';
import type { Queue } from 'bullmq';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import { resumeOrRefuse } from '../broadcasts/resume-or-refuse.js';
import { ApiError } from '../http/api-error.js';
import { parseRequest } from '../http/validation.js';
import { BOARD_PATH, overviewPage, type PageContext, userPage } from './admin-pages.js';
import { readAdminOverview, readBroadcastsProgress, readUserLookup } from './admin-view.js';

/** The admin's HTTP Basic credentials, and whether actions are allowed. */
export interface AdminSettings {
  username: string;
  password: string;
  /** Bull Board refuses its actions and the admin view offers none (ADMIN_READ_ONLY, default true) */
  readOnly: boolean;
}

export interface AdminRouterDeps {
  admin: AdminSettings | undefined;
  /** the queues shown in Bull Board: every queue of the deployment */
  queues: readonly Queue[];
  apps: readonly WechatAppConfig[];
  db: Database;
  redis: Redis;
  tokens: Pick<TokenService, 'peek' | 'readHealth' | 'fetchesToday'>;
  queuePrefix: string;
  /** where a resumed broadcast's cut-short fan-out is queued again */
  fanOutQueue: Queue;
  logger: Logger;
  now: () => Date;
}

const sameSecret = (a: string, b: string) =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

function basicAuth(credentials: { username: string; password: string }): RequestHandler {
  return (req, res, next) => {
    const match = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const decoded = match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8') : '';
    const separator = decoded.indexOf(':');
    const username = separator >= 0 ? decoded.slice(0, separator) : '';
    const password = separator >= 0 ? decoded.slice(separator + 1) : '';
    const userOk = sameSecret(username, credentials.username);
    const passwordOk = sameSecret(password, credentials.password);
    if (separator >= 0 && userOk && passwordOk) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', 'Basic realm="minapush admin", charset="UTF-8"');
    next(
      new ApiError(
        401,
        'admin_credentials_required',
        'Log in with ADMIN_USERNAME and ADMIN_PASSWORD (HTTP Basic).',
      ),
    );
  };
}

/**
 * A browser sends the cached Basic credentials with any request to this host, a form posted from
 * another site too: an action is taken only from a page of this host (its Origin says so; clients
 * that are not browsers send none).
 */
const sameOriginOnly: RequestHandler = (req, _res, next) => {
  const origin = req.get('origin');
  let host: string | undefined;
  try {
    host = origin === undefined ? undefined : new URL(origin).host;
  } catch {
    host = '';
  }
  if (origin !== undefined && host !== req.get('host')) {
    next(
      new ApiError(
        403,
        'cross_site_request',
        'Admin actions are taken from the admin view of this host only; open /admin here and use its buttons.',
      ),
    );
    return;
  }
  next();
};

const uuid = z.uuid({ message: 'a broadcast id (uuid)' });
const MAX_POLLED_BROADCASTS = 50;
const progressQuerySchema = z.object({
  ids: z
    .string()
    .max(MAX_POLLED_BROADCASTS * 37)
    .transform((value) => value.split(',').filter((id) => id !== ''))
    .pipe(z.array(uuid).max(MAX_POLLED_BROADCASTS)),
});
const userQuerySchema = z.object({
  app: z.string().min(1).max(64),
  openid: z.string().min(1).max(128),
});

/** The Content-Security-Policy of an admin page: its own inline script and style, nothing else. */
function pageHeaders(res: Response): string {
  const nonce = randomBytes(16).toString('base64');
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  );
  res.setHeader('Cache-Control', 'no-store');
  res.type('html');
  return nonce;
}

/**
 * /admin: the admin view (per app: token health and expiry, credit inventory, daily quota use,
 * recent broadcasts with live progress, a user lookup) and Bull Board under /admin/queues, both
 * behind HTTP Basic; 503 when no admin credentials are configured. Read-only unless the settings
 * say otherwise: Bull Board then refuses its actions (405) and the view shows no buttons.
 */
export function createAdminRouter(deps: AdminRouterDeps): Router {
  const router = Router();
  const { admin } = deps;
  if (!admin) {
    router.use('/admin', (_req, _res, next) => {
      next(
        new ApiError(
          503,
          'admin_disabled',
          'admin disabled: set ADMIN_USERNAME and ADMIN_PASSWORD to enable /admin.',
        ),
      );
    });
    return router;
  }
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: deps.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: admin.readOnly })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'minapush queues' } },
  });
  router.use('/admin', basicAuth(admin));
  router.use(BOARD_PATH, serverAdapter.getRouter());

  const appIds = deps.apps.map((app) => app.appId);
  const context = (res: Response): PageContext => ({
    appIds,
    readOnly: admin.readOnly,
    nonce: pageHeaders(res),
    now: deps.now(),
  });
  const findApp = (appId: string) => {
    const app = deps.apps.find((candidate) => candidate.appId === appId);
    if (!app) {
      throw new ApiError(
        404,
        'unknown_app',
        `Unknown app ${appId}; this deployment serves ${appIds.join(', ')}.`,
      );
    }
    return app;
  };
  const view = { db: deps.db, redis: deps.redis, tokens: deps.tokens, queuePrefix: deps.queuePrefix };

  router.get('/admin', async (_req, res) => {
    const overview = await readAdminOverview(view, deps.apps, { broadcasts: 10, now: deps.now() });
    res.send(overviewPage(overview.sections, overview.otherQueues, context(res)));
  });

  router.get('/admin/apps/:appId', async (req, res) => {
    const app = findApp(String(req.params.appId));
    const overview = await readAdminOverview(view, [app], { broadcasts: 50, now: deps.now() });
    res.send(overviewPage(overview.sections, overview.otherQueues, context(res), app.appId));
  });

  router.get('/admin/users', async (req, res) => {
    const query = parseRequest(userQuerySchema, req.query, { status: 422, what: 'query' });
    const app = findApp(query.app);
    const user = await readUserLookup(view, { appId: app.appId, openid: query.openid, now: deps.now() });
    res.send(userPage({ appId: app.appId, openid: query.openid, ...user }, context(res)));
  });

  // what the progress bars of the pages poll
  router.get('/admin/api/broadcasts', async (req: Request, res) => {
    const { ids } = parseRequest(progressQuerySchema, req.query, { status: 422, what: 'query' });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ items: await readBroadcastsProgress(view, ids) });
  });

  const actionsAllowed: RequestHandler = (_req, _res, next) => {
    next(
      admin.readOnly
        ? new ApiError(
            403,
            'admin_read_only',
            'The admin is read-only; set ADMIN_READ_ONLY=false to cancel or resume broadcasts from it.',
          )
        : undefined,
    );
  };
  const broadcastNotFound = () => new ApiError(404, 'broadcast_not_found', 'No broadcast has this id.');

  router.post('/admin/broadcasts/:id/cancel', actionsAllowed, sameOriginOnly, async (req, res) => {
    const id = String(req.params.id);
    const result = await cancelBroadcast(deps.db, id);
    if (!result.ok && result.reason === 'not_found') throw broadcastNotFound();
    res.redirect(303, '/admin');
  });

  // POST /v1/broadcasts/:id/resume's use case: a paused broadcast runs again
  const resumeDeps = {
    db: deps.db,
    redis: deps.redis,
    keys: redisKeys(deps.queuePrefix),
    prefix: deps.queuePrefix,
    fanOutQueue: deps.fanOutQueue,
    logger: deps.logger,
  };
  router.post('/admin/broadcasts/:id/resume', actionsAllowed, sameOriginOnly, async (req, res) => {
    const id = String(req.params.id);
    await resumeOrRefuse(resumeDeps, id, broadcastNotFound);
    res.redirect(303, '/admin');
  });
  return router;
}
