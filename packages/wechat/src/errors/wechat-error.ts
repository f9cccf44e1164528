import type { WechatEndpoint } from '../endpoints.js';

/**
 * How a caller must react to a failed call:
 * - `retryable`: nothing happened (or WeChat said it was busy); retry with backoff.
 * - `stale_token`: the access_token is no longer current; refresh it, then retry.
 * - `credit_dead`: the formId or subscription used cannot send; take another credit.
 * - `quota`: a rate or daily limit was hit; pause until `retryAt`.
 * - `outcome_unknown`: the request went out and no usable reply came back; it may have taken effect.
 * - `unrecoverable`: the same request will fail again; do not retry it.
 */
export type WechatErrorCategory =
  | 'retryable'
  | 'stale_token'
  | 'credit_dead'
  | 'quota'
  | 'outcome_unknown'
  | 'unrecoverable';

export interface WechatErrorDetails {
  endpoint: WechatEndpoint;
  /** snake_case; names the concept or the errcode (`form_id_used`, `reply_timeout`) */
  code: string;
  errcode?: number | undefined;
  /** WeChat's errmsg, with any credential of this call scrubbed out */
  errmsg?: string | undefined;
}

/**
 * Every failed outcome of the client. Fields hold only what is safe to log: the endpoint name, never
 * the URL; WeChat's errcode and a scrubbed errmsg; no `cause` (transport errors may quote the URL).
 */
export abstract class WechatError extends Error {
  abstract override readonly name: string;
  abstract readonly category: WechatErrorCategory;
  readonly code: string;
  readonly endpoint: WechatEndpoint;
  readonly errcode: number | undefined;
  readonly errmsg: string | undefined;
  /** true when the app's own setup is wrong (appid, secret, IP whitelist): no retry can help */
  readonly misconfiguration: boolean = false;

  constructor(message: string, details: WechatErrorDetails) {
    super(message);
    this.code = details.code;
    this.endpoint = details.endpoint;
    this.errcode = details.errcode;
    this.errmsg = details.errmsg;
  }

  toJSON(): Record<string, unknown> {
    const { stack: _stack, ...fields } = this;
    return { ...fields, name: this.name, message: this.message };
  }
}
