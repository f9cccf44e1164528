// The reaction to each WeChat answer (the policy table of docs/send-policy.md), as pure functions
// of the answer and what is known of the message. Both send paths, the single-message job and the
// batch job, carry out these decisions and no others.
import type {
  AttemptOutcome,
  CreditSettlement,
  FinalMessageStatus,
  HeldCredit,
  LeasedMessage,
} from '@minapush/db';
import {
  CreditDeadError,
  InvalidRequestError,
  QuotaExceededError,
  type QuotaWindow,
  SendingBannedError,
  StaleTokenError,
  TEMPLATE_LEVEL_ERRCODES,
  type WechatResult,
} from '@minapush/wechat';

/** Stale-token retries per message: a third 40001 in a row means something else is wrong. */
export const MAX_STALE_TOKEN_RETRIES = 2;

/** WeChat's answer to a second send to a user while one is in flight. */
export const USER_BUSY_ERRCODE = 43108;
/** WeChat's answer when the app's sending capability or the template is banned. */
export const SENDING_BANNED_ERRCODE = 43107;

/** A WeChat answer to one send, reduced to what the policy needs. */
export type SendAnswer =
  | { kind: 'sent'; msgid?: string | undefined }
  | { kind: 'stale_token'; errcode?: number | undefined; errmsg: string }
  | { kind: 'credit_dead'; errcode: number; errmsg: string }
  | { kind: 'quota'; errcode: number; errmsg: string; window: QuotaWindow; retryAt: number }
  | { kind: 'outcome_unknown'; errmsg: string }
  | { kind: 'transient'; errcode?: number | undefined; errmsg: string }
  /** 43108: another send to this user was in flight; nothing was sent */
  | { kind: 'user_busy'; errcode: number; errmsg: string }
  /** 43107: the app's sending capability, or the template, is banned */
  | { kind: 'sending_banned'; errcode: number; errmsg: string }
  | { kind: 'refused'; errcode?: number | undefined; errmsg: string; templateLevel: boolean }
  /** WeChat was not called: no access_token could be had, or the lease ran out before the call */
  | { kind: 'not_called'; errmsg: string };

/** Reduces a client result to a policy answer; the client already classified every errcode. */
export function answerOf(result: WechatResult<{ msgid?: string | undefined }>): SendAnswer {
  if (result.ok) return { kind: 'sent', msgid: result.value.msgid };
  const { error } = result;
  if (error instanceof StaleTokenError)
    return { kind: 'stale_token', errcode: error.errcode, errmsg: error.message };
  if (error instanceof CreditDeadError)
    return { kind: 'credit_dead', errcode: error.errcode ?? 0, errmsg: error.message };
  if (error instanceof QuotaExceededError) {
    return {
      kind: 'quota',
      errcode: error.errcode ?? 0,
      errmsg: error.message,
      window: error.window,
      retryAt: error.retryAt.getTime(),
    };
  }
  if (error.errcode === USER_BUSY_ERRCODE)
    return { kind: 'user_busy', errcode: USER_BUSY_ERRCODE, errmsg: error.message };
  if (error instanceof SendingBannedError)
    return {
      kind: 'sending_banned',
      errcode: error.errcode ?? SENDING_BANNED_ERRCODE,
      errmsg: error.message,
    };
  if (error.category === 'outcome_unknown') return { kind: 'outcome_unknown', errmsg: error.message };
  if (error.category === 'retryable')
    return { kind: 'transient', errcode: error.errcode, errmsg: error.message };
  const templateLevel =
    error instanceof InvalidRequestError
      ? error.templateLevel
      : error.errcode !== undefined && TEMPLATE_LEVEL_ERRCODES.has(error.errcode);
  return { kind: 'refused', errcode: error.errcode, errmsg: error.message, templateLevel };
}

/** What the policy knows of a message when its answer comes. */
export interface SendState {
  kind: 'template' | 'subscribe';
  /** the credit the call used: a one-use formId, a three-use prepay_id or a subscribe accept */
  creditKind: HeldCredit['kind'];
  /** an earlier call with the credit held now got no answer: it may have been delivered */
  mayHaveSent: boolean;
  /** stale-token retries made in this run */
  staleRetries: number;
  /** this is the job's last attempt: a retry later is no longer possible */
  lastAttempt: boolean;
}

/** How the attempt of a call is closed; absent when WeChat was not called. */
export interface AttemptClose {
  outcome: AttemptOutcome;
  /** false for answers that are not a failed attempt (quota) */
  counts: boolean;
  errcode?: number | undefined;
  errmsg?: string | undefined;
}

export type SendDecision =
  /** the message is done */
  | {
      type: 'finish';
      status: FinalMessageStatus;
      attempt?: AttemptClose;
      credit: CreditSettlement;
      errcode?: number | undefined;
      errmsg?: string | undefined;
      /** a delivery: record when, and WeChat's msgid */
      delivered: boolean;
      msgid?: string | undefined;
      /** the template itself is at fault: counts towards pausing a broadcast */
      templateFailure: boolean;
      /** WeChat banned the app's sending (43107): pause its bulk lane and alert */
      sendingBanned?: true;
    }
  /** refresh the token (compare-and-swap on the one used) and send again at once */
  | { type: 'refresh_token'; attempt: AttemptClose }
  /** the credit is dead: take the user's next one and send again at once */
  | { type: 'next_credit'; attempt: AttemptClose; errcode: number }
  /**
   * another send to the user was in flight (43108): send again shortly, holding the credit; the
   * attempt is closed but is not a failed one
   */
  | { type: 'call_again_shortly'; attempt: AttemptClose; errmsg: string }
  /** give the message back, holding its credit, for a later run (backoff) */
  | { type: 'retry_later'; attempt?: AttemptClose; errcode?: number | undefined; errmsg: string }
  /** WeChat's quota: pause the whole app until `untilMs`; the message waits, holding its credit */
  | { type: 'pause_app'; attempt: AttemptClose; window: QuotaWindow; untilMs: number; errcode: number };

const retryOrGiveUp = (
  state: SendState,
  reason: { errcode?: number | undefined; errmsg: string },
  attempt?: AttemptClose,
): SendDecision => {
  if (!state.lastAttempt) return { type: 'retry_later', attempt, ...reason };
  if (state.mayHaveSent) {
    return {
      type: 'finish',
      status: 'unknown',
      attempt,
      credit: 'keep',
      errcode: reason.errcode,
      errmsg: `${reason.errmsg}; an earlier attempt may have been delivered`,
      delivered: false,
      templateFailure: false,
    };
  }
  // No call went out with certainty, so WeChat did not consume the credit: it goes back.
  return {
    type: 'finish',
    status: 'failed',
    attempt,
    credit: 'return',
    errcode: reason.errcode,
    errmsg: reason.errmsg,
    delivered: false,
    templateFailure: false,
  };
};

/** The reaction to one answer: docs/send-policy.md's table "On a send", row by row. */
export function decideAnswer(answer: SendAnswer, state: SendState): SendDecision {
  switch (answer.kind) {
    case 'sent':
      return {
        type: 'finish',
        status: 'sent',
        attempt: { outcome: 'sent', counts: true },
        credit: 'keep',
        delivered: true,
        msgid: answer.msgid,
        templateFailure: false,
      };
    case 'stale_token': {
      const attempt: AttemptClose = {
        outcome: 'rejected',
        counts: true,
        errcode: answer.errcode,
        errmsg: answer.errmsg,
      };
      if (state.staleRetries < MAX_STALE_TOKEN_RETRIES) return { type: 'refresh_token', attempt };
      return retryOrGiveUp(
        state,
        { errcode: answer.errcode, errmsg: 'the access_token stayed stale' },
        attempt,
      );
    }
    case 'credit_dead': {
      const attempt: AttemptClose = {
        outcome: 'rejected',
        counts: true,
        errcode: answer.errcode,
        errmsg: answer.errmsg,
      };
      if (answer.errcode === 43101) {
        return {
          type: 'finish',
          status: 'failed',
          attempt,
          credit: 'drop_template',
          errcode: 43101,
          errmsg: 'the user refused or unsubscribed this template',
          delivered: false,
          templateFailure: false,
        };
      }
      // 41029 on a retry with the very formId whose earlier call got no answer: that call went
      // through. Only a one-use formId proves it: a prepay_id's 41029 says its three uses are gone.
      if (answer.errcode === 41029 && state.mayHaveSent && state.creditKind === 'form_id') {
        return {
          type: 'finish',
          status: 'sent',
          attempt,
          credit: 'keep',
          errmsg: 'delivered by an earlier attempt whose reply was lost (41029 on the retry)',
          delivered: true,
          templateFailure: false,
        };
      }
      return { type: 'next_credit', attempt, errcode: answer.errcode };
    }
    case 'quota':
      return {
        type: 'pause_app',
        attempt: { outcome: 'rejected', counts: false, errcode: answer.errcode, errmsg: answer.errmsg },
        window: answer.window,
        untilMs: answer.retryAt,
        errcode: answer.errcode,
      };
    case 'outcome_unknown': {
      const attempt: AttemptClose = { outcome: 'unknown', counts: true, errmsg: answer.errmsg };
      // A subscribe message is never resent: each resend could deliver again. Nor is a message on
      // a prepay_id: its next use would deliver it again, and WeChat answers no 41029 that could
      // prove the lost call landed. The use stays counted as spent: WeChat may have taken it.
      if (state.kind === 'subscribe' || state.creditKind === 'prepay_id') {
        return {
          type: 'finish',
          status: 'unknown',
          attempt,
          credit: 'keep',
          errmsg:
            state.kind === 'subscribe'
              ? 'the reply was lost; a subscribe message is never resent'
              : 'the reply was lost; a message on a prepay_id is never resent (its next use would deliver it again)',
          delivered: false,
          templateFailure: false,
        };
      }
      // A template message on a one-use formId retries with the SAME formId: a 41029 then proves delivery.
      return retryOrGiveUp(
        { ...state, mayHaveSent: true },
        { errmsg: 'the reply was lost; retrying with the same formId' },
        attempt,
      );
    }
    case 'transient':
      return retryOrGiveUp(
        state,
        { errcode: answer.errcode, errmsg: `WeChat is unavailable: ${answer.errmsg}` },
        { outcome: 'transient', counts: true, errcode: answer.errcode, errmsg: answer.errmsg },
      );
    case 'user_busy':
      // WeChat refused the call before doing anything: neither an attempt that failed nor a use
      // of the credit. It is sent again once the other send to the user has finished.
      return {
        type: 'call_again_shortly',
        attempt: { outcome: 'transient', counts: false, errcode: USER_BUSY_ERRCODE, errmsg: answer.errmsg },
        errmsg: answer.errmsg,
      };
    case 'sending_banned':
      // WeChat refused the send without delivering it, so the use goes back to the user; the ban
      // is the app's (or the template's), not the user's, and every other send would meet it too.
      return {
        type: 'finish',
        status: 'failed',
        attempt: { outcome: 'rejected', counts: true, errcode: answer.errcode, errmsg: answer.errmsg },
        credit: state.mayHaveSent ? 'keep' : 'return',
        errcode: answer.errcode,
        errmsg: answer.errmsg,
        delivered: false,
        templateFailure: false,
        sendingBanned: true,
      };
    case 'refused':
      // 45168 (sensitive words) is among these: WeChat checks the content before anything is
      // delivered, and its documents say nothing of a use being spent on a refused send (as for
      // 47003, whose credit comes back): the use is given back rather than lost on a guess.
      // The request itself is wrong (40003, 40037, 41030, 47003, 48001, a retired API…): WeChat
      // refused it without consuming the credit, so the use goes back to the user's pool.
      return {
        type: 'finish',
        status: 'failed',
        attempt: { outcome: 'rejected', counts: true, errcode: answer.errcode, errmsg: answer.errmsg },
        credit: state.mayHaveSent ? 'keep' : 'return',
        errcode: answer.errcode,
        errmsg: answer.errmsg,
        delivered: false,
        templateFailure: answer.templateLevel,
      };
    case 'not_called':
      return retryOrGiveUp(state, { errmsg: answer.errmsg });
  }
}

/** How a leased message starts: finished or released without a call, or called. */
export type StartDecision =
  | {
      type: 'finish';
      status: FinalMessageStatus;
      credit: CreditSettlement;
      errmsg: string;
      delivered: boolean;
    }
  /** a message of a paused broadcast waits, queued, for the broadcast's resume */
  | { type: 'release'; credit: CreditSettlement }
  | { type: 'call'; mayHaveSent: boolean };

/**
 * The first decision on a leased message, from what earlier runs did and its broadcast's status.
 * `leaseMessages` claims a credit only for the messages this answers `call` for (or `skipped`).
 */
export function decideStart(message: LeasedMessage): StartDecision {
  const { history, credit } = message;
  if (history.sent) {
    return {
      type: 'finish',
      status: 'sent',
      credit: 'keep',
      errmsg: 'sent by an earlier run that stopped before recording it',
      delivered: true,
    };
  }
  // A subscribe message whose earlier call may have been delivered is never sent again.
  if (message.kind === 'subscribe' && history.unknown) {
    return {
      type: 'finish',
      status: 'unknown',
      credit: 'keep',
      errmsg: 'an earlier attempt may have been delivered (its reply was lost); not resent',
      delivered: false,
    };
  }
  // Nor is a template message whose earlier call with its prepay_id got no answer (as above).
  if (history.unknownWithPrepayId) {
    return {
      type: 'finish',
      status: 'unknown',
      credit: 'keep',
      errmsg: 'an earlier attempt on a prepay_id may have been delivered (its reply was lost); not resent',
      delivered: false,
    };
  }
  // A credit goes back to the user unless a call with it may have been delivered (got no reply):
  // WeChat answered every other call (-1, a stale token, a quota) without taking the use.
  const creditUsed = credit === null || history.unknownWithHeldCredit;
  if (message.broadcastStatus === 'cancelled') return decideUnsent('broadcast_cancelled', creditUsed);
  if (message.broadcastStatus === 'paused') return decideUnsent('broadcast_paused', creditUsed);
  if (!credit) return decideNoCredit(message);
  return { type: 'call', mayHaveSent: history.unknownWithHeldCredit };
}

/** The user has no usable credit for the message (left, after `errcode` killed the last one). */
export function decideNoCredit(
  message: Pick<LeasedMessage, 'kind' | 'templateId'>,
  errcode?: number,
): Extract<StartDecision, { type: 'finish' }> & { errcode?: number | undefined } {
  return {
    type: 'finish',
    status: 'skipped',
    credit: 'keep',
    errcode,
    errmsg:
      message.kind === 'template'
        ? 'the user has no usable formId or prepay_id'
        : `the user has no accepted subscription to template ${message.templateId}`,
    delivered: false,
  };
}

/** Why a run stopped calling before it got to some of its messages. */
export type RunStop =
  /** WeChat's quota paused the app: the message waits, holding its credit */
  | 'app_paused'
  /** the dispatcher is shutting down: the message waits for another run, holding its credit */
  | 'shutdown'
  /** the broadcast was paused: the message waits for its resume, its unused credit given back */
  | 'broadcast_paused'
  /** the broadcast was cancelled: the message is cancelled, its unused credit given back */
  | 'broadcast_cancelled'
  /**
   * the broadcast's quiet hours began: the message waits for their end without holding its unused
   * credit, which another message may need meanwhile (it claims one again when it is sent)
   */
  | 'quiet_hours';

/**
 * Why a message was not called while the run went on: another send to its user stayed in flight
 * (the per-user lock, or WeChat's 43108) through every short wait of the run.
 */
export type UnsentReason = RunStop | 'user_busy';

/**
 * What becomes of a message a run did not call because it stopped first, or because its user
 * stayed busy; `creditUsed` says whether an earlier call with the credit it holds got no reply
 * (WeChat may have taken its use).
 */
export function decideUnsent(
  stop: UnsentReason,
  creditUsed: boolean,
): Exclude<StartDecision, { type: 'call' }> {
  const unusedCredit: CreditSettlement = creditUsed ? 'keep' : 'return';
  switch (stop) {
    case 'app_paused':
    case 'shutdown':
    // a user busy with another send: the message goes again in a moment, its credit held
    case 'user_busy':
      return { type: 'release', credit: 'keep' };
    case 'broadcast_paused':
    case 'quiet_hours':
      return { type: 'release', credit: unusedCredit };
    case 'broadcast_cancelled':
      return {
        type: 'finish',
        status: 'cancelled',
        credit: unusedCredit,
        errmsg: 'the broadcast was cancelled',
        delivered: false,
      };
  }
}
