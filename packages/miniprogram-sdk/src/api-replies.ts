import { ApiError, type MinapushError } from './errors.js';
import type { HttpReply } from './wx-runtime.js';

/** What an answer of the minapush API means for the request that got it. */
export type ApiOutcome =
  | { kind: 'ok'; status: number; body: unknown }
  /** the session token is missing, expired or bad: log in again */
  | { kind: 'unauthorized'; error: ApiError }
  /** try the same request again later (network down, 5xx, 408, 429) */
  | { kind: 'retry'; error: MinapushError; retryAfterMs: number }
  /** 413: the same items in smaller requests */
  | { kind: 'too_large'; error: ApiError }
  /** any other 4xx: this request will never be accepted */
  | { kind: 'refused'; error: ApiError };

export function classifyReply(reply: HttpReply, path: string): ApiOutcome {
  if (!reply.ok) return { kind: 'retry', error: reply.error, retryAfterMs: 0 };
  const { status, body } = reply;
  if (status >= 200 && status < 300) return { kind: 'ok', status, body };
  const error = apiErrorOf(status, body, path);
  if (status === 401) return { kind: 'unauthorized', error };
  if (status === 413) return { kind: 'too_large', error };
  if (status === 408 || status === 429 || status >= 500 || status < 400) {
    return { kind: 'retry', error, retryAfterMs: retryAfterMs(reply.header) };
  }
  return { kind: 'refused', error };
}

/** Reads `{"error":{"code","message"}}`, the API's error body, when that is what came back. */
function apiErrorOf(status: number, body: unknown, path: string): ApiError {
  let code: string | undefined;
  let message: string | undefined;
  const parsed = typeof body === 'string' ? parseJson(body) : body;
  if (parsed && typeof parsed === 'object') {
    const error = (parsed as { error?: unknown }).error;
    if (error && typeof error === 'object') {
      const fields = error as { code?: unknown; message?: unknown };
      if (typeof fields.code === 'string') code = fields.code;
      if (typeof fields.message === 'string') message = fields.message;
    }
  }
  return new ApiError(status, code, message, path);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function retryAfterMs(header: Record<string, unknown>): number {
  for (const name of Object.keys(header)) {
    if (name.toLowerCase() !== 'retry-after') continue;
    const seconds = Number(header[name]);
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
  }
  return 0;
}
