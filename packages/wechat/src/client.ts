import { performance } from 'node:perf_hooks';
import { type Dispatcher, Pool } from 'undici';
import type { z } from 'zod';
import { WECHAT_ENDPOINT_PATHS, type WechatEndpoint } from './endpoints.js';
import { errorForErrcode } from './errcodes.js';
import { WechatClientClosedError } from './errors/client-closed-error.js';
import { InvalidClientOptionsError } from './errors/invalid-client-options-error.js';
import { InvalidRequestError } from './errors/invalid-request-error.js';
import { OutcomeUnknownError } from './errors/outcome-unknown-error.js';
import { RequestNotSentError } from './errors/request-not-sent-error.js';
import { UnexpectedHttpStatusError } from './errors/unexpected-http-status-error.js';
import type { WechatError, WechatErrorCategory } from './errors/wechat-error.js';
import { WechatUnavailableError } from './errors/wechat-unavailable-error.js';
import { type ExchangeOutcome, exchange } from './exchange.js';
import {
  errorReplySchema,
  exactMsgid,
  quotaReplySchema,
  sessionReplySchema,
  subscribeSendReplySchema,
  templateSendReplySchema,
  tokenReplySchema,
} from './replies.js';
import { scrubCredentials } from './scrub-credentials.js';
import {
  type SubscribeTemplate,
  templateListReplySchema,
  toSubscribeTemplates,
} from './subscribe-templates.js';
import { normaliseTemplateData, type TemplateDataInput, type WireTemplateData } from './template-data.js';

/** Every call's outcome: a value, or a classified error. Calls never throw. */
export type WechatResult<T> = { ok: true; value: T } | { ok: false; error: WechatError };

/** What the onRequest hook learns of each call: nothing secret, and few enough values for metric labels. */
export interface WechatRequestEvent {
  endpoint: WechatEndpoint;
  durationMs: number;
  outcome: 'ok' | WechatErrorCategory;
}

export interface WechatClientOptions {
  /** `https://api.weixin.qq.com`, or the sandbox's URL */
  baseUrl: string;
  /**
   * How long to wait for a connection and the request to be written, and then again for the reply
   * headers and between reply chunks. Default 5000.
   */
  timeoutMs?: number;
  /** the most sockets to open to WeChat; unlimited when absent */
  connections?: number;
  /**
   * Send through this dispatcher instead of a Pool of the client's own; the client does not close
   * it. It must not retry requests itself: only this client knows when a resend is safe.
   */
  dispatcher?: Dispatcher;
  /** called once per request that reached the transport, for metrics; errors it throws are ignored */
  onRequest?: (event: WechatRequestEvent) => void;
  /** the clock that dates quota windows (`retryAt`); the system clock when absent */
  now?: () => Date;
}

export interface AppCredentials {
  appId: string;
  secret: string;
}

export interface AccessTokenGrant {
  accessToken: string;
  expiresInSeconds: number;
}

export interface LoginSession {
  openid: string;
  /** a secret: never log it, never hand it to the mini-program */
  sessionKey: string;
  /** only when the mini-program is bound to an Open Platform account */
  unionid?: string | undefined;
}

export interface TemplateMessage {
  touser: string;
  templateId: string;
  /** the mini-program page to open, which may carry `?query` */
  page?: string | undefined;
  /** a formId or prepay_id of this very user */
  formId: string;
  data: TemplateDataInput;
  /** e.g. `keyword1.DATA` */
  emphasisKeyword?: string | undefined;
}

export interface TemplateSendReceipt {
  msgid?: string | undefined;
}

export type MiniprogramState = 'developer' | 'trial' | 'formal';
export type SubscribeMessageLang = 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW';

export interface SubscribeMessage {
  touser: string;
  templateId: string;
  page?: string | undefined;
  data: TemplateDataInput;
  miniprogramState?: MiniprogramState | undefined;
  lang?: SubscribeMessageLang | undefined;
}

export interface SubscribeSendReceipt {
  /** exact, as a string: WeChat's msgids exceed JavaScript's safe integers */
  msgid: string;
}

/** Per-call options of the message sends. */
export interface SendCallOptions {
  /**
   * asked right before the request is written to a socket, in the same tick as the write: false
   * holds it back, answered as RequestNotSentError with transportCode `held_back` (nothing was
   * sent). A sender uses it to send only while it certainly holds the message's lease.
   */
  mayStart?: () => boolean;
}

export interface WechatClient {
  /** GET /cgi-bin/token: a new token, which retires the previous one within about 5 minutes */
  fetchClassicToken(credentials: AppCredentials): Promise<WechatResult<AccessTokenGrant>>;
  /** POST /cgi-bin/stable_token: the current stable token; forceRefresh only for a leaked token */
  fetchStableToken(
    request: AppCredentials & { forceRefresh?: boolean | undefined },
  ): Promise<WechatResult<AccessTokenGrant>>;
  /** GET /sns/jscode2session: exchanges a wx.login() code, once */
  code2Session(request: AppCredentials & { code: string }): Promise<WechatResult<LoginSession>>;
  /** POST /cgi-bin/message/wxopen/template/send: the legacy formId message */
  sendTemplateMessage(
    accessToken: string,
    message: TemplateMessage,
    options?: SendCallOptions,
  ): Promise<WechatResult<TemplateSendReceipt>>;
  /** POST /cgi-bin/message/subscribe/send: spends one accepted subscription of the user */
  sendSubscribeMessage(
    accessToken: string,
    message: SubscribeMessage,
    options?: SendCallOptions,
  ): Promise<WechatResult<SubscribeSendReceipt>>;
  /** GET /wxaapi/newtmpl/gettemplate: the app's private subscribe-message templates */
  listSubscribeTemplates(accessToken: string): Promise<WechatResult<SubscribeTemplate[]>>;
  /**
   * POST /cgi-bin/openapi/quota/get: the daily limit, use and remainder of one API (`cgiPath`,
   * such as `/cgi-bin/message/subscribe/send`) for the app of the token
   */
  getApiQuota(accessToken: string, cgiPath: string): Promise<WechatResult<ApiQuota>>;
  /** Waits for calls in flight, then closes the client's own connections. */
  close(): Promise<void>;
}

/** An API's daily quota as WeChat counts it (its China day). */
export interface ApiQuota {
  dailyLimit: number;
  used: number;
  remain: number;
}

export const DEFAULT_TIMEOUT_MS = 5000;
const MAX_TIMEOUT_MS = 600_000;

interface ParsedOptions {
  origin: string;
  basePath: string;
  timeoutMs: number;
  connections: number | undefined;
}

function parseOptions(options: WechatClientOptions): ParsedOptions {
  const problems: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(options.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      problems.push('baseUrl must be an http(s) URL');
    if (url.search || url.username || url.password)
      problems.push('baseUrl must not carry a query or credentials');
  } catch {
    problems.push('baseUrl must be a URL such as https://api.weixin.qq.com');
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    problems.push(`timeoutMs must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`);
  }
  const { connections } = options;
  if (connections !== undefined && (!Number.isInteger(connections) || connections < 1)) {
    problems.push('connections must be a whole number of at least 1');
  }
  if (problems.length > 0 || !url) throw new InvalidClientOptionsError(problems);
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, ''), timeoutMs, connections };
}

interface CallSpec<S extends z.ZodType, T> {
  endpoint: WechatEndpoint;
  method: 'GET' | 'POST';
  query: Record<string, string>;
  json?: unknown;
  /** values of this call to cut out of any errmsg */
  credentials: string[];
  replySchema: S;
  toValue: (reply: z.infer<S>, rawReply: string) => T;
  mayStart?: (() => boolean) | undefined;
}

/**
 * A client for the WeChat server API. One per base URL: it keeps a pool of connections to it.
 * Throws InvalidClientOptionsError for unusable options; the calls themselves never throw.
 */
export function createWechatClient(options: WechatClientOptions): WechatClient {
  const { origin, basePath, timeoutMs, connections } = parseOptions(options);
  const ownPool = options.dispatcher
    ? undefined
    : new Pool(origin, {
        connections: connections ?? null,
        connect: { timeout: timeoutMs },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
  const dispatcher: Dispatcher = options.dispatcher ?? (ownPool as Pool);
  const now = options.now ?? (() => new Date());
  let closing: Promise<void> | undefined;

  function report(event: WechatRequestEvent): void {
    try {
      options.onRequest?.(event);
    } catch {
      // a metrics hook must not turn a delivered message into a failed call
    }
  }

  function interpret<S extends z.ZodType, T>(
    spec: CallSpec<S, T>,
    outcome: ExchangeOutcome,
  ): WechatResult<T> {
    const { endpoint } = spec;
    if (outcome.kind === 'not_sent') {
      return { ok: false, error: new RequestNotSentError(endpoint, outcome.transportCode) };
    }
    if (outcome.kind === 'no_reply') {
      const error =
        outcome.reason === 'reply_timeout'
          ? new OutcomeUnknownError(
              endpoint,
              'reply_timeout',
              `no reply came within ${timeoutMs} ms`,
              outcome.transportCode,
            )
          : outcome.reason === 'connection_lost'
            ? new OutcomeUnknownError(
                endpoint,
                'connection_lost',
                'the connection closed before the reply',
                outcome.transportCode,
              )
            : new OutcomeUnknownError(
                endpoint,
                'malformed_reply',
                `the reply exceeded the size limit`,
                outcome.transportCode,
              );
      return { ok: false, error };
    }
    const { status, body } = outcome;
    if (status < 200 || status > 299) {
      const transient = status >= 500 || status === 408 || status === 429;
      return {
        ok: false,
        error: transient
          ? WechatUnavailableError.httpStatus(endpoint, status)
          : new UnexpectedHttpStatusError(endpoint, status),
      };
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return {
        ok: false,
        error: new OutcomeUnknownError(endpoint, 'malformed_reply', 'the reply was not JSON'),
      };
    }
    const failure = errorReplySchema.safeParse(json);
    if (failure.success && failure.data.errcode !== 0) {
      const { errcode, errmsg } = failure.data;
      const scrubbed = typeof errmsg === 'string' ? scrubCredentials(errmsg, spec.credentials) : undefined;
      return { ok: false, error: errorForErrcode(endpoint, errcode, scrubbed, now()) };
    }
    const reply = spec.replySchema.safeParse(json);
    if (!reply.success) {
      // issue paths only: the reply's values may include the token or session_key
      const fields = [...new Set(reply.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
      const detail = `the reply did not have the expected shape (check ${fields.join(', ')})`;
      return { ok: false, error: new OutcomeUnknownError(endpoint, 'malformed_reply', detail) };
    }
    return { ok: true, value: spec.toValue(reply.data, body) };
  }

  async function call<S extends z.ZodType, T>(spec: CallSpec<S, T>): Promise<WechatResult<T>> {
    if (closing) return { ok: false, error: new WechatClientClosedError(spec.endpoint) };
    const query = new URLSearchParams(spec.query).toString();
    const path = `${basePath}${WECHAT_ENDPOINT_PATHS[spec.endpoint]}${query ? `?${query}` : ''}`;
    const started = performance.now();
    const outcome = await exchange(dispatcher, {
      origin,
      path,
      method: spec.method,
      json: spec.json,
      timeoutMs,
      ...(spec.mayStart ? { mayStart: spec.mayStart } : {}),
    });
    const result = interpret(spec, outcome);
    report({
      endpoint: spec.endpoint,
      durationMs: performance.now() - started,
      outcome: result.ok ? 'ok' : result.error.category,
    });
    return result;
  }

  function refuseData(
    endpoint: WechatEndpoint,
    refusal: { field?: string | undefined; reason: string },
  ): { ok: false; error: WechatError } {
    const error = new InvalidRequestError(`${endpoint}: not sent, the data is invalid: ${refusal.reason}`, {
      endpoint,
      code: 'invalid_template_data',
      templateLevel: false,
      ...(refusal.field === undefined ? {} : { field: refusal.field }),
    });
    return { ok: false, error };
  }

  const toGrant = (reply: z.infer<typeof tokenReplySchema>): AccessTokenGrant => ({
    accessToken: reply.access_token,
    expiresInSeconds: reply.expires_in,
  });

  return {
    fetchClassicToken({ appId, secret }) {
      return call({
        endpoint: 'token',
        method: 'GET',
        query: { grant_type: 'client_credential', appid: appId, secret },
        credentials: [secret],
        replySchema: tokenReplySchema,
        toValue: toGrant,
      });
    },

    fetchStableToken({ appId, secret, forceRefresh }) {
      return call({
        endpoint: 'stable_token',
        method: 'POST',
        query: {},
        json: { grant_type: 'client_credential', appid: appId, secret, force_refresh: forceRefresh ?? false },
        credentials: [secret],
        replySchema: tokenReplySchema,
        toValue: toGrant,
      });
    },

    code2Session({ appId, secret, code }) {
      return call({
        endpoint: 'jscode2session',
        method: 'GET',
        query: { appid: appId, secret, js_code: code, grant_type: 'authorization_code' },
        credentials: [secret, code],
        replySchema: sessionReplySchema,
        toValue: (reply): LoginSession => ({
          openid: reply.openid,
          sessionKey: reply.session_key,
          ...(reply.unionid === undefined ? {} : { unionid: reply.unionid }),
        }),
      });
    },

    async sendTemplateMessage(accessToken, message, options) {
      const data = normaliseTemplateData(message.data);
      if (!data.ok) return refuseData('template_send', data);
      return call({
        endpoint: 'template_send',
        method: 'POST',
        query: { access_token: accessToken },
        json: {
          touser: message.touser,
          template_id: message.templateId,
          page: message.page,
          form_id: message.formId,
          data: data.data satisfies WireTemplateData,
          emphasis_keyword: message.emphasisKeyword,
        },
        credentials: [accessToken],
        replySchema: templateSendReplySchema,
        mayStart: options?.mayStart,
        toValue: (reply, raw): TemplateSendReceipt =>
          reply.msgid === undefined ? {} : { msgid: exactMsgid(reply.msgid, raw) },
      });
    },

    async sendSubscribeMessage(accessToken, message, options) {
      const data = normaliseTemplateData(message.data);
      if (!data.ok) return refuseData('subscribe_send', data);
      return call({
        endpoint: 'subscribe_send',
        method: 'POST',
        query: { access_token: accessToken },
        json: {
          touser: message.touser,
          template_id: message.templateId,
          page: message.page,
          data: data.data,
          miniprogram_state: message.miniprogramState,
          lang: message.lang,
        },
        credentials: [accessToken],
        replySchema: subscribeSendReplySchema,
        mayStart: options?.mayStart,
        toValue: (reply, raw): SubscribeSendReceipt => ({ msgid: exactMsgid(reply.msgid, raw) }),
      });
    },

    listSubscribeTemplates(accessToken) {
      return call({
        endpoint: 'template_list',
        method: 'GET',
        query: { access_token: accessToken },
        credentials: [accessToken],
        replySchema: templateListReplySchema,
        toValue: toSubscribeTemplates,
      });
    },
    getApiQuota(accessToken, cgiPath) {
      return call({
        endpoint: 'quota_get',
        method: 'POST',
        query: { access_token: accessToken },
        json: { cgi_path: cgiPath },
        credentials: [accessToken],
        replySchema: quotaReplySchema,
        toValue: ({ quota }): ApiQuota => ({
          dailyLimit: quota.daily_limit,
          used: quota.used,
          remain: quota.remain,
        }),
      });
    },

    close() {
      closing ??= ownPool ? ownPool.close() : Promise.resolve();
      return closing;
    },
  };
}
