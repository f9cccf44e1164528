import type { Dispatcher } from 'undici';

export interface OutgoingRequest {
  origin: string;
  /** path and query; it holds credentials, so it never leaves this module in an error */
  path: string;
  method: 'GET' | 'POST';
  /** a JSON document, for POST */
  json?: unknown;
  timeoutMs: number;
  /**
   * asked right before the request is written to a socket, in the same tick as the write: false
   * holds it back (answered `not_sent`, transport code `held_back`)
   */
  mayStart?: () => boolean;
}

/** The transport code of a request its caller held back at the last moment (`mayStart`). */
export const HELD_BACK = 'held_back';

/**
 * What happened to one request, split at the one line that matters for sends: whether the request
 * was written. Before that, giving up is always safe; after it, WeChat may have acted.
 */
export type ExchangeOutcome =
  | { kind: 'reply'; status: number; body: string }
  | { kind: 'not_sent'; transportCode: string }
  | {
      kind: 'no_reply';
      reason: 'reply_timeout' | 'connection_lost' | 'reply_too_large';
      transportCode: string;
    };

/** WeChat's replies are a few hundred bytes; anything this large is not WeChat. */
export const MAX_REPLY_BYTES = 1_048_576;

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function transportCodeOf(error: unknown): string {
  const candidate = error as { code?: unknown; name?: unknown; errors?: unknown } | null;
  if (typeof candidate?.code === 'string') return candidate.code;
  // Node's happy-eyeballs connect reports an AggregateError of one error per address tried
  if (Array.isArray(candidate?.errors) && candidate.errors.length > 0)
    return transportCodeOf(candidate.errors[0]);
  return typeof candidate?.name === 'string' ? candidate.name : 'unknown_transport_error';
}

/**
 * Sends one request through undici's dispatch API and reports whether it was written. undici calls
 * onRequestStart right before it writes the request to a socket, in the same tick as the write of
 * our (buffered) body, so "started" is "sent". A request still waiting for a connection when
 * `timeoutMs` runs out is given up as not sent; should it reach a socket later, it is aborted before
 * anything is written, so "not sent" stays true.
 */
export function exchange(dispatcher: Dispatcher, request: OutgoingRequest): Promise<ExchangeOutcome> {
  return new Promise((resolve) => {
    let started = false;
    let abandoned = false;
    let settled = false;
    let status = 0;
    let size = 0;
    const chunks: Buffer[] = [];

    const settle = (outcome: ExchangeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(sendDeadline);
      resolve(outcome);
    };

    const sendDeadline = setTimeout(() => {
      abandoned = true;
      settle({ kind: 'not_sent', transportCode: 'send_deadline_exceeded' });
    }, request.timeoutMs);

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(controller) {
        if (abandoned) {
          controller.abort(new Error('given up before it was sent'));
          return;
        }
        if (request.mayStart && !request.mayStart()) {
          settle({ kind: 'not_sent', transportCode: HELD_BACK });
          controller.abort(new Error('held back by its caller before it was sent'));
          return;
        }
        started = true;
        clearTimeout(sendDeadline);
      },
      onResponseStart(_controller, statusCode) {
        status = statusCode;
      },
      onResponseData(controller, chunk) {
        size += chunk.length;
        if (size > MAX_REPLY_BYTES) {
          settle({ kind: 'no_reply', reason: 'reply_too_large', transportCode: 'reply_too_large' });
          controller.abort(new Error('reply too large'));
          return;
        }
        chunks.push(chunk);
      },
      onResponseEnd() {
        settle({ kind: 'reply', status, body: Buffer.concat(chunks).toString('utf8') });
      },
      onResponseError(_controller, error) {
        const transportCode = transportCodeOf(error);
        if (!started) {
          settle({ kind: 'not_sent', transportCode });
        } else {
          const reason = TIMEOUT_CODES.has(transportCode) ? 'reply_timeout' : 'connection_lost';
          settle({ kind: 'no_reply', reason, transportCode });
        }
      },
    };

    const body = request.json === undefined ? undefined : Buffer.from(JSON.stringify(request.json), 'utf8');
    try {
      dispatcher.dispatch(
        {
          origin: request.origin,
          path: request.path,
          method: request.method,
          headers: body ? { 'content-type': 'application/json' } : {},
          body,
          headersTimeout: request.timeoutMs,
          bodyTimeout: request.timeoutMs,
        },
        handler,
      );
    } catch (error) {
      settle({ kind: 'not_sent', transportCode: transportCodeOf(error) });
    }
  });
}
