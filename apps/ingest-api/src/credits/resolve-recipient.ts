import type { WechatAppConfig } from '@minapush/config';
import { ApiError } from '../http/api-error.js';
import type { Caller } from '../http/authenticate.js';

export interface Recipient {
  app: WechatAppConfig;
  openid: string;
}

/**
 * The user a credit request speaks for. A session speaks only for its own user and app (the
 * body cannot redirect it); an API key must name the openid and may name a configured app.
 */
export function resolveRecipient(
  caller: Caller,
  requested: { openid?: string | undefined; appId?: string | undefined },
  apps: readonly WechatAppConfig[],
): Recipient {
  if (caller.type === 'session') {
    if (requested.openid !== undefined && requested.openid !== caller.openid) {
      throw new ApiError(
        403,
        'openid_not_allowed',
        "A session can only hand over its own user's credits: omit `openid` (it comes from the session).",
      );
    }
    if (requested.appId !== undefined && requested.appId !== caller.appId) {
      throw new ApiError(
        403,
        'app_not_allowed',
        'A session belongs to one app: omit `appId` (it comes from the session).',
      );
    }
    const app = apps.find((candidate) => candidate.appId === caller.appId);
    if (!app) {
      throw new ApiError(
        401,
        'invalid_credentials',
        'The session belongs to an app this server no longer serves; log in again.',
      );
    }
    return { app, openid: caller.openid };
  }
  if (!requested.openid) {
    throw new ApiError(422, 'openid_required', 'With an API key, name the user: add `openid` to the body.');
  }
  return { app: findApp(apps, requested.appId), openid: requested.openid };
}

/** The named app, or the default (first configured) one. */
export function findApp(apps: readonly WechatAppConfig[], appId: string | undefined): WechatAppConfig {
  const app = appId === undefined ? apps[0] : apps.find((candidate) => candidate.appId === appId);
  if (!app) {
    throw new ApiError(
      422,
      'unknown_app',
      `Unknown appId; this server serves ${apps.map((a) => a.appId).join(', ')}.`,
    );
  }
  return app;
}
