/** What went wrong, in words a mini-program developer can act on; `code` is stable, for code. */
export type MinapushErrorCode =
  | 'wx_unavailable'
  | 'network'
  | 'api_error'
  | 'login_failed'
  | 'subscribe_failed'
  | 'credits_dropped'
  | 'storage_failed'
  | 'invalid_argument'
  | 'unexpected';

export class MinapushError extends Error {
  readonly code: MinapushErrorCode;

  constructor(code: MinapushErrorCode, message: string) {
    super(message);
    this.name = 'MinapushError';
    this.code = code;
  }
}

/** No `wx` was given and there is no global one (the code runs outside a mini-program). */
export class WxUnavailableError extends MinapushError {
  constructor() {
    super(
      'wx_unavailable',
      'No wx object: run inside a mini-program, or pass createMinapush({ wx }) when testing.',
    );
    this.name = 'WxUnavailableError';
  }
}

/** wx.request failed before an HTTP answer arrived (offline, timeout, domain not allowed). */
export class NetworkError extends MinapushError {
  /** WeChat's own description, e.g. `request:fail timeout` */
  readonly errMsg: string;

  constructor(errMsg: string) {
    super(
      'network',
      `The request did not reach the minapush API (${errMsg}); check the network and that the API's domain is in the mini-program's request domain list.`,
    );
    this.name = 'NetworkError';
    this.errMsg = errMsg;
  }
}

/** The minapush API answered with an error status. */
export class ApiError extends MinapushError {
  readonly status: number;
  /** the API's `error.code`, when the body carried one */
  readonly apiCode: string | undefined;

  constructor(status: number, apiCode: string | undefined, apiMessage: string | undefined, path: string) {
    super(
      'api_error',
      `${path} answered ${status}${apiCode ? ` ${apiCode}` : ''}: ${apiMessage ?? 'no message'}`,
    );
    this.name = 'ApiError';
    this.status = status;
    this.apiCode = apiCode;
  }
}

/** wx.login or POST /v1/sessions failed; credits stay buffered until a later login works. */
export class LoginFailedError extends MinapushError {
  /** the failure underneath: a NetworkError or ApiError, when there was one */
  readonly reason: MinapushError | undefined;

  constructor(message: string, reason?: MinapushError) {
    super('login_failed', reason ? `${message}: ${reason.message}` : message);
    this.name = 'LoginFailedError';
    this.reason = reason;
  }
}

/** wx.requestSubscribeMessage itself failed (not called from a tap, templates unknown, turned off). */
export class SubscribeRequestFailedError extends MinapushError {
  readonly errMsg: string;
  readonly errCode: number | undefined;

  constructor(errMsg: string, errCode: number | undefined) {
    super(
      'subscribe_failed',
      `wx.requestSubscribeMessage failed (${errMsg}${errCode === undefined ? '' : `, errCode ${errCode}`}); call it from a tap handler with template ids of this mini-program.`,
    );
    this.name = 'SubscribeRequestFailedError';
    this.errMsg = errMsg;
    this.errCode = errCode;
  }
}

/** The API refused a batch for good (a 4xx other than 401/408/413/429): retrying cannot help. */
export class CreditsDroppedError extends MinapushError {
  /** how many formIds or subscribe results were given up */
  readonly count: number;
  readonly refusal: ApiError;

  constructor(what: 'formIds' | 'subscribe results', count: number, refusal: ApiError) {
    super('credits_dropped', `Dropped ${count} ${what} that the API refused: ${refusal.message}`);
    this.name = 'CreditsDroppedError';
    this.count = count;
    this.refusal = refusal;
  }
}

/** wx.setStorageSync failed (storage full: 10 MB per mini-program); buffered credits live in memory only. */
export class StorageError extends MinapushError {
  constructor(key: string, detail: string) {
    super(
      'storage_failed',
      `Could not write ${key} to wx storage (${detail}); buffered credits are kept in memory only.`,
    );
    this.name = 'StorageError';
  }
}

export class InvalidArgumentError extends MinapushError {
  constructor(message: string) {
    super('invalid_argument', message);
    this.name = 'InvalidArgumentError';
  }
}
