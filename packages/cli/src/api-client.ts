import { request } from 'undici';
import type { Connection } from './connection.js';
import { ApiRefusal, ServerUnreachable, UnexpectedAnswer } from './errors.js';

const REQUEST_TIMEOUT_MS = 30_000;
/** How much of a non-JSON answer an error quotes. */
const QUOTED_BODY_CHARS = 120;

export type Query = Record<string, string | number | undefined>;

export interface ApiClient {
  readonly url: string;
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
}

/** Path segments from the user (ids, openids, appIds) go into the URL encoded. */
export function pathOf(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce(
    (out, part, i) => out + part + (i < values.length ? encodeURIComponent(values[i]!) : ''),
    '',
  );
}

function unreachableReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was closed';
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
    default:
      return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  }
}

/** The contract's error shape, `{"error":{"code","message","details"?}}`, if that is what came back. */
function readApiError(body: unknown): { code: string; message: string; details?: unknown } | undefined {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') return undefined;
  return { code: error.code, message: error.message, details: error.details };
}

/** The minapush HTTP API over undici, with the API key; every failure becomes one of errors.ts. */
export function createApiClient(connection: Connection): ApiClient {
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, query?: Query): Promise<T> {
    const target = new URL(connection.url + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) target.searchParams.set(key, String(value));
    }
    // undici's request, not fetch: fetch refuses ports on its "bad ports" list (4190, 6000, …),
    // and a minapush may well listen on one of them.
    let status: number;
    let retryAfterHeader: unknown;
    let text: string;
    try {
      const response = await request(target, {
        method,
        headers: {
          authorization: `Bearer ${connection.apiKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: REQUEST_TIMEOUT_MS,
        bodyTimeout: REQUEST_TIMEOUT_MS,
      });
      status = response.statusCode;
      retryAfterHeader = response.headers['retry-after'];
      text = await response.body.text();
    } catch (error) {
      throw new ServerUnreachable(connection.url, unreachableReason(error));
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new UnexpectedAnswer(
        `${method} ${target.pathname} answered HTTP ${status} with something that is not JSON ` +
          `(${JSON.stringify(text.slice(0, QUOTED_BODY_CHARS))}); is ${connection.url} a minapush API?`,
      );
    }
    if (status >= 200 && status < 300) return parsed as T;
    const apiError = readApiError(parsed);
    if (!apiError) {
      throw new UnexpectedAnswer(
        `${method} ${target.pathname} answered HTTP ${status} without minapush's error shape; ` +
          `is ${connection.url} a minapush API?`,
      );
    }
    const retryAfter = Number(retryAfterHeader);
    throw new ApiRefusal(
      status,
      apiError.code,
      apiError.message,
      apiError.details,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      status === 401
        ? `the API key (from the ${connection.apiKeySource}) must be one of the server's API_KEYS; ` +
            'set MINAPUSH_API_KEY or pass --api-key'
        : undefined,
    );
  }

  return {
    url: connection.url,
    get: (path, query) => call('GET', path, undefined, query),
    post: (path, body) => call('POST', path, body),
  };
}
