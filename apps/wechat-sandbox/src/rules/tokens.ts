import { MINUTE_MS, SECOND_MS } from '../clock.js';
import type { IssuedToken, SandboxApp, TokenMode, TokenSlot } from '../state/app-state.js';
import { fail, succeed, WechatErrcode, type WechatOutcome } from '../wechat-errors.js';

export const TOKEN_LIFETIME_MS = 7200 * SECOND_MS;
/** After a classic fetch, the token it replaced keeps working this long. */
export const CLASSIC_GRACE_MS = 5 * MINUTE_MS;
/** The stable endpoint rotates its token once less than this much of it remains. */
export const STABLE_ROTATION_WINDOW_MS = 5 * MINUTE_MS;
export const FORCE_REFRESH_DAILY_LIMIT = 20;
export const FORCE_REFRESH_SPACING_MS = 30 * SECOND_MS;
/** The stable endpoint's daily budget; classic fetches have the app's own `dailyTokenLimit`. */
export const STABLE_DAILY_LIMIT = 500_000;

export interface TokenAnswer {
  access_token: string;
  expires_in: number;
}

export interface Credentials {
  grantType: string | undefined;
  secret: string | undefined;
}

/** The credential checks both token endpoints share. */
export function checkCredentials(app: SandboxApp, credentials: Credentials): WechatOutcome<true> {
  if (credentials.grantType !== 'client_credential') return fail(WechatErrcode.invalidGrantType);
  if (credentials.secret === undefined) return fail(WechatErrcode.appsecretMissing);
  if (credentials.secret !== app.settings.secret) return fail(WechatErrcode.invalidAppsecret);
  return succeed(true);
}

function issue(app: SandboxApp, now: number): IssuedToken {
  return { token: app.mintToken(), issuedAt: now, expiresAt: now + TOKEN_LIFETIME_MS };
}

function answer(token: IssuedToken, now: number): TokenAnswer {
  return { access_token: token.token, expires_in: Math.floor((token.expiresAt - now) / SECOND_MS) };
}

function logFetch(
  app: SandboxApp,
  mode: TokenMode,
  forceRefresh: boolean,
  issued: boolean,
  now: number,
): void {
  app.tokenFetchLog.push({ mode, forceRefresh, issued, at: new Date(now).toISOString() });
}

/** Records a refused call, so that a caller retrying in a loop shows up in the fetch log. */
function refused<T>(app: SandboxApp, mode: TokenMode, forceRefresh: boolean, outcome: WechatOutcome<T>) {
  if (!outcome.ok) {
    app.tokenFetchLog.push({
      mode,
      forceRefresh,
      issued: false,
      at: new Date(app.now()).toISOString(),
      errcode: outcome.failure.errcode,
    });
  }
  return outcome;
}

/**
 * `GET /cgi-bin/token`: a new token on every call; the one it replaces stays accepted for five
 * minutes and the one before that dies at once.
 */
export function fetchClassicToken(app: SandboxApp, credentials: Credentials): WechatOutcome<TokenAnswer> {
  return refused(app, 'classic', false, classicFetch(app, credentials));
}

function classicFetch(app: SandboxApp, credentials: Credentials): WechatOutcome<TokenAnswer> {
  const checked = checkCredentials(app, credentials);
  if (!checked.ok) return checked;
  const now = app.now();
  const fetches = app.counters.classicFetches;
  if (fetches.today(now) >= app.settings.dailyTokenLimit) return fail(WechatErrcode.dailyQuotaReached);

  const slot = app.classic;
  if (slot.current) slot.previous = { ...slot.current, acceptedUntil: now + CLASSIC_GRACE_MS };
  slot.current = issue(app, now);
  fetches.add(now);
  logFetch(app, 'classic', false, true, now);
  return succeed(answer(slot.current, now));
}

/**
 * `POST /cgi-bin/stable_token`: the same token while more than five minutes of it remain. A normal
 * rotation leaves the old token valid to its expiry (so concurrent callers stay safe); a forced
 * refresh kills it at once.
 */
export function fetchStableToken(
  app: SandboxApp,
  credentials: Credentials,
  forceRefresh: boolean,
): WechatOutcome<TokenAnswer> {
  return refused(app, 'stable', forceRefresh, stableFetch(app, credentials, forceRefresh));
}

function stableFetch(
  app: SandboxApp,
  credentials: Credentials,
  forceRefresh: boolean,
): WechatOutcome<TokenAnswer> {
  const checked = checkCredentials(app, credentials);
  if (!checked.ok) return checked;
  const now = app.now();
  const { stableFetches, stableForced } = app.counters;
  if (stableFetches.today(now) >= STABLE_DAILY_LIMIT) return fail(WechatErrcode.dailyQuotaReached);
  const slot = app.stable;

  if (forceRefresh) {
    const tooSoon =
      app.lastForcedRefreshAt !== undefined && now - app.lastForcedRefreshAt < FORCE_REFRESH_SPACING_MS;
    if (tooSoon || stableForced.today(now) >= FORCE_REFRESH_DAILY_LIMIT) {
      return fail(WechatErrcode.minuteQuotaReached);
    }
    slot.previous = undefined;
    slot.current = issue(app, now);
    app.lastForcedRefreshAt = now;
    stableForced.add(now);
    stableFetches.add(now);
    logFetch(app, 'stable', true, true, now);
    return succeed(answer(slot.current, now));
  }

  const current = slot.current;
  if (current && current.expiresAt - now > STABLE_ROTATION_WINDOW_MS) {
    stableFetches.add(now);
    logFetch(app, 'stable', false, false, now);
    return succeed(answer(current, now));
  }
  // The rotated token simply runs out: accepted to its expiry, then 42001 like any expired token.
  if (current) slot.previous = { ...current, acceptedUntil: Number.POSITIVE_INFINITY };
  slot.current = issue(app, now);
  stableFetches.add(now);
  logFetch(app, 'stable', false, true, now);
  return succeed(answer(slot.current, now));
}

function checkAgainstSlot(slot: TokenSlot, token: string, now: number): WechatOutcome<true> | undefined {
  const candidate =
    slot.current?.token === token
      ? slot.current
      : slot.previous?.token === token && now < slot.previous.acceptedUntil
        ? slot.previous
        : undefined;
  if (!candidate) return undefined;
  return now < candidate.expiresAt ? succeed(true) : fail(WechatErrcode.accessTokenExpired);
}

/**
 * Whether a message call may use `token`: classic and stable tokens are independent and both are
 * accepted. 42001 once a still-current token outlived 7200 s; 40001 for a replaced or unknown one.
 */
export function checkAccessToken(app: SandboxApp, token: string): WechatOutcome<true> {
  const now = app.now();
  return (
    checkAgainstSlot(app.classic, token, now) ??
    checkAgainstSlot(app.stable, token, now) ??
    fail(WechatErrcode.invalidCredential)
  );
}
