import { randomInt } from 'node:crypto';
import { SandboxAppExistsError, SandboxAppNotFoundError } from '../control-errors.js';
import { newAccessToken, newAppId, newAppSecret } from '../ids.js';
import { type AppSettings, DEFAULT_DAILY_TOKEN_LIMIT, SandboxApp, type TemplateKind } from './app-state.js';

export interface NewAppInput {
  appId?: string;
  secret?: string;
  pages?: string[];
  templates?: { id: string; kind: TemplateKind }[];
  dailyTokenLimit?: number;
  dailySendLimit?: number;
  perMinuteLimit?: number;
  sensitiveWords?: string[];
}

export interface SandboxStateOptions {
  now: () => number;
  random: () => number;
}

/** The sandbox's whole memory: its apps and which app issued each access_token. */
export class SandboxState {
  private readonly apps = new Map<string, SandboxApp>();
  private readonly tokenOwners = new Map<string, SandboxApp>();
  private lastMsgid: number;
  readonly random: () => number;
  private readonly baseNow: () => number;

  constructor(options: SandboxStateOptions) {
    this.baseNow = options.now;
    this.random = options.random;
    // WeChat msgids are large integers; start high so clients cannot get away with small ints.
    this.lastMsgid = 2_000_000_000_000 + randomInt(1_000_000_000);
  }

  createApp(input: NewAppInput = {}): SandboxApp {
    const appId = input.appId ?? newAppId();
    if (this.apps.has(appId)) throw new SandboxAppExistsError(appId);
    const settings: AppSettings = {
      appId,
      secret: input.secret ?? newAppSecret(),
      pages: input.pages,
      dailyTokenLimit: input.dailyTokenLimit ?? DEFAULT_DAILY_TOKEN_LIMIT,
      dailySendLimit: input.dailySendLimit,
      perMinuteLimit: input.perMinuteLimit,
      sensitiveWords: input.sensitiveWords,
    };
    const app = new SandboxApp(settings, {
      baseNow: this.baseNow,
      mintToken: (owner) => {
        const token = newAccessToken();
        this.tokenOwners.set(token, owner);
        return token;
      },
    });
    for (const template of input.templates ?? []) app.registerTemplate(template.id, template.kind);
    this.apps.set(appId, app);
    return app;
  }

  findApp(appId: string): SandboxApp | undefined {
    return this.apps.get(appId);
  }

  /** The app, or a SandboxAppNotFoundError for the control API to answer with 404. */
  requireApp(appId: string): SandboxApp {
    const app = this.apps.get(appId);
    if (!app) throw new SandboxAppNotFoundError(appId);
    return app;
  }

  deleteApp(appId: string): void {
    const app = this.requireApp(appId);
    for (const token of app.issuedTokens) this.tokenOwners.delete(token);
    this.apps.delete(appId);
  }

  /** The app that issued `token`, whether or not the token is still accepted. */
  appOfToken(token: string): SandboxApp | undefined {
    return this.tokenOwners.get(token);
  }

  nextMsgid(): number {
    this.lastMsgid += 1;
    return this.lastMsgid;
  }
}
