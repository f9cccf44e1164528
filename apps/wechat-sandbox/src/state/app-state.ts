import { AppClock } from '../clock.js';
import { TemplateKindConflictError } from '../control-errors.js';
import { FaultList } from '../faults.js';
import { originalIdOf } from '../ids.js';
import { PushOutbox } from '../push/push-outbox.js';
import { DailyCounter, MinuteCounter } from './counters.js';

export type TemplateKind = 'template' | 'subscribe';
export type TokenMode = 'classic' | 'stable';
/** One-time (WeChat's type 2) or long-term (type 3) subscription. */
export type SubscribeType = 'one_time' | 'long_term';

/**
 * What WeChat's console says of a subscribe template, as gettemplate lists it. A template with
 * `keys` is checked like WeChat checks it: every key given, no other, enum values kept.
 */
export interface SubscribeTemplateDetails {
  title?: string;
  /** the key names of its content, `thing1`; none: sends are not checked against the template */
  keys: string[];
  /** the only values a key accepts, by key */
  enumValues: Record<string, string[]>;
  subscribeType: SubscribeType;
}
export type FormIdKind = 'form_id' | 'prepay_id';
export type MessageKind = 'template' | 'subscribe';
/** The WeChat endpoints that send a message, by the names faults use. */
export type SendEndpoint = 'template_send' | 'subscribe_send';

/** WeChat's documented budget of classic token fetches per app per day. */
export const DEFAULT_DAILY_TOKEN_LIMIT = 2000;
/** WeChat's default daily send quotas, per message kind. */
export const DEFAULT_DAILY_SEND_LIMITS: Record<MessageKind, number> = {
  template: 1_000_000,
  subscribe: 10_000_000,
};

export interface AppSettings {
  appId: string;
  secret: string;
  /** the mini-program's pages; when set, a message's page must be one of them */
  pages?: string[];
  dailyTokenLimit: number;
  /** sends per China day and message kind; WeChat's defaults when absent */
  dailySendLimit?: number;
  /** calls per minute to any WeChat endpoint; unlimited when absent */
  perMinuteLimit?: number;
  /** a message whose data value contains one of these is refused with 45168 */
  sensitiveWords?: string[];
}

export interface IssuedToken {
  token: string;
  issuedAt: number;
  expiresAt: number;
}

/** A token that was replaced but is still accepted until `acceptedUntil` (or its own expiry). */
export interface ReplacedToken extends IssuedToken {
  acceptedUntil: number;
}

export interface TokenSlot {
  current?: IssuedToken;
  previous?: ReplacedToken;
}

export interface SandboxUser {
  openid: string;
  unionid?: string;
}

export interface LoginCode {
  code: string;
  openid: string;
  expiresAt: number;
  used: boolean;
}

export interface FormIdCredit {
  formId: string;
  kind: FormIdKind;
  openid: string;
  createdAt: number;
  expiresAt: number;
  usesLeft: number;
}

export interface Delivery {
  msgid: number;
  kind: MessageKind;
  openid: string;
  templateId: string;
  data: Record<string, unknown>;
  page?: string;
  formId?: string;
  emphasisKeyword?: string;
  miniprogramState?: string;
  lang?: string;
  at: string;
  /** set when a `subscribe_delivery` fault made WeChat fail to deliver after answering errcode 0 */
  deliveryError?: { errorCode: number; errorStatus: string };
}

/** One call to a token endpoint that passed the fault stage; the token itself is never recorded here. */
export interface TokenFetch {
  mode: TokenMode;
  forceRefresh: boolean;
  at: string;
  /** false when the stable endpoint answered the token it had already issued, or the call was refused */
  issued: boolean;
  /** set when the call was refused (wrong secret, daily limit…), so tests can count refused attempts */
  errcode?: number;
}

export interface AppStateDependencies {
  baseNow: () => number;
  /** makes a new access_token and records that it belongs to this app */
  mintToken: (app: SandboxApp) => string;
  /** how long a message push waits for the receiver's answer */
  pushTimeoutMs: number;
}

/** Everything the sandbox knows about one mini-program, all of it in memory. */
export class SandboxApp {
  readonly clock: AppClock;
  readonly templates = new Map<string, TemplateKind>();
  /** the details of subscribe templates registered with some, by id; the others have none */
  readonly subscribeTemplates = new Map<string, SubscribeTemplateDetails>();
  readonly users = new Map<string, SandboxUser>();
  readonly codes = new Map<string, LoginCode>();
  readonly formIds = new Map<string, FormIdCredit>();
  /** accepted subscribe credits per `openid` and template id */
  readonly subscribeCredits = new Map<string, number>();
  readonly deliveries: Delivery[] = [];
  readonly tokenFetchLog: TokenFetch[] = [];
  readonly faults = new FaultList();
  /** the mini-program's original id (`gh_…`), `ToUserName` of its pushes */
  readonly originalId: string;
  readonly pushes: PushOutbox;
  /** openids with a send call in flight: a second one at the same time is answered 43108 */
  readonly sendingTo = new Set<string>();
  readonly classic: TokenSlot = {};
  readonly stable: TokenSlot = {};
  /** every token this app ever issued, so that deleting the app forgets them */
  readonly issuedTokens = new Set<string>();
  lastForcedRefreshAt?: number;

  readonly counters = {
    classicFetches: new DailyCounter(),
    stableFetches: new DailyCounter(),
    stableForced: new DailyCounter(),
    sends: { template: new DailyCounter(), subscribe: new DailyCounter() },
    calls: new MinuteCounter(),
    /**
     * Every call that reached a send endpoint with a token of this app, whatever it answered
     * (faults, refusals and 45011 included): proof of whether a client called WeChat at all.
     */
    sendCalls: { template_send: 0, subscribe_send: 0 } satisfies Record<SendEndpoint, number>,
    /** calls to gettemplate with a token of this app, whatever they answered */
    templateListCalls: 0,
    /** send calls answered 43108: they came while another send to the same user was in flight */
    concurrentSends: 0,
  };

  constructor(
    readonly settings: AppSettings,
    private readonly dependencies: AppStateDependencies,
  ) {
    this.clock = new AppClock(dependencies.baseNow);
    this.originalId = originalIdOf(settings.appId);
    this.pushes = new PushOutbox({
      appId: settings.appId,
      originalId: this.originalId,
      now: () => this.now(),
      timeoutMs: dependencies.pushTimeoutMs,
    });
  }

  /** The app's clock in whole seconds: WeChat's `CreateTime` and push `timestamp`. */
  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  get appId(): string {
    return this.settings.appId;
  }

  now(): number {
    return this.clock.now();
  }

  mintToken(): string {
    const token = this.dependencies.mintToken(this);
    this.issuedTokens.add(token);
    return token;
  }

  /**
   * Registers a template of the app's account; an id keeps the kind it was first given. A
   * subscribe template registered again with details takes the new details (as an edit in the
   * console would); registered again without, it keeps the ones it had.
   */
  registerTemplate(id: string, kind: TemplateKind, details?: SubscribeTemplateDetails): void {
    const existing = this.templates.get(id);
    if (existing !== undefined && existing !== kind) throw new TemplateKindConflictError(id, existing);
    this.templates.set(id, kind);
    if (kind === 'subscribe' && details) this.subscribeTemplates.set(id, details);
  }

  /** Users come into being on first use, as openids do for a real mini-program. */
  ensureUser(openid: string, unionid?: string): SandboxUser {
    const known = this.users.get(openid);
    if (known) {
      if (unionid !== undefined) known.unionid = unionid;
      return known;
    }
    const user: SandboxUser = unionid === undefined ? { openid } : { openid, unionid };
    this.users.set(openid, user);
    return user;
  }

  dailySendLimit(kind: MessageKind): number {
    return this.settings.dailySendLimit ?? DEFAULT_DAILY_SEND_LIMITS[kind];
  }

  subscribeCreditsOf(openid: string, templateId: string): number {
    return this.subscribeCredits.get(subscribeCreditKey(openid, templateId)) ?? 0;
  }

  addSubscribeCredits(openid: string, templateId: string, count: number): number {
    const credits = this.subscribeCreditsOf(openid, templateId) + count;
    this.subscribeCredits.set(subscribeCreditKey(openid, templateId), credits);
    return credits;
  }

  /** The user turned the template off: every credit they held for it is gone; answers how many. */
  dropSubscribeCredits(openid: string, templateId: string): number {
    const credits = this.subscribeCreditsOf(openid, templateId);
    this.subscribeCredits.delete(subscribeCreditKey(openid, templateId));
    return credits;
  }

  spendSubscribeCredit(openid: string, templateId: string): void {
    const credits = this.subscribeCreditsOf(openid, templateId);
    this.subscribeCredits.set(subscribeCreditKey(openid, templateId), Math.max(0, credits - 1));
  }
}

function subscribeCreditKey(openid: string, templateId: string): string {
  return JSON.stringify([openid, templateId]);
}
