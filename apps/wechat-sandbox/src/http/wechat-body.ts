import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { fail, WechatErrcode, type WechatOutcome, wechatFailure } from '../wechat-errors.js';

/** WeChat bodies are small; a bigger one is refused as a data format error, as WeChat does. */
export const WECHAT_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * WeChat reads the body as JSON whatever the Content-Type says (clients often send none or
 * text/plain), and answers 47001 when it is not JSON. Keeps the raw body for `readWechatBody`.
 */
export const wechatRawBody: RequestHandler = express.raw({
  type: () => true,
  limit: WECHAT_BODY_LIMIT_BYTES,
});

/** The JSON body, checked against the endpoint's schema; 47001 when it is not JSON or mistyped. */
export function readWechatBody<S extends z.ZodType>(req: Request, schema: S): WechatOutcome<z.infer<S>> {
  if (!Buffer.isBuffer(req.body) || req.body.length === 0) return fail(WechatErrcode.dataFormatError);
  let json: unknown;
  try {
    json = JSON.parse(req.body.toString('utf8'));
  } catch {
    return fail(WechatErrcode.dataFormatError);
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : fail(WechatErrcode.dataFormatError);
}

/** The HTTP status body-parser gives its errors (4xx for anything the client sent wrong). */
export function clientErrorStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/**
 * Body-reading failures on WeChat endpoints (too large, aborted, bad encoding) answer like WeChat:
 * HTTP 200 with 47001.
 */
export function wechatBodyErrorHandler(
  error: unknown,
  _req: Request,
  res: Response,
  next: NextFunction,
): void {
  const status = clientErrorStatus(error);
  if (status === undefined) {
    next(error);
    return;
  }
  const detail = status === 413 ? `body over ${WECHAT_BODY_LIMIT_BYTES} bytes` : undefined;
  res.json(wechatFailure(WechatErrcode.dataFormatError, detail));
}

/** A query parameter as WeChat reads it: one string, or absent (repeated parameters count as absent). */
export function queryText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
