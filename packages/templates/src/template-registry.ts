import {
  type Database,
  findTemplateRegistry,
  recordTemplateSyncFailure,
  replaceAppTemplates,
  type StoredTemplate,
} from '@minapush/db';
import type { Logger } from '@minapush/logger';
import type { Redis, RedisKeys } from '@minapush/queues';
import type { CentralToken } from '@minapush/tokens';
import type { SubscribeTemplate, WechatClient, WechatErrorCategory } from '@minapush/wechat';
import { type RegistrySnapshot, registrySnapshot } from './registry-snapshot.js';
import { checkSubscribeRequest, type SubscribeRequestToCheck, type TemplateCheck } from './template-check.js';

/** The shortest time between two on-demand syncs of one app, across every process. */
export const DEFAULT_ON_DEMAND_WINDOW_MS = 10_000;

/** What started a sync, for its log line. */
export type TemplateSyncTrigger = 'start' | 'schedule' | 'manual' | 'unknown_template';

/** Why a sync could not read the list: no usable central token, or WeChat's call failed. */
export type TemplateSyncFailureReason = 'no_token' | WechatErrorCategory;

export type TemplateSyncOutcome =
  | { ok: true; appId: string; templates: number; syncedAt: Date }
  | {
      ok: false;
      appId: string;
      reason: TemplateSyncFailureReason;
      message: string;
      errcode?: number | undefined;
    };

export interface TemplateRegistryResources {
  db: Database;
  redis: Redis;
  keys: RedisKeys;
  wechat: Pick<WechatClient, 'listSubscribeTemplates'>;
  /** the central token store: read only, the token-refresher is the one fetcher */
  tokens: { peek(appId: string): Promise<CentralToken | undefined> };
  logger: Logger;
  now?: () => number;
  /** the shortest time between two on-demand syncs of one app (default 10 s) */
  onDemandWindowMs?: number;
  /** each sync's outcome, for metrics */
  onSync?: (outcome: TemplateSyncOutcome) => void;
}

/** What a check did, besides its verdict: whether it synced first because the template was unknown. */
export type RegistryCheck = TemplateCheck & { syncedOnDemand: boolean };

function toStored(template: SubscribeTemplate): StoredTemplate {
  return {
    templateId: template.templateId,
    title: template.title,
    subscribeType: template.subscribeType,
    keys: template.keys,
  };
}

/**
 * The template registry of every app: syncs (at start, on the dispatcher's schedule, on demand)
 * and the check of a subscribe message before it is queued. Concurrent syncs of one app in one
 * process share one call to WeChat.
 */
export function createTemplateRegistry(r: TemplateRegistryResources) {
  const now = r.now ?? Date.now;
  const windowMs = r.onDemandWindowMs ?? DEFAULT_ON_DEMAND_WINDOW_MS;
  const inFlight = new Map<string, Promise<TemplateSyncOutcome>>();

  async function fail(
    appId: string,
    trigger: TemplateSyncTrigger,
    failure: Omit<Extract<TemplateSyncOutcome, { ok: false }>, 'ok' | 'appId'>,
  ): Promise<TemplateSyncOutcome> {
    await recordTemplateSyncFailure(r.db, appId, failure.message, new Date(now()));
    r.logger.warn(
      { appId, trigger, reason: failure.reason, errcode: failure.errcode },
      `the subscribe templates of ${appId} could not be read (${failure.message}): its subscribe messages pass unvalidated until a sync succeeds`,
    );
    return { ok: false, appId, ...failure };
  }

  async function syncNow(appId: string, trigger: TemplateSyncTrigger): Promise<TemplateSyncOutcome> {
    const token = await r.tokens.peek(appId);
    if (!token || token.expiresAt <= now()) {
      return fail(appId, trigger, {
        reason: 'no_token',
        message: 'no usable central access_token yet (the token-refresher fetches it)',
      });
    }
    const result = await r.wechat.listSubscribeTemplates(token.accessToken);
    if (!result.ok) {
      const { error } = result;
      return fail(appId, trigger, {
        reason: error.category,
        message: `${error.endpoint}: ${error.code}${error.errcode === undefined ? '' : ` (errcode ${error.errcode})`}`,
        errcode: error.errcode,
      });
    }
    const syncedAt = new Date(now());
    await replaceAppTemplates(r.db, appId, result.value.map(toStored), syncedAt);
    r.logger.info(
      { appId, trigger, templates: result.value.length },
      `subscribe templates of ${appId} synced`,
    );
    return { ok: true, appId, templates: result.value.length, syncedAt };
  }

  /** Syncs an app's templates now, or joins this process's sync of it in progress. */
  function sync(appId: string, trigger: TemplateSyncTrigger): Promise<TemplateSyncOutcome> {
    const running = inFlight.get(appId);
    if (running) return running;
    const started = syncNow(appId, trigger)
      .then((outcome) => {
        try {
          r.onSync?.(outcome);
        } catch {
          // a metrics hook must not fail a sync
        }
        return outcome;
      })
      .finally(() => inFlight.delete(appId));
    inFlight.set(appId, started);
    return started;
  }

  /**
   * A sync for a send that named an unknown template: joins one in progress, else starts one only
   * if no process started one within the window (`window_taken`: none ran). Without Redis no sync
   * can be rate-limited, so none runs (`no_redis`).
   */
  async function syncOnDemand(appId: string): Promise<TemplateSyncOutcome | 'window_taken' | 'no_redis'> {
    const running = inFlight.get(appId);
    if (running) return running;
    let taken: string | null;
    try {
      taken = await r.redis.set(r.keys.templateSyncWindow(appId), String(now()), 'PX', windowMs, 'NX');
    } catch {
      return 'no_redis';
    }
    if (taken !== 'OK') return 'window_taken';
    return sync(appId, 'unknown_template');
  }

  async function read(appId: string): Promise<RegistrySnapshot> {
    return registrySnapshot(await findTemplateRegistry(r.db, appId));
  }

  return {
    sync,
    read,
    /**
     * Checks a subscribe message against its app's registry. A template the registry has not
     * seen triggers one on-demand sync (rate-limited per app) before the message is refused, so
     * a template added in the console a minute ago is sendable.
     */
    async check(appId: string, request: SubscribeRequestToCheck): Promise<RegistryCheck> {
      const verdict = checkSubscribeRequest(await read(appId), request);
      if (verdict.ok || verdict.reason !== 'unknown_template') return { ...verdict, syncedOnDemand: false };
      const synced = await syncOnDemand(appId);
      if (synced === 'window_taken') return { ...verdict, syncedOnDemand: false };
      // the template may be new, and the list cannot be read again now: the send passes unvalidated
      if (synced === 'no_redis') return { ok: true, validated: false, syncedOnDemand: false };
      return { ...checkSubscribeRequest(await read(appId), request), syncedOnDemand: true };
    },
  };
}

export type TemplateRegistryService = ReturnType<typeof createTemplateRegistry>;
