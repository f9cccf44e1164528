import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { type RequestHandler, Router } from 'express';
import { ApiError } from '../http/api-error.js';

const BOARD_PATH = '/admin/queues';

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

/** /admin/*: Bull Board behind HTTP Basic; 503 when no admin credentials are configured. */
export function createAdminRouter(deps: {
  admin: { username: string; password: string } | undefined;
  queues: readonly Queue[];
}): Router {
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
  createBullBoard({ queues: deps.queues.map((queue) => new BullMQAdapter(queue)), serverAdapter });
  router.use('/admin', basicAuth(admin));
  router.use(BOARD_PATH, serverAdapter.getRouter());
  return router;
}
