import type { LeasedMessage } from '@minapush/db';
import { errorForErrcode } from '@minapush/wechat';
import { describe, expect, it } from 'vitest';
import {
  answerOf,
  decideAnswer,
  decideStart,
  decideUnsent,
  MAX_STALE_TOKEN_RETRIES,
  type SendAnswer,
  type SendState,
} from './send-policy.js';

const template: SendState = {
  kind: 'template',
  creditKind: 'form_id',
  mayHaveSent: false,
  staleRetries: 0,
  lastAttempt: false,
};
const prepay: SendState = { ...template, creditKind: 'prepay_id' };
const subscribe: SendState = { ...template, kind: 'subscribe', creditKind: 'subscribe' };
const last = (state: SendState): SendState => ({ ...state, lastAttempt: true });

const refused = (errcode: number, templateLevel = false): SendAnswer => ({
  kind: 'refused',
  errcode,
  errmsg: `errcode ${errcode}`,
  templateLevel,
});

describe('decideAnswer: the policy table of docs/send-policy.md', () => {
  it('0: sent, the credit spent, the msgid kept', () => {
    expect(decideAnswer({ kind: 'sent', msgid: '42' }, template)).toMatchObject({
      type: 'finish',
      status: 'sent',
      credit: 'keep',
      delivered: true,
      msgid: '42',
      attempt: { outcome: 'sent', counts: true },
    });
  });

  it.each([40001, 40014, 42001])('%i: refresh the token and send again at once, twice at most', (errcode) => {
    const answer: SendAnswer = { kind: 'stale_token', errcode, errmsg: 'stale' };
    expect(decideAnswer(answer, template)).toMatchObject({
      type: 'refresh_token',
      attempt: { outcome: 'rejected' },
    });
    expect(decideAnswer(answer, { ...template, staleRetries: MAX_STALE_TOKEN_RETRIES - 1 }).type).toBe(
      'refresh_token',
    );
    const third = decideAnswer(answer, { ...template, staleRetries: MAX_STALE_TOKEN_RETRIES });
    expect(third).toMatchObject({ type: 'retry_later', errmsg: 'the access_token stayed stale' });
    expect(decideAnswer(answer, last({ ...template, staleRetries: MAX_STALE_TOKEN_RETRIES }))).toMatchObject({
      type: 'finish',
      status: 'failed',
      credit: 'return',
    });
  });

  it('41028: the credit is dead, take the next one', () => {
    expect(decideAnswer({ kind: 'credit_dead', errcode: 41028, errmsg: '' }, template)).toMatchObject({
      type: 'next_credit',
      errcode: 41028,
      attempt: { outcome: 'rejected', counts: true },
    });
  });

  it('41029: the formId was used elsewhere (next credit), or by our own lost call (sent)', () => {
    const answer: SendAnswer = { kind: 'credit_dead', errcode: 41029, errmsg: '' };
    expect(decideAnswer(answer, template).type).toBe('next_credit');
    expect(decideAnswer(answer, { ...template, mayHaveSent: true })).toMatchObject({
      type: 'finish',
      status: 'sent',
      credit: 'keep',
      delivered: true,
    });
    // a prepay_id's 41029 says its uses are gone, not that our lost call was one of them
    expect(decideAnswer(answer, { ...prepay, mayHaveSent: true }).type).toBe('next_credit');
  });

  it('43101: failed, and every credit of the user for that template dropped', () => {
    expect(decideAnswer({ kind: 'credit_dead', errcode: 43101, errmsg: '' }, subscribe)).toMatchObject({
      type: 'finish',
      status: 'failed',
      credit: 'drop_template',
      errcode: 43101,
      templateFailure: false,
    });
  });

  it.each([40003, 40037, 41030, 47003, 48001, 45103, 45109])(
    '%i: the request is wrong: failed, no retry, the unused credit given back',
    (errcode) => {
      const templateLevel = [40037, 41030, 47003, 48001].includes(errcode);
      expect(decideAnswer(refused(errcode, templateLevel), template)).toMatchObject({
        type: 'finish',
        status: 'failed',
        credit: 'return',
        errcode,
        templateFailure: templateLevel,
      });
      // a credit an earlier lost call may have consumed is not given back
      expect(decideAnswer(refused(errcode, templateLevel), { ...template, mayHaveSent: true })).toMatchObject(
        {
          credit: 'keep',
        },
      );
    },
  );

  it('45168: the content has words WeChat blocks: failed, no retry, an errmsg naming the content, the credit given back', () => {
    const answer = answerOf({
      ok: false,
      error: errorForErrcode('subscribe_send', 45168, 'keyword blocked'),
    });
    expect(answer).toMatchObject({ kind: 'refused', errcode: 45168, templateLevel: true });
    const decision = decideAnswer(answer, subscribe);
    expect(decision).toMatchObject({
      type: 'finish',
      status: 'failed',
      credit: 'return',
      errcode: 45168,
      attempt: { outcome: 'rejected', counts: true },
      // the same data goes to every user of a broadcast: 3 in a row pause it
      templateFailure: true,
    });
    if (decision.type !== 'finish') throw new Error('finish expected');
    expect(decision.errmsg).toMatch(/content contains words WeChat blocks/);
    expect(decision.errmsg).toMatch(/user and the credit are not at fault/);
    expect(decision.sendingBanned).toBeUndefined();
  });

  it("43107: sending banned: failed with the errcode, the credit given back, the app's bulk lane to pause", () => {
    const answer = answerOf({ ok: false, error: errorForErrcode('subscribe_send', 43107, 'banned') });
    expect(answer).toMatchObject({ kind: 'sending_banned', errcode: 43107 });
    for (const state of [subscribe, last(subscribe)]) {
      expect(decideAnswer(answer, state)).toMatchObject({
        type: 'finish',
        status: 'failed',
        credit: 'return',
        errcode: 43107,
        attempt: { outcome: 'rejected', counts: true },
        templateFailure: false,
        sendingBanned: true,
      });
    }
    expect(decideAnswer(answer, { ...template, mayHaveSent: true })).toMatchObject({ credit: 'keep' });
  });

  it('43108: another send to the user is in flight: send again shortly, the credit held, not a failed attempt', () => {
    const answer = answerOf({ ok: false, error: errorForErrcode('subscribe_send', 43108, 'concurrent') });
    expect(answer).toMatchObject({ kind: 'user_busy' });
    // also on the job's last attempt: nothing was sent and nothing failed
    for (const state of [subscribe, last(subscribe), template, { ...template, mayHaveSent: true }]) {
      expect(decideAnswer(answer, state)).toMatchObject({
        type: 'call_again_shortly',
        attempt: { outcome: 'transient', counts: false, errcode: 43108 },
      });
    }
    // -1 is still a failed attempt
    expect(answerOf({ ok: false, error: errorForErrcode('subscribe_send', -1, 'busy') })).toMatchObject({
      kind: 'transient',
    });
  });

  it('-1, HTTP 5xx, connection errors: retry later, then fail giving the credit back', () => {
    const answer: SendAnswer = { kind: 'transient', errcode: -1, errmsg: 'busy' };
    expect(decideAnswer(answer, template)).toMatchObject({
      type: 'retry_later',
      attempt: { outcome: 'transient', counts: true },
    });
    expect(decideAnswer(answer, last(template))).toMatchObject({
      type: 'finish',
      status: 'failed',
      credit: 'return',
    });
    expect(decideAnswer(answer, last({ ...template, mayHaveSent: true }))).toMatchObject({
      type: 'finish',
      status: 'unknown',
      credit: 'keep',
    });
  });

  it('a lost reply: a message on a formId retries with the same formId; one on a prepay_id or a subscribe accept is never resent', () => {
    const answer: SendAnswer = { kind: 'outcome_unknown', errmsg: 'timeout' };
    expect(decideAnswer(answer, template)).toMatchObject({
      type: 'retry_later',
      attempt: { outcome: 'unknown' },
    });
    expect(decideAnswer(answer, last(template))).toMatchObject({
      type: 'finish',
      status: 'unknown',
      credit: 'keep',
    });
    expect(decideAnswer(answer, subscribe)).toMatchObject({
      type: 'finish',
      status: 'unknown',
      credit: 'keep',
      attempt: { outcome: 'unknown' },
    });
    // a prepay_id's next use would deliver again: unknown at once, its use counted as spent
    expect(decideAnswer(answer, prepay)).toMatchObject({
      type: 'finish',
      status: 'unknown',
      credit: 'keep',
      delivered: false,
      attempt: { outcome: 'unknown', counts: true },
    });
  });

  it('45011 and 45009: pause the app until the window ends, not a failed attempt', () => {
    for (const window of ['per_minute', 'daily'] as const) {
      const answer: SendAnswer = { kind: 'quota', errcode: 45011, errmsg: '', window, retryAt: 1_000 };
      expect(decideAnswer(answer, last(template))).toMatchObject({
        type: 'pause_app',
        window,
        untilMs: 1_000,
        attempt: { outcome: 'rejected', counts: false },
      });
    }
  });

  it('WeChat not called (no token): retry later, then fail giving the credit back, without an attempt', () => {
    const answer: SendAnswer = { kind: 'not_called', errmsg: 'no access_token' };
    expect(decideAnswer(answer, template)).toEqual({ type: 'retry_later', errmsg: 'no access_token' });
    expect(decideAnswer(answer, last(template))).toMatchObject({
      type: 'finish',
      status: 'failed',
      credit: 'return',
    });
  });
});

function leased(overrides: Partial<LeasedMessage> = {}): LeasedMessage {
  return {
    id: 'm-1',
    appId: 'wx-app',
    openid: 'o-1',
    kind: 'template',
    templateId: 't-1',
    data: {},
    page: null,
    emphasisKeyword: null,
    miniprogramState: null,
    lang: null,
    broadcastId: null,
    broadcastStatus: null,
    batchId: null,
    credit: { id: 1n, kind: 'form_id', formId: 'f-1' },
    history: {
      sent: false,
      unknown: false,
      unknownWithHeldCredit: false,
      unknownWithPrepayId: false,
    },
    createdAt: new Date(0),
    ...overrides,
  };
}
const history = (h: Partial<LeasedMessage['history']>) => ({ ...leased().history, ...h });

describe('decideStart: what earlier runs did decides before any call', () => {
  it('calls a message with a credit, knowing whether its credit may already have delivered', () => {
    expect(decideStart(leased())).toEqual({ type: 'call', mayHaveSent: false });
    expect(decideStart(leased({ history: history({ unknown: true, unknownWithHeldCredit: true }) }))).toEqual(
      {
        type: 'call',
        mayHaveSent: true,
      },
    );
  });

  it('finishes as sent a message an earlier run delivered but did not record', () => {
    expect(decideStart(leased({ history: history({ sent: true }) }))).toMatchObject({
      type: 'finish',
      status: 'sent',
      delivered: true,
    });
  });

  it('never calls a subscribe message again once a call may have delivered it', () => {
    expect(decideStart(leased({ kind: 'subscribe', history: history({ unknown: true }) }))).toMatchObject({
      type: 'finish',
      status: 'unknown',
    });
  });

  it('never calls a message again once a call on its prepay_id may have delivered it', () => {
    const unknownOnPrepay = history({
      unknown: true,
      unknownWithHeldCredit: true,
      unknownWithPrepayId: true,
    });
    for (const credit of [{ id: 1n, kind: 'prepay_id' as const, formId: 'p-1' }, null]) {
      expect(decideStart(leased({ credit, history: unknownOnPrepay }))).toMatchObject({
        type: 'finish',
        status: 'unknown',
        credit: 'keep',
        delivered: false,
      });
    }
    // nor when its broadcast was cancelled since: the message may have been delivered
    expect(
      decideStart(leased({ broadcastId: 'b', broadcastStatus: 'cancelled', history: unknownOnPrepay })),
    ).toMatchObject({ status: 'unknown', credit: 'keep' });
  });

  it('skips a user without a usable credit', () => {
    expect(decideStart(leased({ credit: null }))).toMatchObject({ type: 'finish', status: 'skipped' });
  });

  it('cancels a message of a cancelled broadcast and gives its unused credit back', () => {
    expect(decideStart(leased({ broadcastId: 'b', broadcastStatus: 'cancelled' }))).toMatchObject({
      type: 'finish',
      status: 'cancelled',
      credit: 'return',
    });
    // only a call with it that got no reply may have taken its use
    expect(
      decideStart(
        leased({
          broadcastId: 'b',
          broadcastStatus: 'cancelled',
          history: history({ unknown: true, unknownWithHeldCredit: true }),
        }),
      ),
    ).toMatchObject({ credit: 'keep' });
  });

  it('leaves a message of a paused broadcast queued', () => {
    expect(decideStart(leased({ broadcastId: 'b', broadcastStatus: 'paused' }))).toEqual({
      type: 'release',
      credit: 'return',
    });
  });
});

describe('decideUnsent: a run that stops before calling', () => {
  it('keeps the credit with the message while the app is paused or the process stops', () => {
    expect(decideUnsent('app_paused', false)).toEqual({ type: 'release', credit: 'keep' });
    expect(decideUnsent('shutdown', false)).toEqual({ type: 'release', credit: 'keep' });
  });

  it('keeps the credit with a message whose user stayed busy with another send, for a retry shortly', () => {
    expect(decideUnsent('user_busy', false)).toEqual({ type: 'release', credit: 'keep' });
    expect(decideUnsent('user_busy', true)).toEqual({ type: 'release', credit: 'keep' });
  });

  it('gives an unused credit back when the broadcast is paused or cancelled', () => {
    expect(decideUnsent('broadcast_paused', false)).toEqual({ type: 'release', credit: 'return' });
    expect(decideUnsent('broadcast_cancelled', false)).toMatchObject({
      status: 'cancelled',
      credit: 'return',
    });
    expect(decideUnsent('broadcast_cancelled', true)).toMatchObject({ credit: 'keep' });
  });

  it('gives an unused credit back while the quiet hours hold the message, and keeps one that may be spent', () => {
    expect(decideUnsent('quiet_hours', false)).toEqual({ type: 'release', credit: 'return' });
    expect(decideUnsent('quiet_hours', true)).toEqual({ type: 'release', credit: 'keep' });
  });
});
