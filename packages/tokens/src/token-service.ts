import type { WechatAppConfig } from '@minapush/config';
import { type Database, findLatestTokenFetch, recordTokenFetch } from '@minapush/db';
import { type Redis, redisKeys } from '@minapush/queues';
import { RequestNotSentError, type WechatClient } from '@minapush/wechat';
import { createAppHealth } from './app-health.js';
import { nextChinaMidnight } from './china-day.js';
import { type BudgetPolicy, createFetchBudget, type FetchKind } from './fetch-budget.js';
import { createRefreshLock } from './refresh-lock.js';
import { hashToken, sealToken, unsealToken } from './token-seal.js';
import { type CentralToken, createTokenStore } from './token-store.js';

const MINUTE = 60_000;

/** WeChat's documented daily fetch limits per token mode. */
export const WECHAT_DAILY_TOKEN_LIMITS = { classic: 2_000, stable: 500_000 } as const;

export type TokenFailureReason =
  | 'unknown_app'
  | 'misconfigured'
  | 'budget_exhausted'
  | 'unavailable'
  | 'lock_timeout';

export type TokenOutcome =
  | { ok: true; token: CentralToken; fetched: boolean }
  | { ok: false; reason: TokenFailureReason; message: string; errcode?: number | undefined; retryAt?: Date };

/** What happened, for the caller's logs and metrics; never carries a token or a secret. */
export type TokenEvent =
  | { type: 'fetched'; appId: string; mode: CentralToken['mode']; reason: string; expiresAt: number }
  | { type: 'restored'; appId: string }
  | {
      type: 'fetch_failed';
      appId: string;
      code: string;
      errcode: number | undefined;
      misconfiguration: boolean;
    }
  | { type: 'budget_exhausted'; appId: string; used: number; kind: FetchKind }
  | { type: 'history_failed'; appId: string; error: unknown };

export interface TokenServiceOptions {
  redis: Redis;
  wechat: Pick<WechatClient, 'fetchClassicToken' | 'fetchStableToken'>;
  apps: readonly WechatAppConfig[];
  /** namespaces the Redis keys, like the BullMQ prefix */
  keyPrefix: string;
  /**
   * records each fetch (the token's hash, and the token sealed under the app's secret), and
   * refills Redis from the last one when Redis lost it
   */
  db?: Database;
  now?: () => number;
  /** how long a fetcher holds the per-app lock at most (longer than a WeChat call can take) */
  leaseMs?: number;
  /** how long a caller waits for another process's fetch before giving up */
  waitTimeoutMs?: number;
  /** refresh when less than this remains; stable tokens only rotate in their last 5 minutes */
  refreshAheadMs?: { classic: number; stable: number };
  /** the share of WeChat's daily limit that scheduled fetches may use */
  automaticShare?: number;
  /** how long a misconfigured app rests before its credentials are tried again */
  misconfiguredRetryMs?: number;
  /**
   * how long this process may reuse the token it last read or fetched without asking Redis again
   * (default 0: every call reads Redis). A sender that uses it after a refresh elsewhere gets a
   * stale-token answer and reports it, which is the refresh path anyway.
   */
  localCacheMs?: number;
  onEvent?: (event: TokenEvent) => void;
}

/**
 * The central access_token of each app, shared by every process through Redis. However many
 * processes ask at once, one fetch happens per refresh: a per-app lock with a lease, a re-check
 * once it is held, and, for stale-token reports, a compare-and-swap on the token that failed.
 */
export function createTokenService(options: TokenServiceOptions) {
  const now = options.now ?? Date.now;
  const leaseMs = options.leaseMs ?? 15_000;
  const waitTimeoutMs = options.waitTimeoutMs ?? leaseMs + 5_000;
  const refreshAheadMs = options.refreshAheadMs ?? { classic: 10 * MINUTE, stable: 5 * MINUTE };
  const automaticShare = options.automaticShare ?? 0.8;
  const misconfiguredRetryMs = options.misconfiguredRetryMs ?? 15 * MINUTE;
  const emit = options.onEvent ?? (() => undefined);

  const keys = redisKeys(options.keyPrefix);
  const store = createTokenStore(options.redis, keys);
  const lock = createRefreshLock(options.redis, keys, leaseMs);
  const budget = createFetchBudget(options.redis, keys);
  const health = createAppHealth(options.redis, keys);
  const failureKey = keys.tokenFetchFailed;
  // Within one process, callers that need a refresh of the same app queue here, so 200 requests
  // make one attempt on the Redis lock, and the rest find the new token when their turn comes.
  const inProcess = new Map<string, Promise<unknown>>();

  function findApp(appId: string) {
    return options.apps.find((app) => app.appId === appId);
  }

  function policyOf(app: WechatAppConfig): BudgetPolicy {
    return { dailyLimit: app.tokenDailyLimit ?? WECHAT_DAILY_TOKEN_LIMITS[app.tokenMode], automaticShare };
  }

  const usable = (token: CentralToken) => token.expiresAt - now() > 30_000;

  async function restoreFromHistory(app: WechatAppConfig): Promise<CentralToken | undefined> {
    if (!options.db) return undefined;
    const last = await findLatestTokenFetch(options.db, app.appId, app.tokenMode).catch(() => undefined);
    if (!last?.tokenSealed || last.expiresAt.getTime() - now() <= MINUTE) return undefined;
    // A fetch recorded under another secret does not open: a new fetch takes its place.
    const accessToken = unsealToken(last.tokenSealed, app);
    if (accessToken === undefined) return undefined;
    const token: CentralToken = {
      accessToken,
      expiresAt: last.expiresAt.getTime(),
      fetchedAt: last.fetchedAt.getTime(),
      mode: app.tokenMode,
    };
    await store.write(app.appId, token, now());
    emit({ type: 'restored', appId: app.appId });
    return token;
  }

  async function fetchAndStore(app: WechatAppConfig, kind: FetchKind, reason: string): Promise<TokenOutcome> {
    const appId = app.appId;
    const used = await budget.used(appId, now());
    if (!budget.allows(used, kind, policyOf(app))) {
      emit({ type: 'budget_exhausted', appId, used, kind });
      return {
        ok: false,
        reason: 'budget_exhausted',
        message: `the daily access_token fetch budget of ${appId} is used up (${used} fetches today)`,
        retryAt: nextChinaMidnight(now()),
      };
    }
    const credentials = { appId, secret: app.secret };
    const result =
      app.tokenMode === 'classic'
        ? await options.wechat.fetchClassicToken(credentials)
        : await options.wechat.fetchStableToken({ ...credentials, forceRefresh: false });
    // WeChat counts every call that reached it, failed or not.
    if (result.ok || !(result.error instanceof RequestNotSentError)) await budget.count(appId, now());
    if (!result.ok) {
      const { error } = result;
      emit({
        type: 'fetch_failed',
        appId,
        code: error.code,
        errcode: error.errcode,
        misconfiguration: error.misconfiguration,
      });
      if (error.misconfiguration) {
        const retryAt = now() + misconfiguredRetryMs;
        await health.markMisconfigured(appId, {
          healthy: false,
          reason: 'misconfigured',
          errcode: error.errcode,
          code: error.code,
          since: now(),
          retryAt,
        });
        return misconfigured(appId, error.errcode, retryAt);
      }
      const failure: TokenOutcome = {
        ok: false,
        reason: error.category === 'quota' ? 'budget_exhausted' : 'unavailable',
        message: `WeChat did not issue an access_token for ${appId} (${error.code})`,
        errcode: error.errcode,
      };
      // Callers waiting on this attempt take its answer instead of each trying again at once.
      await options.redis.set(failureKey(appId), JSON.stringify({ at: now(), failure }), 'PX', 2_000);
      return failure;
    }
    const token: CentralToken = {
      accessToken: result.value.accessToken,
      expiresAt: now() + result.value.expiresInSeconds * 1000,
      fetchedAt: now(),
      mode: app.tokenMode,
    };
    await store.write(appId, token, now());
    await health.markHealthy(appId);
    if (options.db) {
      await recordTokenFetch(options.db, {
        appId,
        mode: app.tokenMode,
        tokenHash: hashToken(token.accessToken),
        tokenSealed: sealToken(token.accessToken, app),
        expiresAt: new Date(token.expiresAt),
        fetchedAt: new Date(token.fetchedAt),
        reason,
      }).catch((error: unknown) => emit({ type: 'history_failed', appId, error }));
    }
    emit({ type: 'fetched', appId, mode: app.tokenMode, reason, expiresAt: token.expiresAt });
    return { ok: true, token, fetched: true };
  }

  function misconfigured(appId: string, errcode: number | undefined, retryAt: number): TokenOutcome {
    return {
      ok: false,
      reason: 'misconfigured',
      message: `WeChat refuses the credentials of ${appId}${errcode ? ` (errcode ${errcode})` : ''}; fix WECHAT_APPS or the IP whitelist`,
      errcode,
      retryAt: new Date(retryAt),
    };
  }

  async function recentFailure(appId: string, since: number): Promise<TokenOutcome | undefined> {
    const raw = await options.redis.get(failureKey(appId));
    if (!raw) return undefined;
    const recorded = JSON.parse(raw) as { at: number; failure: TokenOutcome };
    return recorded.at >= since ? recorded.failure : undefined;
  }

  /** Waits until the token changes or nobody holds the lock any more. */
  async function waitForOtherFetcher(
    appId: string,
    seen: string | undefined,
    deadline: number,
  ): Promise<void> {
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const current = await store.read(appId);
      if (current?.accessToken !== seen) return;
      if (!(await lock.isHeld(appId))) return;
    }
  }

  async function obtainUnderLock(
    app: WechatAppConfig,
    needsRefresh: (token: CentralToken) => boolean,
    kind: FetchKind,
    reason: string,
    /** when the caller asked: failures from then on answer it too */
    started: number,
  ): Promise<TokenOutcome> {
    const appId = app.appId;
    const deadline = Date.now() + waitTimeoutMs;
    for (;;) {
      let current = await store.read(appId);
      if (current && !needsRefresh(current)) return { ok: true, token: current, fetched: false };
      const state = await health.read(appId);
      if (!state.healthy && now() < state.retryAt) return misconfigured(appId, state.errcode, state.retryAt);
      // A fetch that failed after this caller arrived answers it too: without this, every caller
      // queued behind a failing fetch would try again in turn.
      const failure = await recentFailure(appId, started);
      if (failure) return failure;
      const owner = await lock.tryAcquire(appId);
      if (owner) {
        try {
          // Another process may have refreshed between our read and taking the lock.
          current = (await store.read(appId)) ?? (await restoreFromHistory(app));
          if (current && !needsRefresh(current)) return { ok: true, token: current, fetched: false };
          return await fetchAndStore(app, kind, reason);
        } finally {
          await lock.release(appId, owner);
        }
      }
      if (Date.now() >= deadline) {
        return {
          ok: false,
          reason: 'lock_timeout',
          message: `another process is still fetching the token of ${appId}`,
        };
      }
      await waitForOtherFetcher(appId, current?.accessToken, deadline);
    }
  }

  async function obtain(
    appId: string,
    needsRefresh: (token: CentralToken) => boolean,
    kind: FetchKind,
    reason: string,
  ): Promise<TokenOutcome> {
    const app = findApp(appId);
    if (!app)
      return { ok: false, reason: 'unknown_app', message: `${appId} is not one of the configured apps` };
    const current = await store.read(appId);
    if (current && !needsRefresh(current)) return { ok: true, token: current, fetched: false };
    const started = now();
    const previous = inProcess.get(appId) ?? Promise.resolve();
    const mine = previous
      .catch(() => undefined)
      .then(() => obtainUnderLock(app, needsRefresh, kind, reason, started));
    inProcess.set(appId, mine);
    try {
      return await mine;
    } finally {
      if (inProcess.get(appId) === mine) inProcess.delete(appId);
    }
  }

  const localCacheMs = options.localCacheMs ?? 0;
  const recent = new Map<string, { token: CentralToken; readAt: number }>();
  const remember = (appId: string, outcome: TokenOutcome): TokenOutcome => {
    if (outcome.ok && localCacheMs > 0) recent.set(appId, { token: outcome.token, readAt: now() });
    return outcome;
  };

  return {
    /** The current token, fetched (once, whoever asks) only when there is none that is usable. */
    async getToken(appId: string): Promise<TokenOutcome> {
      const hit = recent.get(appId);
      if (hit && now() - hit.readAt < localCacheMs && usable(hit.token)) {
        return { ok: true, token: hit.token, fetched: false };
      }
      return remember(appId, await obtain(appId, (token) => !usable(token), 'passive', 'missing'));
    },

    /**
     * For a caller that WeChat told `staleToken` is invalid (40001/40014/42001): a new token only
     * if `staleToken` is still the current one; otherwise the current one, with no fetch.
     */
    refreshTokenIfStale(appId: string, staleToken: string): Promise<TokenOutcome> {
      // A stable fetch may answer the very same token, so the token's value alone cannot tell
      // whether it was refreshed since the report: its fetch time can. The caller held the token
      // before reporting it, so one fetched in the same millisecond still counts as the stale one.
      const reportedAt = now();
      recent.delete(appId);
      return obtain(
        appId,
        (token) => (token.accessToken === staleToken && token.fetchedAt <= reportedAt) || !usable(token),
        'passive',
        'stale',
      ).then((outcome) => remember(appId, outcome));
    },

    /** The scheduled refresh: fetch when the token is missing or close to expiry. */
    refreshTokenIfDue(appId: string): Promise<TokenOutcome> {
      const app = findApp(appId);
      const ahead = app ? refreshAheadMs[app.tokenMode] : 0;
      return obtain(appId, (token) => token.expiresAt - now() <= ahead, 'automatic', 'scheduled');
    },

    /** the stored token as it is, without fetching (for metrics) */
    peek: (appId: string) => store.read(appId),
    readHealth: (appId: string) => health.read(appId),
    fetchesToday: (appId: string) => budget.used(appId, now()),
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
