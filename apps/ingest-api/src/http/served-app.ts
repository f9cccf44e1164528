import { ApiError } from './api-error.js';

/** An appId named in a path, if this server serves it (WECHAT_APPS); else 404 listing the ones it does. */
export function requireServedApp(appIds: readonly string[], appId: string): string {
  if (!appIds.includes(appId)) {
    throw new ApiError(
      404,
      'unknown_app',
      `${appId} is not one of this server's apps (WECHAT_APPS): ${appIds.join(', ')}.`,
    );
  }
  return appId;
}
