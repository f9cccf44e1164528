import type { TokenEvent } from './token-service.js';

interface EventLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** Logs what the token service did, in words an operator can act on; no token, no secret. */
export function logTokenEvent(logger: EventLogger, event: TokenEvent): void {
  switch (event.type) {
    case 'fetched':
      logger.info(
        {
          appId: event.appId,
          mode: event.mode,
          reason: event.reason,
          expiresAt: new Date(event.expiresAt).toISOString(),
        },
        'access_token fetched',
      );
      return;
    case 'restored':
      logger.info({ appId: event.appId }, 'access_token restored from Postgres after Redis lost it');
      return;
    case 'fetch_failed':
      if (event.misconfiguration) {
        logger.error(
          { appId: event.appId, errcode: event.errcode, code: event.code },
          `WeChat refuses the credentials of app ${event.appId} (errcode ${event.errcode ?? 'none'}, ${event.code}): fix its secret or IP whitelist; automatic refreshes stop until then`,
        );
      } else {
        logger.warn(
          { appId: event.appId, errcode: event.errcode, code: event.code },
          'access_token fetch failed',
        );
      }
      return;
    case 'budget_exhausted':
      logger.error(
        { appId: event.appId, used: event.used, kind: event.kind },
        `daily access_token fetch budget of app ${event.appId} reached: ${event.kind} fetches refused until 00:00 China time`,
      );
      return;
    case 'history_failed':
      logger.warn(
        { appId: event.appId, err: event.error },
        'could not record the access_token fetch in Postgres',
      );
      return;
  }
}
