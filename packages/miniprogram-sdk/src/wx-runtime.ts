import { NetworkError, WxUnavailableError } from './errors.js';

/**
 * The part of the mini-program `wx` API the SDK calls. The real `wx` fits it; tests and other
 * runtimes may pass any object that does.
 */
export interface WxRuntime {
  login(options: {
    timeout?: number;
    success?: (result: { code: string }) => void;
    fail?: (error: { errMsg: string }) => void;
  }): unknown;
  request(options: {
    url: string;
    method?: 'POST';
    data?: string | Record<string, unknown>;
    header?: Record<string, string>;
    dataType?: 'json';
    timeout?: number;
    success?: (result: { statusCode: number; data: unknown; header: Record<string, unknown> }) => void;
    fail?: (error: { errMsg: string }) => void;
  }): unknown;
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, data: unknown): void;
  removeStorageSync(key: string): void;
  requestSubscribeMessage(options: {
    tmplIds: string[];
    success?: (result: Record<string, string>) => void;
    fail?: (error: { errMsg: string; errCode?: number }) => void;
  }): unknown;
}

/** The given runtime, else the mini-program's global `wx`, looked up now rather than at import. */
export function resolveWx(given: WxRuntime | undefined): WxRuntime {
  if (given) return given;
  if (typeof wx === 'undefined') throw new WxUnavailableError();
  const runtime: WxRuntime = wx;
  return runtime;
}

export type HttpReply =
  | { ok: true; status: number; body: unknown; header: Record<string, unknown> }
  | { ok: false; error: NetworkError };

/** POSTs JSON and resolves with the answer or the network failure; never rejects. */
export function postJson(
  runtime: WxRuntime,
  url: string,
  body: Record<string, unknown>,
  options: { token?: string; timeoutMs: number },
): Promise<HttpReply> {
  const header: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) header.authorization = `Bearer ${options.token}`;
  return new Promise<HttpReply>((resolve) => {
    try {
      runtime.request({
        url,
        method: 'POST',
        data: body,
        header,
        dataType: 'json',
        timeout: options.timeoutMs,
        success: (result) =>
          resolve({ ok: true, status: result.statusCode, body: result.data, header: result.header || {} }),
        fail: (error) => resolve({ ok: false, error: new NetworkError(errMsgOf(error, 'request:fail')) }),
      });
    } catch (error) {
      resolve({ ok: false, error: new NetworkError(errMsgOf(error, 'request threw')) });
    }
  });
}

export type LoginCode = { ok: true; code: string } | { ok: false; errMsg: string };

/** wx.login as a promise that never rejects. */
export function requestLoginCode(runtime: WxRuntime, timeoutMs: number): Promise<LoginCode> {
  return new Promise<LoginCode>((resolve) => {
    try {
      runtime.login({
        timeout: timeoutMs,
        success: (result) =>
          result && typeof result.code === 'string' && result.code !== ''
            ? resolve({ ok: true, code: result.code })
            : resolve({ ok: false, errMsg: 'login:ok without a code' }),
        fail: (error) => resolve({ ok: false, errMsg: errMsgOf(error, 'login:fail') }),
      });
    } catch (error) {
      resolve({ ok: false, errMsg: errMsgOf(error, 'wx.login threw') });
    }
  });
}

export type SubscribeAnswer =
  | { ok: true; results: Record<string, string> }
  | { ok: false; errMsg: string; errCode: number | undefined };

/**
 * wx.requestSubscribeMessage as a promise that never rejects. The call to wx happens before this
 * returns: WeChat only shows the dialog when it is called synchronously from a tap.
 */
export function askToSubscribe(runtime: WxRuntime, templateIds: string[]): Promise<SubscribeAnswer> {
  return new Promise<SubscribeAnswer>((resolve) => {
    try {
      runtime.requestSubscribeMessage({
        tmplIds: templateIds,
        success: (results) => resolve({ ok: true, results: results || {} }),
        fail: (error) =>
          resolve({
            ok: false,
            errMsg: errMsgOf(error, 'requestSubscribeMessage:fail'),
            errCode: error && typeof error.errCode === 'number' ? error.errCode : undefined,
          }),
      });
    } catch (error) {
      resolve({ ok: false, errMsg: errMsgOf(error, 'wx.requestSubscribeMessage threw'), errCode: undefined });
    }
  });
}

function errMsgOf(error: unknown, fallback: string): string {
  if (error && typeof error === 'object') {
    const { errMsg, message } = error as { errMsg?: unknown; message?: unknown };
    if (typeof errMsg === 'string' && errMsg !== '') return errMsg;
    if (typeof message === 'string' && message !== '') return message;
  }
  return fallback;
}
