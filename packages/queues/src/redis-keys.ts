/**
 * Every Redis key minapush writes besides BullMQ's own (BullMQ derives those from the queue names
 * below and the same prefix), built in this one place so that no two modules can collide or drift
 * apart, and so that an operator can find what a key is for. `prefix` is the deployment's
 * QUEUE_PREFIX; tests use their own.
 */
export function redisKeys(prefix: string) {
  return {
    // the central access_token (packages/tokens)
    /** the current token of an app, JSON */
    token: (appId: string) => `${prefix}:token:${appId}`,
    /** the lock one fetcher holds while it fetches an app's token */
    tokenLock: (appId: string) => `${prefix}:token-lock:${appId}`,
    /** an app whose credentials WeChat refused, until when it rests */
    tokenHealth: (appId: string) => `${prefix}:token-health:${appId}`,
    /** token fetches of an app on one China day (`2026-12-01`): WeChat's daily budget */
    tokenFetches: (appId: string, chinaDay: string) => `${prefix}:token-fetches:${appId}:${chinaDay}`,
    /** the answer of a fetch that just failed, for the callers that waited on it */
    tokenFetchFailed: (appId: string) => `${prefix}:token-fetch-failed:${appId}`,

    // credit intake (apps/ingest-api)
    /** a formId handed over recently: its duplicates are answered without Postgres */
    seenFormId: (appId: string, formId: string) => `${prefix}:seen-form-id:${appId}:${formId}`,
    /**
     * rate-limiter-flexible's key prefix (its key is `<prefix>:<client address>`): logins
     * (POST /v1/sessions) from one address in the current minute
     */
    loginRateWindow: `${prefix}:login-rate`,

    // sending (apps/dispatcher)
    /**
     * rate-limiter-flexible's key prefix (its key is `<prefix>:<appId>@<second>`): messages an app
     * sent in one second of the clock
     */
    sendRateWindow: `${prefix}:send-rate`,
    /** an app paused by WeChat's quota (45009, 45011) until the key expires */
    sendPause: (appId: string) => `${prefix}:send-pause:${appId}`,
    /** an app slowed down by WeChat's 45011, and since when (it recovers over time) */
    sendRateSlowdown: (appId: string) => `${prefix}:send-slowdown:${appId}`,
    /** set while a single message of the app waits for the rate budget: the bulk lane yields */
    transactionalWaiting: (appId: string) => `${prefix}:send-transactional-waiting:${appId}`,
    /**
     * held while a call to WeChat for this user is in flight, by the run making it (its value):
     * WeChat answers 43108 to a second send to one user before the first has finished
     */
    sendingToUser: (appId: string, openid: string) => `${prefix}:send-user:${appId}:${openid}`,
    /** consecutive template-level failures of a broadcast (pauses it at 3) */
    broadcastTemplateFailures: (broadcastId: string) =>
      `${prefix}:broadcast-template-failures:${broadcastId}`,

    // WeChat's quotas (apps/token-refresher reads them, apps/ingest-api shows them)
    /**
     * the last reading of an app's daily quota of one WeChat API (`subscribe_send`, …), JSON
     * `{dailyLimit, used, remain, readAt}`
     */
    wechatQuota: (appId: string, api: string) => `${prefix}:wechat-quota:${appId}:${api}`,

    // recovery (apps/dispatcher)
    /** held by the one reconciler run in progress, across every dispatcher process */
    reconcileLock: `${prefix}:reconcile-lock`,
    /** where each keyset walk of the reconciler goes on from at its next run */
    reconcileCursor: (walk: string) => `${prefix}:reconcile-cursor:${walk}`,

    // housekeeping (packages/housekeeping: the dispatcher's schedule and POST /v1/housekeeping/run)
    /** held by the one housekeeping run in progress, across every process; its value is the run's id */
    housekeepingLock: `${prefix}:housekeeping-lock`,
    /** the report of the last run, JSON: a caller that waited for a run reads what it removed */
    housekeepingLastRun: `${prefix}:housekeeping-last-run`,

    // the template registry (packages/templates)
    /**
     * set for a window after an on-demand sync of an app's templates started: a send with an
     * unknown template id syncs at most once per window, across every process
     */
    templateSyncWindow: (appId: string) => `${prefix}:template-sync-window:${appId}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
