import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher, request } from 'undici';

/** For control calls and polls: keep-alive, a few connections per origin. */
const controlAgent = new Agent({ connections: 8, keepAliveTimeout: 10_000 });

export interface JsonAnswer<T = unknown> {
  status: number;
  body: T;
}

export interface JsonRequest {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  headers?: Record<string, string>;
  /** a Pool of a load generator; the shared control agent otherwise */
  dispatcher?: Dispatcher;
}

/** One HTTP call with a JSON body (when given) and a JSON answer (when there is one). */
export async function requestJson<T = unknown>(
  url: string,
  options: JsonRequest = {},
): Promise<JsonAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const answer = await request(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    dispatcher: options.dispatcher ?? controlAgent,
  });
  const text = await answer.body.text();
  let body: unknown = text;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: an error page; keep the text for the error message
    }
  }
  return { status: answer.statusCode, body: body as T };
}

/** `requestJson`, failing unless the status is `expected`. */
export async function expectJson<T = unknown>(
  url: string,
  expected: number,
  options: JsonRequest = {},
): Promise<T> {
  const answer = await requestJson<T>(url, options);
  if (answer.status !== expected) {
    const shown = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    throw new Error(
      `${options.method ?? (options.body === undefined ? 'GET' : 'POST')} ${url}: expected ${expected}, got ${answer.status}: ${shown.slice(0, 500)}`,
    );
  }
  return answer.body;
}

export interface WaitOptions {
  /** what is awaited, for the timeout message */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** called on every round; throws to abort the wait (a child died) */
  check?: () => void;
}

/**
 * Polls `probe` until it returns a value other than undefined. Polls are spaced by `intervalMs`
 * (never a tight loop against Postgres), and the deadline turns a hang into a clear error.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    options.check?.();
    try {
      const value = await probe();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}${cause}`);
    }
    await sleep(options.intervalMs ?? 250);
  }
}

/** Waits until `url` answers 200 (a readiness endpoint). */
export function waitForReady(url: string, what: string, check?: () => void): Promise<true> {
  return waitFor(
    async () => {
      const answer = await requestJson(url);
      return answer.status === 200 ? true : undefined;
    },
    { what, timeoutMs: 60_000, intervalMs: 100, check },
  );
}

/** Closes the shared agent so the run can exit. */
export function closeHttp(): Promise<void> {
  return controlAgent.close();
}
