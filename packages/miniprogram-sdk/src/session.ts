import { type ApiOutcome, classifyReply } from './api-replies.js';
import { LoginFailedError } from './errors.js';
import type { KeyValueStore } from './storage.js';
import { postJson, requestLoginCode, type WxRuntime } from './wx-runtime.js';

/** What POST /v1/sessions answers; kept in wx storage so that a restart does not log in again. */
export interface Session {
  token: string;
  openid: string;
  /** ISO-8601 */
  expiresAt: string;
}

export type LoginOutcome =
  | { ok: true; openid: string; expiresAt: string }
  | { ok: false; error: LoginFailedError };

/** An API outcome, or the login that had to come first failed. */
export type AuthorizedOutcome = ApiOutcome | { kind: 'login_failed'; error: LoginFailedError };

export interface SessionKeeperDeps {
  runtime: WxRuntime;
  /** base URL of the minapush API, without a trailing slash */
  baseUrl: string;
  appId: string | undefined;
  store: KeyValueStore;
  storageKey: string;
  now: () => number;
  timeoutMs: number;
}

/** A session this close to its expiry is renewed before use rather than sent and refused. */
const RENEW_BEFORE_EXPIRY_MS = 60_000;

function isSession(value: unknown): value is Session {
  if (!value || typeof value !== 'object') return false;
  const { token, openid, expiresAt } = value as Partial<Session>;
  return typeof token === 'string' && typeof openid === 'string' && typeof expiresAt === 'string';
}

/**
 * Holds the mini-program user's session with the minapush API: logs in with a wx.login code
 * when there is none (or it is about to expire), and once more when the API answers 401.
 */
export class SessionKeeper {
  private session: Session | undefined;
  private loggingIn: Promise<LoginOutcome> | undefined;

  constructor(private readonly deps: SessionKeeperDeps) {
    const stored = deps.store.read(deps.storageKey);
    this.session = isSession(stored) ? stored : undefined;
  }

  get current(): Session | undefined {
    return this.session;
  }

  /** The stored session while it is valid; otherwise (or when forced) a fresh one. */
  login(force = false): Promise<LoginOutcome> {
    const session = this.session;
    if (!force && session && this.isFresh(session)) {
      return Promise.resolve({ ok: true, openid: session.openid, expiresAt: session.expiresAt });
    }
    // Concurrent callers share one wx.login: each code is good for one exchange only.
    if (!this.loggingIn) {
      const done = () => {
        this.loggingIn = undefined;
      };
      this.loggingIn = this.logInNow();
      this.loggingIn.then(done, done);
    }
    return this.loggingIn;
  }

  /** POSTs with the session; on 401 logs in again and retries once. */
  async post(path: string, body: Record<string, unknown>): Promise<AuthorizedOutcome> {
    const first = await this.login();
    if (!first.ok) return { kind: 'login_failed', error: first.error };
    const usedToken = this.session!.token;
    const outcome = await this.send(path, body, usedToken);
    if (outcome.kind !== 'unauthorized') return outcome;

    this.forget(usedToken);
    const renewed = await this.login();
    if (!renewed.ok) return { kind: 'login_failed', error: renewed.error };
    const again = await this.send(path, body, this.session!.token);
    // A fresh session refused as well is the server's trouble (say, a rotated secret): try later.
    return again.kind === 'unauthorized' ? { kind: 'retry', error: again.error, retryAfterMs: 0 } : again;
  }

  private send(path: string, body: Record<string, unknown>, token: string): Promise<ApiOutcome> {
    const { runtime, baseUrl, timeoutMs } = this.deps;
    return postJson(runtime, baseUrl + path, body, { token, timeoutMs }).then((reply) =>
      classifyReply(reply, path),
    );
  }

  private isFresh(session: Session): boolean {
    const expiresAt = Date.parse(session.expiresAt);
    return !Number.isNaN(expiresAt) && expiresAt - RENEW_BEFORE_EXPIRY_MS > this.deps.now();
  }

  /** Drops the session if it is still the one that was refused (a concurrent call may have renewed it). */
  private forget(token: string): void {
    if (!this.session || this.session.token !== token) return;
    this.session = undefined;
    this.deps.store.remove(this.deps.storageKey);
  }

  private async logInNow(): Promise<LoginOutcome> {
    const { runtime, baseUrl, appId, timeoutMs } = this.deps;
    const code = await requestLoginCode(runtime, timeoutMs);
    if (!code.ok) return { ok: false, error: new LoginFailedError(`wx.login failed (${code.errMsg})`) };

    const body: Record<string, unknown> = { code: code.code };
    if (appId) body.appId = appId;
    const reply = await postJson(runtime, `${baseUrl}/v1/sessions`, body, { timeoutMs });
    const outcome = classifyReply(reply, '/v1/sessions');
    if (outcome.kind !== 'ok') {
      return { ok: false, error: new LoginFailedError('POST /v1/sessions failed', outcome.error) };
    }
    const session = outcome.body;
    if (!isSession(session)) {
      return {
        ok: false,
        error: new LoginFailedError('POST /v1/sessions answered without token, openid and expiresAt'),
      };
    }
    this.session = { token: session.token, openid: session.openid, expiresAt: session.expiresAt };
    this.deps.store.write(this.deps.storageKey, this.session);
    return { ok: true, openid: session.openid, expiresAt: session.expiresAt };
  }
}
