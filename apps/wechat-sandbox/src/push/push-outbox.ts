import { newPushNonce } from '../ids.js';
import {
  PUSH_EVENT_NAMES,
  type PushEventName,
  type PushFormat,
  type PushMode,
  type PushSettings,
  type SandboxPushEvent,
  type SealedPush,
  sealPush,
} from './push-message.js';

/** WeChat waits 5 seconds for an answer, then drops the connection and tries again. */
export const PUSH_TIMEOUT_MS = 5000;
/** WeChat makes three attempts in all. */
export const PUSH_ATTEMPTS = 3;
/** The pushes an app's listing keeps (oldest forgotten first): bounds memory under bulk set-ups. */
export const MAX_PUSH_RECORDS = 10_000;
/** Pushes waiting per app; beyond this, events are dropped and counted rather than queued. */
export const MAX_QUEUED_PUSHES = 100_000;
/** The start of a receiver's unexpected answer kept in the listing. */
const MAX_ANSWER_EXCERPT = 200;

/** `queued` covers waiting and in flight (then `attempts` is already counted). */
export type PushStatus = 'queued' | 'delivered' | 'failed' | 'cancelled';

/** One push as `GET /__sandbox/apps/:appId/pushes` lists it; never the token or the key. */
export interface PushRecord {
  id: string;
  event: PushEventName;
  openid: string;
  templateId: string;
  mode: PushMode;
  format: PushFormat;
  /** when the event happened, on the app's clock (ISO) */
  createdAt: string;
  status: PushStatus;
  attempts: number;
  /** the HTTP status of the last answer; null when there was none (timeout, refused connection) */
  lastHttpStatus: number | null;
  /** why the last attempt failed: `timeout`, `connection failed: …`, `answered: …`; null on success */
  lastError: string | null;
  /** the receiver answered `success` (or an empty body) with a 2xx status */
  answeredSuccess: boolean;
  /** the query and body as sent; absent until the first attempt */
  query?: Record<string, string>;
  body?: string;
}

interface QueuedPush {
  record: PushRecord;
  event: SandboxPushEvent;
  settings: PushSettings;
  /** the outbox's generation when queued: a DELETE of the settings cancels older generations */
  generation: number;
}

interface AttemptResult {
  accepted: boolean;
  httpStatus: number | null;
  error: string | null;
}

export interface PushOutboxDependencies {
  appId: string;
  originalId: string;
  /** the app's clock, in ms */
  now: () => number;
  timeoutMs: number;
}

function isAcceptedAnswer(status: number, text: string): boolean {
  return status >= 200 && status < 300 && (text === 'success' || text === '');
}

/**
 * An app's message pushes: its console settings, the events waiting to go out and the record of
 * what went out. Events are queued synchronously by the calls that cause them and delivered one at
 * a time in the background, so no API answer ever waits for a receiver.
 */
export class PushOutbox {
  private settings?: PushSettings;
  /** waiting pushes from `queueHead` on (an index, so that taking one is O(1) with 100,000 waiting) */
  private queue: QueuedPush[] = [];
  private queueHead = 0;
  /** the newest {@link MAX_PUSH_RECORDS} are listed; trimmed in batches so recording stays O(1) */
  private records: PushRecord[] = [];
  private generation = 0;
  private lastId = 0;
  private dropped = 0;
  private stopped = false;
  private draining?: Promise<void>;
  private inFlight?: AbortController;
  /** a bulk call queues thousands of events of the same second: their time is formatted once */
  private lastCreatedAt = { createTime: Number.NaN, iso: '' };

  constructor(private readonly dependencies: PushOutboxDependencies) {}

  configure(settings: PushSettings): void {
    this.settings = settings;
  }

  /** Stops pushing: the settings are removed, queued pushes cancelled, one in flight aborted. */
  unconfigure(): void {
    this.settings = undefined;
    this.cancelAll();
  }

  /** The settings without the token and the key, for the app's description; undefined when off. */
  describe() {
    const settings = this.settings;
    if (settings === undefined) return undefined;
    return {
      url: settings.url,
      mode: settings.mode,
      format: settings.format,
      queued: this.queuedCount(),
      dropped: this.dropped,
    };
  }

  list(): readonly PushRecord[] {
    return this.records.length > MAX_PUSH_RECORDS ? this.records.slice(-MAX_PUSH_RECORDS) : this.records;
  }

  private queuedCount(): number {
    return this.queue.length - this.queueHead;
  }

  private takeQueued(): QueuedPush | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const next = this.queue[this.queueHead];
    this.queueHead += 1;
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    }
    return next;
  }

  /** Queues an event for the configured URL; nothing happens when pushing is off. */
  enqueue(event: SandboxPushEvent): void {
    const settings = this.settings;
    if (settings === undefined || this.stopped) return;
    if (this.queuedCount() >= MAX_QUEUED_PUSHES) {
      this.dropped += 1;
      return;
    }
    this.lastId += 1;
    const record: PushRecord = {
      id: `push-${this.lastId}`,
      event: PUSH_EVENT_NAMES[event.type],
      openid: event.openid,
      templateId: event.templateId,
      mode: settings.mode,
      format: settings.format,
      createdAt: this.createdAtOf(event.createTime),
      status: 'queued',
      attempts: 0,
      lastHttpStatus: null,
      lastError: null,
      answeredSuccess: false,
    };
    this.records.push(record);
    if (this.records.length >= 2 * MAX_PUSH_RECORDS) this.records = this.records.slice(-MAX_PUSH_RECORDS);
    this.queue.push({ record, event, settings, generation: this.generation });
    this.startDraining();
  }

  private createdAtOf(createTime: number): string {
    if (this.lastCreatedAt.createTime !== createTime) {
      this.lastCreatedAt = { createTime, iso: new Date(createTime * 1000).toISOString() };
    }
    return this.lastCreatedAt.iso;
  }

  /** Stops for good (the app was deleted or the sandbox closes) and waits for the delivery loop to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.settings = undefined;
    this.cancelAll();
    await this.draining;
  }

  private cancelAll(): void {
    this.generation += 1;
    for (let next = this.takeQueued(); next !== undefined; next = this.takeQueued()) {
      next.record.status = 'cancelled';
    }
    this.inFlight?.abort();
  }

  private startDraining(): void {
    if (this.draining !== undefined) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queuedCount() > 0 && !this.stopped) this.startDraining();
    });
  }

  private async drain(): Promise<void> {
    for (let next = this.takeQueued(); next !== undefined; next = this.takeQueued()) {
      await this.deliver(next);
    }
  }

  private async deliver(queued: QueuedPush): Promise<void> {
    const { record } = queued;
    let sealed: SealedPush;
    try {
      sealed = sealPush({
        event: queued.event,
        settings: queued.settings,
        appId: this.dependencies.appId,
        originalId: this.dependencies.originalId,
        timestamp: String(Math.floor(this.dependencies.now() / 1000)),
        nonce: newPushNonce(),
      });
    } catch (error) {
      record.status = 'failed';
      record.lastError = error instanceof Error ? error.message : 'the push could not be sealed';
      return;
    }
    record.query = sealed.query;
    record.body = sealed.body;
    for (let attempt = 1; attempt <= PUSH_ATTEMPTS; attempt += 1) {
      if (queued.generation !== this.generation) {
        record.status = 'cancelled';
        return;
      }
      record.attempts = attempt;
      const result = await this.attempt(queued.settings.url, sealed);
      if (queued.generation !== this.generation) {
        record.status = 'cancelled';
        return;
      }
      record.lastHttpStatus = result.httpStatus;
      record.lastError = result.error;
      if (result.accepted) {
        record.status = 'delivered';
        record.answeredSuccess = true;
        return;
      }
    }
    record.status = 'failed';
  }

  /** One POST, given up after the timeout; never throws. */
  private async attempt(url: string, sealed: SealedPush): Promise<AttemptResult> {
    const target = new URL(url);
    for (const [name, value] of Object.entries(sealed.query)) target.searchParams.set(name, value);
    const controller = new AbortController();
    this.inFlight = controller;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.dependencies.timeoutMs);
    try {
      const response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': sealed.contentType },
        body: sealed.body,
        signal: controller.signal,
        // WeChat does not follow redirects: a 3xx is a failed attempt.
        redirect: 'manual',
      });
      const text = (await response.text()).trim();
      const accepted = isAcceptedAnswer(response.status, text);
      return {
        accepted,
        httpStatus: response.status,
        error: accepted ? null : `answered: ${text.slice(0, MAX_ANSWER_EXCERPT)}`,
      };
    } catch (error) {
      const reason = timedOut
        ? 'timeout'
        : controller.signal.aborted
          ? 'cancelled'
          : `connection failed: ${describeFetchError(error)}`;
      return { accepted: false, httpStatus: null, error: reason };
    } finally {
      clearTimeout(timer);
      if (this.inFlight === controller) this.inFlight = undefined;
    }
  }
}

/** undici hides the socket's error code in `cause`. */
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : 'unknown error';
}
