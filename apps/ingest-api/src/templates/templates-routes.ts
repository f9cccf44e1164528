import type { RegistrySnapshot, TemplateRegistryService } from '@minapush/templates';
import { type RequestHandler, Router } from 'express';
import { ApiError } from '../http/api-error.js';
import { requireServedApp } from '../http/served-app.js';

export interface TemplatesRouteDeps {
  registry: TemplateRegistryService;
  appIds: readonly string[];
  /** API keys only */
  authenticate: RequestHandler;
}

/** The documented answer of GET /v1/apps/:appId/templates. */
export function describeTemplates(snapshot: RegistrySnapshot) {
  const items = [...snapshot.templates.values()]
    .sort((a, b) => a.templateId.localeCompare(b.templateId))
    .map((template) => {
      const enumValues = Object.fromEntries(
        template.keys.flatMap((key) => (key.enumValues ? [[key.name, key.enumValues]] : [])),
      );
      return {
        templateId: template.templateId,
        title: template.title,
        kind: 'subscribe' as const,
        keys: template.keys.map((key) => key.name),
        subscribeType: template.subscribeType,
        keyKinds: Object.fromEntries(template.keys.map((key) => [key.name, key.kind])),
        ...(Object.keys(enumValues).length === 0 ? {} : { enumValues }),
      };
    });
  return {
    items,
    /** synced | never_synced | unreadable: whether sends are checked against `items` */
    registry: snapshot.state,
    ...(snapshot.syncedAt === undefined ? {} : { syncedAt: snapshot.syncedAt.toISOString() }),
  };
}

/**
 * GET /v1/apps/:appId/templates lists the app's subscribe templates as the last successful sync
 * stored them; POST /v1/apps/:appId/templates/sync reads them from WeChat now.
 */
export function createTemplatesRouter(deps: TemplatesRouteDeps): Router {
  const router = Router();
  const knownApp = (appId: string) => requireServedApp(deps.appIds, appId);

  router.get('/v1/apps/:appId/templates', deps.authenticate, async (req, res) => {
    const appId = knownApp(String(req.params.appId));
    res.setHeader('Cache-Control', 'no-store');
    res.json(describeTemplates(await deps.registry.read(appId)));
  });

  router.post('/v1/apps/:appId/templates/sync', deps.authenticate, async (req, res) => {
    const appId = knownApp(String(req.params.appId));
    const outcome = await deps.registry.sync(appId, 'manual');
    if (!outcome.ok) {
      throw new ApiError(
        503,
        'template_list_unreadable',
        `WeChat's template list of ${appId} could not be read (${outcome.message}); the templates stored before are kept, and subscribe messages pass unvalidated until a sync succeeds. Retry later.`,
        { reason: outcome.reason, ...(outcome.errcode === undefined ? {} : { errcode: outcome.errcode }) },
      );
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json({ ...describeTemplates(await deps.registry.read(appId)), synced: outcome.templates });
  });
  return router;
}
