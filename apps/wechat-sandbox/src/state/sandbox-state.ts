import { randomInt } from 'node:crypto';
import { SandboxAppExistsError, SandboxAppNotFoundError } from '../control-errors.js';
import { newAccessToken, newAppId, newAppSecret } from '../ids.js';
import { PUSH_TIMEOUT_MS } from '../push/push-outbox.js';
import {
  type AppSettings,
  DEFAULT_DAILY_TOKEN_LIMIT,
  SandboxApp,
  type SubscribeTemplateDetails,
  type TemplateKind,
} from './app-state.js';

export interface NewAppInput {
  appId?: string;
  secret?: string;
  pages?: string[];
  templates?: ({ id: string; kind: TemplateKind } & Partial<SubscribeTemplateDetails>)[];
  dailyTokenLimit?: number;
  dailySendLimit?: number;
  perMinuteLimit?: number;
  sensitiveWords?: string[];
}

/** The details of a template as the control API gives them; none when it gives none of them. */
export function templateDetails(
  input: Partial<SubscribeTemplateDetails>,
): SubscribeTemplateDetails | undefined {
  if (input.title === undefined && input.keys === undefined && input.subscribeType === undefined) {
    return undefined;
  }
  return {
    ...(input.title === undefined ? {} : { title: input.title }),
    keys: input.keys ?? [],
    enumValues: input.enumValues ?? {},
    subscribeType: input.subscribeType ?? 'one_time',
  };
}

export interface SandboxStateOptions {
  now: () => number;
  random: () => number;
  /** how long a message push waits for the receiver (WeChat's 5 s when absent) */
  pushTimeoutMs?: number;
}

/** The sandbox's whole memory: its apps and which app issued each access_token. */
export class SandboxState {
  private readonly apps = new Map<string, SandboxApp>();
  private readonly tokenOwners = new Map<string, SandboxApp>();
  private lastMsgid: number;
  readonly random: () => number;
  private readonly baseNow: () => number;
  private readonly pushTimeoutMs: number;
  /** deleted apps whose push loops are still winding down, awaited by `close` */
  private readonly stoppingPushes = new Set<Promise<void>>();

  constructor(options: SandboxStateOptions) {
    this.baseNow = options.now;
    this.random = options.random;
    this.pushTimeoutMs = options.pushTimeoutMs ?? PUSH_TIMEOUT_MS;
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
      pushTimeoutMs: this.pushTimeoutMs,
    });
    for (const template of input.templates ?? []) {
      app.registerTemplate(template.id, template.kind, templateDetails(template));
    }
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
    const stopping = app.pushes.stop().finally(() => this.stoppingPushes.delete(stopping));
    this.stoppingPushes.add(stopping);
  }

  /** Stops every app's pushes (queued ones are cancelled, one in flight aborted) and waits for them. */
  async close(): Promise<void> {
    await Promise.all([...[...this.apps.values()].map((app) => app.pushes.stop()), ...this.stoppingPushes]);
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
