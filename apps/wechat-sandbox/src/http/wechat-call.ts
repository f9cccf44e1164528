import { STATUS_CODES } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Request, Response } from 'express';
import type { FaultEffect, FaultEndpoint } from '../faults.js';
import type { SandboxApp } from '../state/app-state.js';
import { fail, WechatErrcode, type WechatOutcome, wechatFailure } from '../wechat-errors.js';

export interface WechatCall<T> {
  app: SandboxApp;
  endpoint: FaultEndpoint;
  /** the call's checks and effects; runs unless a fault answers instead */
  perform: () => WechatOutcome<T>;
  /**
   * the user a send goes to: while it is in flight (its fault's delay included), another send to
   * the same user is answered 43108, as WeChat does
   */
  user?: string | undefined;
}

function withinMinuteQuota(app: SandboxApp): boolean {
  const limit = app.settings.perMinuteLimit;
  return limit === undefined || app.counters.calls.tryAdd(app.now(), limit);
}

/** What an overloaded gateway in front of WeChat sends: an HTML page, not JSON. */
function answerHttpStatus(res: Response, effect: FaultEffect & { httpStatus: number }): void {
  res.status(effect.httpStatus);
  if (effect.errcode !== undefined) {
    res.json(wechatFailure(effect.errcode));
    return;
  }
  const title = `${effect.httpStatus} ${STATUS_CODES[effect.httpStatus] ?? ''}`.trim();
  res.type('html').send(`<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`);
}

/**
 * Runs one WeChat call of an app the way WeChat would answer it, with the app's faults applied:
 * a fault's delay comes first; `errcode` and `httpStatus` answer without performing the call;
 * `dropReply` performs it and then closes the connection without a word.
 */
export async function answerWechatCall<T>(
  req: Request,
  res: Response,
  random: () => number,
  call: WechatCall<T>,
): Promise<void> {
  const { user, app } = call;
  if (user === undefined) return answerInTurn(req, res, random, call);
  if (app.sendingTo.has(user)) {
    app.counters.concurrentSends += 1;
    res.json(wechatFailure(WechatErrcode.concurrentSendToUser));
    return;
  }
  app.sendingTo.add(user);
  try {
    await answerInTurn(req, res, random, call);
  } finally {
    app.sendingTo.delete(user);
  }
}

async function answerInTurn<T>(
  req: Request,
  res: Response,
  random: () => number,
  call: WechatCall<T>,
): Promise<void> {
  const effect = call.app.faults.nextEffect(call.endpoint, random);
  if (effect?.delayMs) await sleep(effect.delayMs);
  if (effect?.httpStatus !== undefined) {
    answerHttpStatus(res, { ...effect, httpStatus: effect.httpStatus });
    return;
  }
  if (effect?.errcode !== undefined) {
    res.json(wechatFailure(effect.errcode));
    return;
  }
  const outcome = withinMinuteQuota(call.app) ? call.perform() : fail(WechatErrcode.minuteQuotaReached);
  if (effect?.dropReply) {
    req.socket.destroy();
    return;
  }
  res.json(outcome.ok ? outcome.value : outcome.failure);
}
