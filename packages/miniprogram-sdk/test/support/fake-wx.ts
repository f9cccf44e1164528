import type { WxRuntime } from '../../src/index.js';

/** One wx.request call as the SDK made it. */
export interface RecordedRequest {
  url: string;
  /** the URL's path, e.g. `/v1/form-ids` */
  path: string;
  method: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: assertions check the shape
  data: any;
  header: Record<string, string>;
}

/** How the stand-in answers a request: an HTTP answer, a network failure, or never. */
export type Reply =
  | { status: number; body?: unknown; header?: Record<string, string> }
  | { fail: string }
  | { hang: true };

export type Responder = (request: RecordedRequest) => Reply | Promise<Reply>;

type SubscribeAnswer = { results: Record<string, string> } | { fail: string; errCode: number };

/**
 * A stand-in for the mini-program runtime's `wx`: storage that, like WeChat's, keeps JSON copies
 * (so it outlives a client, as across an app restart), and login, request and subscribe calls
 * that are recorded and answered by the test.
 */
export class FakeWx implements WxRuntime {
  /** key → JSON text, as WeChat serialises what it stores */
  readonly storage = new Map<string, string>();
  readonly requests: RecordedRequest[] = [];
  readonly subscribeCalls: string[][] = [];
  /** setStorageSync calls, in order */
  readonly storageWrites: string[] = [];
  loginCount = 0;
  /** when set, wx.login fails with this errMsg */
  loginFailure: string | undefined;
  /** what wx.requestSubscribeMessage answers */
  subscribeAnswer: SubscribeAnswer = { results: { errMsg: 'requestSubscribeMessage:ok' } };

  constructor(public respond: Responder) {}

  login(options: Parameters<WxRuntime['login']>[0]): void {
    this.loginCount++;
    const count = this.loginCount;
    void Promise.resolve().then(() => {
      if (this.loginFailure) options.fail?.({ errMsg: this.loginFailure });
      else options.success?.({ code: `code-${count}` });
    });
  }

  request(options: Parameters<WxRuntime['request']>[0]): void {
    const recorded: RecordedRequest = {
      url: options.url,
      path: new URL(options.url).pathname,
      method: options.method,
      data: JSON.parse(JSON.stringify(options.data ?? null)),
      header: { ...(options.header ?? {}) },
    };
    this.requests.push(recorded);
    void Promise.resolve()
      .then(() => this.respond(recorded))
      .then((reply) => {
        if ('hang' in reply) return;
        if ('fail' in reply) options.fail?.({ errMsg: reply.fail });
        else
          options.success?.({ statusCode: reply.status, data: reply.body ?? '', header: reply.header ?? {} });
      });
  }

  getStorageSync(key: string): unknown {
    const text = this.storage.get(key);
    return text === undefined ? '' : JSON.parse(text);
  }

  setStorageSync(key: string, data: unknown): void {
    this.storageWrites.push(key);
    this.storage.set(key, JSON.stringify(data));
  }

  removeStorageSync(key: string): void {
    this.storage.delete(key);
  }

  requestSubscribeMessage(options: Parameters<WxRuntime['requestSubscribeMessage']>[0]): void {
    this.subscribeCalls.push(options.tmplIds.slice());
    const answer = this.subscribeAnswer;
    void Promise.resolve().then(() => {
      if ('fail' in answer) options.fail?.({ errMsg: answer.fail, errCode: answer.errCode });
      else options.success?.({ ...answer.results });
    });
  }

  /** the requests made to one path */
  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  /** every formId sent to POST /v1/form-ids, in order, one entry per time it was sent */
  formIdsSent(): string[] {
    return this.requestsTo('/v1/form-ids').flatMap((request) =>
      (request.data.formIds as Array<{ formId: string }>).map((item) => item.formId),
    );
  }

  stored(key: string): unknown {
    const text = this.storage.get(key);
    return text === undefined ? undefined : JSON.parse(text);
  }
}

/**
 * Answers like the minapush ingest API for the three client endpoints: sessions for any code,
 * 401 for tokens it did not issue (or revoked), 202 for formIds and subscribe results. Tests
 * queue other answers with `answerNext`.
 */
export class ApiStandIn {
  private tokens = new Set<string>();
  private issued = 0;
  private scripted: Array<{ path: string; reply: Reply }> = [];
  /** formIds answered with 202, per request */
  readonly acceptedBatches: string[][] = [];

  constructor(
    readonly openid = 'o-user-1',
    private readonly now: () => number = Date.now,
    /** how long the sessions it issues live */
    private readonly sessionTtlMs = 3_600_000,
  ) {}

  /** The next request to `path` gets `reply` instead of the normal answer. */
  answerNext(path: string, reply: Reply): this {
    this.scripted.push({ path, reply });
    return this;
  }

  revokeAll(): void {
    this.tokens.clear();
  }

  get issuedTokens(): number {
    return this.issued;
  }

  readonly respond: Responder = (request) => {
    const at = this.scripted.findIndex((entry) => entry.path === request.path);
    if (at >= 0) return this.scripted.splice(at, 1)[0]!.reply;
    if (request.path === '/v1/sessions') {
      const token = `token-${++this.issued}`;
      this.tokens.add(token);
      const expiresAt = new Date(this.now() + this.sessionTtlMs).toISOString();
      return { status: 200, body: { token, openid: this.openid, expiresAt } };
    }
    const token = /^Bearer (.+)$/.exec(request.header.authorization ?? '')?.[1];
    if (!token || !this.tokens.has(token)) {
      return { status: 401, body: { error: { code: 'invalid_credentials', message: 'log in again' } } };
    }
    if (request.path === '/v1/form-ids') {
      const ids = (request.data.formIds as Array<{ formId: string }>).map((item) => item.formId);
      this.acceptedBatches.push(ids);
      return { status: 202, body: { accepted: ids.length, rejected: [] } };
    }
    if (request.path === '/v1/subscriptions') {
      const results = request.data.results as Record<string, string>;
      const credited = Object.keys(results).filter((key) => results[key] === 'accept').length;
      return { status: 202, body: { credited } };
    }
    return { status: 404, body: { error: { code: 'not_found', message: request.path } } };
  };
}

/** A submit event as `<form report-submit="true">` delivers it. */
export function submitEvent(formId: string) {
  return { type: 'submit', detail: { formId, value: {} } };
}
