import { type Database, findAppInventory, findUserCredits } from '@minapush/db';
import { noControlCharacters } from '@minapush/queues';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { requireServedApp } from '../http/served-app.js';
import { parseRequest } from '../http/validation.js';

export interface CreditInventoryRouteDeps {
  db: Database;
  appIds: readonly string[];
  /** API keys only */
  authenticate: RequestHandler;
  now?: () => Date;
}

const openidSchema = z.string().min(1).max(128).check(noControlCharacters);

/**
 * What can be sent: GET /v1/apps/:appId/users/:openid/credits (one user, what WeChat itself
 * cannot say) and GET /v1/apps/:appId/inventory (the whole app). Both count only credits usable
 * now, as the send path would pick them.
 */
export function createCreditInventoryRouter(deps: CreditInventoryRouteDeps): Router {
  const now = deps.now ?? (() => new Date());
  const router = Router();
  const knownApp = (appId: string) => requireServedApp(deps.appIds, appId);

  router.get('/v1/apps/:appId/users/:openid/credits', deps.authenticate, async (req, res) => {
    const appId = knownApp(String(req.params.appId));
    const openid = parseRequest(openidSchema, String(req.params.openid), { what: 'openid in the path' });
    res.setHeader('Cache-Control', 'no-store');
    res.json(await findUserCredits(deps.db, { appId, openid, now: now() }));
  });

  router.get('/v1/apps/:appId/inventory', deps.authenticate, async (req, res) => {
    const appId = knownApp(String(req.params.appId));
    res.setHeader('Cache-Control', 'no-store');
    res.json(await findAppInventory(deps.db, { appId, now: now() }));
  });
  return router;
}
