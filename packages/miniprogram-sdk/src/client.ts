import {
  CreditsDroppedError,
  InvalidArgumentError,
  MinapushError,
  SubscribeRequestFailedError,
} from './errors.js';
import { FORM_ID_LIFETIME_MS, type FormIdSource, spendableFormId } from './form-ids.js';
import { Outbox, type OutboxEntry } from './outbox.js';
import { RecentUploads } from './recent-uploads.js';
import { clearCurrentCollector, setCurrentCollector } from './registry.js';
import { type AuthorizedOutcome, type LoginOutcome, SessionKeeper } from './session.js';
import { createWxStore } from './storage.js';
import { askToSubscribe, resolveWx, type WxRuntime } from './wx-runtime.js';

export interface MinapushOptions {
  /** where the minapush ingest API answers, e.g. `https://push.example.com` (in the request domain list) */
  baseUrl: string;
  /** the mini-program's appId, when the API serves several apps and this is not its default one */
  appId?: string;
  /** the mini-program runtime; defaults to the global `wx`, looked up when createMinapush is called */
  wx?: WxRuntime;
  /** formIds per upload, and how many waiting formIds start one at once (default 20, at most 100) */
  batchSize?: number;
  /** longest a collected formId waits before an upload is tried (default 30 000 ms) */
  flushIntervalMs?: number;
  /** prefix of the wx storage keys the SDK uses (default `minapush`) */
  storageKey?: string;
  /** the clock, epoch ms (default `Date.now`) */
  now?: () => number;
  /** wx.request and wx.login timeout (default 10 000 ms) */
  requestTimeoutMs?: number;
  /** cap of the exponential backoff between failed uploads (default 300 000 ms) */
  maxRetryDelayMs?: number;
  /** told about failed uploads, dropped credits and storage trouble (default: console.warn) */
  onError?: (error: MinapushError) => void;
}

export interface FlushReport {
  /** formIds the API answered for during this flush (accepted or rejected) */
  sent: number;
  /** of those, how many the API kept as credits */
  accepted: number;
  /** of those, the ones it turned down and why (`duplicate`, `expired`, `mock`, `malformed`) */
  rejected: Array<{ formId: string | null; reason: string }>;
  /** formIds given up before upload because their 7 days were over */
  expired: number;
  /** formIds and subscribe results given up because the API refused them for good */
  dropped: number;
  /** subscribe results delivered during this flush */
  subscriptionsSent: number;
  /** formIds still waiting after this flush */
  pending: number;
  /** why the flush stopped before sending everything; the rest is retried with backoff */
  error?: MinapushError;
}

export type SubscribeOutcome =
  | {
      ok: true;
      /** what wx.requestSubscribeMessage resolved with */
      results: Record<string, string>;
      /** the templates the user accepted: one message each may now be sent */
      accepted: string[];
      /** the API has the results; when false they wait in storage and go with the next flush */
      delivered: boolean;
      /** credits the API recorded, when delivered */
      credited?: number;
      /** why they were not delivered */
      error?: MinapushError;
    }
  | { ok: false; error: SubscribeRequestFailedError | InvalidArgumentError };

export interface MinapushStatus {
  /** formIds waiting for upload (including any being sent now) */
  pendingFormIds: number;
  /** subscribe results waiting for upload */
  pendingSubscriptions: number;
  /** formIds remembered as uploaded, never to be sent again */
  uploadedFormIds: number;
  /** the session's openid, once logged in */
  openid: string | undefined;
  /** consecutive failed uploads */
  failures: number;
  /** epoch ms before which automatic uploads wait (0 when not backing off) */
  retryAt: number;
}

/** The App() hooks attachToApp wraps. */
export interface AppLifecycle {
  onLaunch?: (...args: never[]) => unknown;
  onShow?: (...args: never[]) => unknown;
  onHide?: (...args: never[]) => unknown;
}

export interface Minapush {
  /** The current session, or a new one from wx.login and POST /v1/sessions. */
  login(options?: { force?: boolean }): Promise<LoginOutcome>;
  /**
   * Keeps the formId of a `<form report-submit="true">` submit event (or a formId string) for
   * upload. Answers false when there is nothing to keep: no id, DevTools' mock id, or one
   * already kept or uploaded.
   */
  collect(source: FormIdSource): boolean;
  /** Uploads every waiting subscribe result and formId now, in batches. Never rejects. */
  flush(): Promise<FlushReport>;
  /**
   * Shows WeChat's subscribe dialog for these templates and reports the answers to the API.
   * Call it from a tap handler, before any await: WeChat refuses it otherwise.
   */
  requestSubscribe(templateIds: string[]): Promise<SubscribeOutcome>;
  /** Reports what an own call of wx.requestSubscribeMessage resolved with. */
  reportSubscribeResults(results: Record<string, string>): Promise<SubscribeOutcome>;
  /** App onLaunch: uploads what an earlier run left behind. */
  onAppLaunch(): void;
  /** App onShow: resumes the upload timer. */
  onAppShow(): void;
  /** App onHide: uploads now, the app may not come back for a while. */
  onAppHide(): void;
  /** App options with onLaunch/onShow/onHide wrapped and `minapush` set, for App(...). */
  attachToApp<T extends AppLifecycle>(appOptions: T): T & { minapush: Minapush };
  status(): MinapushStatus;
  /** Stops timers and lets go of the component registry; waiting credits stay in storage. */
  destroy(): void;
}

export const DEFAULT_BATCH_SIZE = 20;
/** The API takes at most 100 formIds per request. */
export const MAX_BATCH_SIZE = 100;
export const DEFAULT_FLUSH_INTERVAL_MS = 30_000;
const MAX_WAITING_FORM_IDS = 1000;
const MAX_WAITING_SUBSCRIPTIONS = 50;
const MAX_REMEMBERED_UPLOADS = 1000;
const FIRST_RETRY_DELAY_MS = 1000;
const SUBSCRIBE_ANSWERS = ['accept', 'reject', 'ban', 'filter'];

type StoredFormId = string;
type SubscribeAnswers = Record<string, string>;
/** One report of wx.requestSubscribeMessage's answers, with the id that makes its upload idempotent. */
interface StoredSubscription {
  batchId: string;
  results: SubscribeAnswers;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isResults = (value: unknown): value is SubscribeAnswers =>
  !!value && typeof value === 'object' && !Array.isArray(value);
const isStoredSubscription = (value: unknown): value is StoredSubscription =>
  isResults(value) && typeof value.batchId === 'string' && isResults(value.results);

/**
 * A random UUID (version 4) for a subscription report: sent again with every retry of that report,
 * so the API stores its credits once even when an earlier attempt's answer was lost.
 */
function newBatchId(): string {
  const hex = '0123456789abcdef';
  let id = '';
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) id += '-';
    else if (i === 14) id += '4';
    else if (i === 19) id += hex[8 + Math.floor(Math.random() * 4)];
    else id += hex[Math.floor(Math.random() * 16)];
  }
  return id;
}

function whole(value: number | undefined, fallback: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(value)));
}

function emptyReport(pending: number): FlushReport {
  return {
    sent: 0,
    accepted: 0,
    rejected: [],
    expired: 0,
    dropped: 0,
    subscriptionsSent: 0,
    pending,
  };
}

/** The answers of wx.requestSubscribeMessage the API understands, plus its errMsg. */
function subscribeAnswers(results: Record<string, unknown>): SubscribeAnswers {
  const answers: SubscribeAnswers = {};
  for (const key of Object.keys(results)) {
    const value = results[key];
    if (typeof value !== 'string') continue;
    if (key === 'errMsg' || SUBSCRIBE_ANSWERS.indexOf(value) >= 0) answers[key] = value;
  }
  return answers;
}

function templatesAnswered(answers: SubscribeAnswers, answer?: string): string[] {
  return Object.keys(answers).filter(
    (key) => key !== 'errMsg' && (answer === undefined || answers[key] === answer),
  );
}

function readFormIdAnswer(body: unknown): { accepted: number; rejected: FlushReport['rejected'] } {
  const answer = (body && typeof body === 'object' ? body : {}) as { accepted?: unknown; rejected?: unknown };
  const rejected: FlushReport['rejected'] = [];
  if (Array.isArray(answer.rejected)) {
    for (const item of answer.rejected) {
      if (!item || typeof item !== 'object') continue;
      const { formId, reason } = item as { formId?: unknown; reason?: unknown };
      rejected.push({ formId: typeof formId === 'string' ? formId : null, reason: String(reason) });
    }
  }
  return { accepted: typeof answer.accepted === 'number' ? answer.accepted : 0, rejected };
}

/**
 * The minapush client of one mini-program: logs the user in, collects formIds and subscribe
 * results, keeps them in wx storage and uploads them to the ingest API.
 */
export function createMinapush(options: MinapushOptions): Minapush {
  if (!options || typeof options.baseUrl !== 'string' || !/^https?:\/\/\S+$/.test(options.baseUrl)) {
    throw new InvalidArgumentError('createMinapush needs baseUrl, the http(s) URL of the minapush API.');
  }
  const runtime = resolveWx(options.wx);
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const now = options.now || (() => Date.now());
  const batchSize = whole(options.batchSize, DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE);
  const flushIntervalMs = whole(options.flushIntervalMs, DEFAULT_FLUSH_INTERVAL_MS, 0, 24 * 3_600_000);
  const timeoutMs = whole(options.requestTimeoutMs, 10_000, 100, 120_000);
  const maxRetryDelayMs = whole(options.maxRetryDelayMs, 300_000, FIRST_RETRY_DELAY_MS, 24 * 3_600_000);
  const storageKey = options.storageKey || 'minapush';
  const reportError =
    options.onError ||
    ((error: MinapushError) => {
      console.warn(`[minapush] ${error.message}`);
    });
  const onError = (error: MinapushError) => {
    try {
      reportError(error);
    } catch {
      // a throwing hook must not break uploads
    }
  };

  const store = createWxStore(runtime, onError);
  const sessions = new SessionKeeper({
    runtime,
    baseUrl,
    appId: options.appId,
    store,
    storageKey: `${storageKey}:session`,
    now,
    timeoutMs,
  });
  const formIds = new Outbox<StoredFormId>(store, `${storageKey}:form-ids`, MAX_WAITING_FORM_IDS, isString);
  const subscriptions = new Outbox<StoredSubscription>(
    store,
    `${storageKey}:subscriptions`,
    MAX_WAITING_SUBSCRIPTIONS,
    isStoredSubscription,
  );
  const uploaded = new RecentUploads(store, `${storageKey}:uploaded`, MAX_REMEMBERED_UPLOADS);
  formIds.load();
  subscriptions.load();
  uploaded.load(now());

  let destroyed = false;
  let failures = 0;
  let retryAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = 0;
  let running: Promise<FlushReport> | undefined;

  const discardExpired = () => {
    const horizon = now() - FORM_ID_LIFETIME_MS;
    return formIds.discardWaiting((entry) => entry.capturedAt <= horizon);
  };

  /** Arms the one timer for `at`, unless it already fires earlier. */
  function schedule(at: number): void {
    if (destroyed) return;
    if (timer !== undefined) {
      if (timerAt <= at) return;
      clearTimeout(timer);
    }
    timerAt = at;
    timer = setTimeout(
      () => {
        timer = undefined;
        automaticFlush();
      },
      Math.max(0, at - now()),
    );
  }

  /** Uploads unless a failed upload asked to wait; then comes back when the wait is over. */
  function automaticFlush(): void {
    if (destroyed) return;
    if (retryAt > now()) {
      schedule(retryAt);
      return;
    }
    void flush();
  }

  function noteFailure(error: MinapushError, retryAfterMs: number): void {
    failures++;
    const ceiling = Math.min(maxRetryDelayMs, FIRST_RETRY_DELAY_MS * 2 ** Math.min(failures - 1, 30));
    // Half fixed, half random: phones that lost the API together do not come back together.
    const delay = Math.round(Math.max(retryAfterMs, ceiling / 2 + (Math.random() * ceiling) / 2));
    retryAt = now() + delay;
    onError(error);
  }

  function noteSuccess(): void {
    failures = 0;
    retryAt = 0;
  }

  /** Sends one stored subscribe result; answers whether the flush may go on. */
  async function sendSubscription(
    entry: OutboxEntry<StoredSubscription>,
    report: FlushReport,
  ): Promise<{ goOn: boolean; credited?: number; error?: MinapushError }> {
    const outcome: AuthorizedOutcome = await sessions.post('/v1/subscriptions', {
      results: entry.value.results,
      batchId: entry.value.batchId,
    });
    switch (outcome.kind) {
      case 'ok': {
        subscriptions.settle([entry]);
        report.subscriptionsSent++;
        noteSuccess();
        const credited = (outcome.body as { credited?: unknown } | null)?.credited;
        return { goOn: true, credited: typeof credited === 'number' ? credited : 0 };
      }
      case 'refused':
      case 'too_large': {
        subscriptions.settle([entry]);
        report.dropped++;
        const error = new CreditsDroppedError('subscribe results', 1, outcome.error);
        onError(error);
        return { goOn: true, error };
      }
      default: {
        subscriptions.release([entry]);
        noteFailure(outcome.error, outcome.kind === 'retry' ? outcome.retryAfterMs : 0);
        report.error = outcome.error;
        return { goOn: false, error: outcome.error };
      }
    }
  }

  async function uploadFormIds(report: FlushReport): Promise<void> {
    let size = batchSize;
    for (;;) {
      const batch = formIds.take(size);
      if (batch.length === 0) return;
      const outcome: AuthorizedOutcome = await sessions.post('/v1/form-ids', {
        formIds: batch.map((entry) => ({ formId: entry.value, capturedAt: entry.capturedAt })),
      });
      if (outcome.kind === 'ok') {
        formIds.settle(batch);
        uploaded.remember(
          batch.map((entry) => entry.value),
          now(),
        );
        const answer = readFormIdAnswer(outcome.body);
        report.sent += batch.length;
        report.accepted += answer.accepted;
        for (const rejection of answer.rejected) report.rejected.push(rejection);
        noteSuccess();
      } else if (outcome.kind === 'too_large' && batch.length > 1) {
        formIds.release(batch);
        size = Math.ceil(batch.length / 2);
      } else if (outcome.kind === 'refused' || outcome.kind === 'too_large') {
        formIds.settle(batch);
        report.dropped += batch.length;
        onError(new CreditsDroppedError('formIds', batch.length, outcome.error));
      } else {
        formIds.release(batch);
        noteFailure(outcome.error, outcome.kind === 'retry' ? outcome.retryAfterMs : 0);
        report.error = outcome.error;
        return;
      }
    }
  }

  async function runFlush(): Promise<FlushReport> {
    const report = emptyReport(0);
    report.expired = discardExpired();
    for (;;) {
      const [entry] = subscriptions.take(1);
      if (!entry) break;
      const sent = await sendSubscription(entry, report);
      if (!sent.goOn) break;
    }
    if (!report.error) await uploadFormIds(report);
    report.pending = formIds.size;
    return report;
  }

  function flush(): Promise<FlushReport> {
    if (destroyed) return Promise.resolve(emptyReport(formIds.size));
    if (running) return running;
    const finish = (report: FlushReport) => {
      running = undefined;
      if (formIds.waiting > 0 || subscriptions.waiting > 0) {
        schedule(report.error ? retryAt : now() + (formIds.waiting >= batchSize ? 0 : flushIntervalMs));
      }
      return report;
    };
    running = runFlush().then(finish, (thrown: unknown) => {
      // Every step resolves with values; this only guards against a defect, so that nothing
      // stays marked as in flight for good.
      formIds.releaseAll();
      subscriptions.releaseAll();
      const report = emptyReport(formIds.size);
      report.error = new MinapushError('unexpected', `flush failed unexpectedly: ${String(thrown)}`);
      onError(report.error);
      return finish(report);
    });
    return running;
  }

  function collect(source: FormIdSource): boolean {
    if (destroyed) return false;
    const formId = spendableFormId(source);
    if (formId === undefined) return false;
    if (uploaded.has(formId) || formIds.some((kept) => kept === formId)) return false;
    formIds.add(formId, Math.floor(now()));
    if (formIds.waiting >= batchSize) automaticFlush();
    else schedule(now() + flushIntervalMs);
    return true;
  }

  async function reportSubscribeResults(results: Record<string, string>): Promise<SubscribeOutcome> {
    if (!isResults(results)) {
      return {
        ok: false,
        error: new InvalidArgumentError(
          'reportSubscribeResults takes what wx.requestSubscribeMessage resolved with.',
        ),
      };
    }
    const answers = subscribeAnswers(results);
    const accepted = templatesAnswered(answers, 'accept');
    if (templatesAnswered(answers).length === 0 || destroyed) {
      return { ok: true, results, accepted, delivered: false };
    }
    const entry = subscriptions.add({ batchId: newBatchId(), results: answers }, now());
    // Sent now rather than with the next flush, so that the caller learns the outcome.
    if (!subscriptions.claim(entry)) return { ok: true, results, accepted, delivered: false };
    const report = emptyReport(0);
    const sent = await sendSubscription(entry, report);
    if (report.error) schedule(retryAt);
    return report.subscriptionsSent === 1
      ? { ok: true, results, accepted, delivered: true, credited: sent.credited }
      : { ok: true, results, accepted, delivered: false, error: sent.error };
  }

  function requestSubscribe(templateIds: string[]): Promise<SubscribeOutcome> {
    if (
      !Array.isArray(templateIds) ||
      templateIds.length === 0 ||
      templateIds.some((id) => typeof id !== 'string' || id === '')
    ) {
      return Promise.resolve({
        ok: false,
        error: new InvalidArgumentError('requestSubscribe takes a non-empty array of template ids.'),
      });
    }
    // wx must be called in this very tick, so nothing is awaited before it.
    return askToSubscribe(runtime, templateIds.slice()).then((answer) =>
      answer.ok
        ? reportSubscribeResults(answer.results)
        : { ok: false, error: new SubscribeRequestFailedError(answer.errMsg, answer.errCode) },
    );
  }

  const client: Minapush = {
    login: (loginOptions) => sessions.login(!!loginOptions?.force),
    collect,
    flush,
    requestSubscribe,
    reportSubscribeResults,
    onAppLaunch() {
      void flush();
    },
    onAppShow() {
      if (formIds.waiting > 0 || subscriptions.waiting > 0)
        schedule(Math.max(retryAt, now() + flushIntervalMs));
    },
    onAppHide() {
      void flush();
    },
    attachToApp<T extends AppLifecycle>(appOptions: T): T & { minapush: Minapush } {
      const hooks = appOptions as AppLifecycle;
      const wrap = (own: ((...args: never[]) => unknown) | undefined, ours: () => void) =>
        function (this: unknown, ...args: never[]) {
          ours();
          return own ? own.apply(this, args) : undefined;
        };
      return Object.assign({}, appOptions, {
        minapush: client,
        onLaunch: wrap(hooks.onLaunch, client.onAppLaunch),
        onShow: wrap(hooks.onShow, client.onAppShow),
        onHide: wrap(hooks.onHide, client.onAppHide),
      });
    },
    status() {
      return {
        pendingFormIds: formIds.size,
        pendingSubscriptions: subscriptions.size,
        uploadedFormIds: uploaded.size,
        openid: sessions.current ? sessions.current.openid : undefined,
        failures,
        retryAt,
      };
    },
    destroy() {
      destroyed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      clearCurrentCollector(client);
    },
  };

  setCurrentCollector(client);
  discardExpired();
  if (formIds.waiting > 0 || subscriptions.waiting > 0) schedule(now() + flushIntervalMs);
  return client;
}
