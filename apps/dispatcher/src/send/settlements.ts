import type { SendSettlement } from '@minapush/db';
import type { SendDecision, StartDecision } from './send-policy.js';

/** The write that carries out a start decision that makes no call. */
export function settleStart(
  messageId: string,
  decision: Exclude<StartDecision, { type: 'call' }> & { errcode?: number | undefined },
  now: Date,
): SendSettlement {
  if (decision.type === 'release') {
    return { messageId, countsAttempt: false, status: 'queued', credit: decision.credit };
  }
  return {
    messageId,
    countsAttempt: false,
    status: decision.status,
    credit: decision.credit,
    errcode: 'errcode' in decision ? decision.errcode : undefined,
    errmsg: decision.errmsg,
    ...(decision.delivered ? { sentAt: now } : {}),
  };
}

/**
 * The write that carries out a decision on a call's answer: the attempt closed, the message
 * finished, released (`queued`) or kept for this run's next call (`sending`), the credit settled.
 */
export function settleAnswer(
  messageId: string,
  attemptId: bigint | undefined,
  decision: SendDecision,
  now: Date,
): SendSettlement {
  const attempt =
    decision.attempt && attemptId !== undefined
      ? {
          attempt: {
            id: attemptId,
            outcome: decision.attempt.outcome,
            errcode: decision.attempt.errcode,
            errmsg: decision.attempt.errmsg,
          },
        }
      : {};
  const countsAttempt = decision.attempt?.counts ?? false;
  switch (decision.type) {
    case 'finish':
      return {
        messageId,
        ...attempt,
        countsAttempt,
        status: decision.status,
        credit: decision.credit,
        errcode: decision.errcode,
        errmsg: decision.errmsg,
        ...(decision.delivered ? { sentAt: now, msgid: decision.msgid } : {}),
      };
    // both call again with the same credit: the message stays `sending` under its lease
    case 'refresh_token':
    case 'call_again_shortly':
      return {
        messageId,
        ...attempt,
        countsAttempt,
        status: 'sending',
        credit: 'keep',
        errcode: decision.attempt.errcode,
        errmsg: decision.attempt.errmsg,
      };
    case 'next_credit':
      return {
        messageId,
        ...attempt,
        countsAttempt,
        status: 'sending',
        credit: 'dead',
        errcode: decision.errcode,
        errmsg: decision.attempt.errmsg,
      };
    case 'retry_later':
      return {
        messageId,
        ...attempt,
        countsAttempt,
        status: 'queued',
        credit: 'keep',
        errcode: decision.errcode,
        errmsg: decision.errmsg,
      };
    case 'pause_app':
      return {
        messageId,
        ...attempt,
        countsAttempt,
        status: 'queued',
        credit: 'keep',
        errcode: decision.errcode,
        errmsg: decision.attempt.errmsg,
      };
  }
}
