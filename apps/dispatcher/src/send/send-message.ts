import {
  type ClaimedCredit,
  claimCredit,
  type Database,
  dropTemplateCredits,
  type FinalMessageStatus,
  finishMessage,
  type LeasedMessage,
  listAttempts,
  markCreditDead,
  recordAttemptOutcome,
  recordAttemptStart,
  releaseMessageLease,
  returnCreditUse,
  takeMessageLease,
} from '@minapush/db';
import type { TokenService } from '@minapush/tokens';
import {
  CreditDeadError,
  QuotaExceededError,
  type QuotaWindow,
  StaleTokenError,
  type WechatClient,
  type WechatError,
  type WechatResult,
} from '@minapush/wechat';

/** How a send ended, for the worker: finish the job, retry it with backoff, or pause the app's queue. */
export type SendOutcome =
  | {
      type: 'finished';
      status: FinalMessageStatus;
      errcode?: number | undefined;
      /** set for a message of a broadcast, whose progress the worker then records */
      broadcastId?: string | undefined;
    }
  | { type: 'not_taken' }
  | { type: 'retry_later'; reason: string }
  | { type: 'pause_app'; untilMs: number; window: QuotaWindow };

export interface SendMessageDeps {
  db: Database;
  wechat: Pick<WechatClient, 'sendTemplateMessage' | 'sendSubscribeMessage'>;
  tokens: Pick<TokenService, 'getToken' | 'refreshTokenIfStale'>;
  /** this worker's identity in message leases */
  owner: string;
  leaseMs: number;
  /** credits expiring sooner than this are not used */
  creditExpiryMarginMs: number;
  now: () => number;
}

/** Stale-token retries per message: a third 40001 in a row means something else is wrong. */
const MAX_STALE_TOKEN_RETRIES = 2;
/** Bounds the credit-after-dead-credit loop of one run; the next run goes on from there. */
const MAX_CALLS_PER_RUN = 20;

type Held = Pick<ClaimedCredit, 'id' | 'formId'>;

/**
 * Sends one message with one credit, reacting to each WeChat answer as the policy table of
 * wechat-platform.md says. The message row is the source of truth: whoever holds its lease sends,
 * every call is recorded before it leaves, and a credit's use is given back only when WeChat
 * certainly did not consume it.
 */
export async function sendMessage(
  deps: SendMessageDeps,
  messageId: string,
  options: { lastAttempt: boolean },
): Promise<SendOutcome> {
  const { db, owner } = deps;
  const message = await takeMessageLease(db, {
    messageId,
    owner,
    leaseMs: deps.leaseMs,
    now: new Date(deps.now()),
  });
  if (!message) return { type: 'not_taken' };

  const finish = async (
    status: FinalMessageStatus,
    extra: { errcode?: number | undefined; errmsg?: string; sentAt?: Date } = {},
  ): Promise<SendOutcome> => {
    await finishMessage(db, {
      messageId,
      owner,
      status,
      errcode: extra.errcode ?? null,
      errmsg: extra.errmsg ?? null,
      ...(extra.sentAt ? { sentAt: extra.sentAt } : {}),
    });
    return {
      type: 'finished',
      status,
      errcode: extra.errcode,
      ...(message.broadcastId ? { broadcastId: message.broadcastId } : {}),
    };
  };

  // What earlier runs did: a worker that died after a call leaves its record behind.
  const attempts = await listAttempts(db, messageId);
  if (attempts.some((attempt) => attempt.outcome === 'sent')) {
    return finish('sent', { errmsg: 'sent by an earlier run that stopped before recording it' });
  }
  // A subscribe message whose earlier call may have been delivered is never sent again.
  if (message.kind === 'subscribe' && attempts.some((attempt) => attempt.outcome === 'unknown')) {
    return finish('unknown', {
      errmsg: 'an earlier attempt may have been delivered (its reply was lost); not resent',
    });
  }

  // A broadcast's status is read with the lease: a cancelled one sends nothing more, and a paused
  // one leaves its messages queued (the sweeper gives them a job again later) without using a credit.
  if (message.broadcastStatus === 'cancelled') {
    // A credit taken by an earlier run that never reached WeChat goes back to the user.
    const held = message.credit;
    if (held && !attempts.some((attempt) => attempt.creditId === held.id)) {
      await returnCreditUse(db, { creditId: held.id, messageId });
    }
    return finish('cancelled', { errmsg: 'the broadcast was cancelled' });
  }
  if (message.broadcastStatus === 'paused') {
    await releaseMessageLease(db, { messageId, owner });
    return { type: 'not_taken' };
  }

  let credit: Held | undefined =
    message.credit && message.credit.state !== 'dead' ? message.credit : undefined;
  // A template message that already called WeChat with this formId without learning the outcome
  // retries with the SAME formId: a 41029 then proves the earlier call went through.
  let mayHaveSent =
    credit !== undefined &&
    attempts.some((attempt) => attempt.outcome === 'unknown' && attempt.creditId === credit?.id);

  const giveUpOrRetry = async (reason: string, errcode?: number, errmsg?: string): Promise<SendOutcome> => {
    if (!options.lastAttempt) {
      await releaseMessageLease(db, {
        messageId,
        owner,
        ...(errcode === undefined ? {} : { errcode, errmsg: errmsg ?? reason }),
      });
      return { type: 'retry_later', reason };
    }
    if (mayHaveSent)
      return finish('unknown', { errcode, errmsg: `${reason}; an earlier attempt may have been delivered` });
    if (credit) await returnCreditUse(db, { creditId: credit.id, messageId });
    return finish('failed', { errcode, errmsg: errmsg ?? reason });
  };

  const claimNext = () =>
    claimCredit(db, {
      messageId,
      appId: message.appId,
      openid: message.openid,
      kind: message.kind,
      templateId: message.templateId,
      validUntilAtLeast: new Date(deps.now() + deps.creditExpiryMarginMs),
    });

  if (!credit) {
    credit = await claimNext();
    if (!credit) return finish('skipped', { errmsg: noCreditText(message) });
  }

  const tokenOutcome = await deps.tokens.getToken(message.appId);
  if (!tokenOutcome.ok) return giveUpOrRetry(`no access_token: ${tokenOutcome.message}`);
  let accessToken = tokenOutcome.token.accessToken;
  let staleRetries = 0;

  for (let call = 0; call < MAX_CALLS_PER_RUN; call += 1) {
    const attemptId = await recordAttemptStart(db, { messageId, creditId: credit.id });
    const result = await callWechat(deps.wechat, message, credit, accessToken);
    if (result.ok) {
      await recordAttemptOutcome(db, {
        attemptId,
        messageId,
        outcome: 'sent',
        msgid: result.value.msgid,
        sentAt: new Date(deps.now()),
      });
      return finish('sent');
    }
    const error: WechatError = result.error;
    const recorded = { attemptId, messageId, errcode: error.errcode, errmsg: error.message };

    if (error instanceof StaleTokenError) {
      await recordAttemptOutcome(db, { ...recorded, outcome: 'rejected' });
      if (staleRetries >= MAX_STALE_TOKEN_RETRIES)
        return giveUpOrRetry('the access_token stayed stale', error.errcode);
      staleRetries += 1;
      const refreshed = await deps.tokens.refreshTokenIfStale(message.appId, accessToken);
      if (!refreshed.ok) return giveUpOrRetry(`no fresh access_token: ${refreshed.message}`, error.errcode);
      accessToken = refreshed.token.accessToken;
      continue;
    }

    if (error instanceof CreditDeadError) {
      await recordAttemptOutcome(db, { ...recorded, outcome: 'rejected' });
      if (error.errcode === 43101) {
        await markCreditDead(db, { creditId: credit.id, messageId });
        await dropTemplateCredits(db, {
          appId: message.appId,
          openid: message.openid,
          templateId: message.templateId,
        });
        return finish('failed', {
          errcode: error.errcode,
          errmsg: 'the user refused or unsubscribed this template',
        });
      }
      if (error.errcode === 41029 && mayHaveSent) {
        return finish('sent', {
          errmsg: 'delivered by an earlier attempt whose reply was lost (41029 on the retry)',
          sentAt: new Date(deps.now()),
        });
      }
      await markCreditDead(db, { creditId: credit.id, messageId });
      mayHaveSent = false;
      credit = await claimNext();
      if (!credit) return finish('skipped', { errcode: error.errcode, errmsg: noCreditText(message) });
      continue;
    }

    if (error instanceof QuotaExceededError) {
      await recordAttemptOutcome(db, { ...recorded, outcome: 'rejected', counts: false });
      await releaseMessageLease(db, { messageId, owner });
      return { type: 'pause_app', untilMs: error.retryAt.getTime(), window: error.window };
    }

    if (error.category === 'outcome_unknown') {
      await recordAttemptOutcome(db, { ...recorded, outcome: 'unknown' });
      if (message.kind === 'subscribe') {
        return finish('unknown', { errmsg: 'the reply was lost; a subscribe message is never resent' });
      }
      mayHaveSent = true;
      return giveUpOrRetry('the reply was lost; retrying with the same formId');
    }

    if (error.category === 'retryable') {
      await recordAttemptOutcome(db, { ...recorded, outcome: 'transient' });
      return giveUpOrRetry(`WeChat is unavailable (${error.code})`, error.errcode, error.message);
    }

    // The request itself is wrong (40003, 40037, 41030, 47003, 48001, a retired API…): WeChat
    // refused it without consuming the credit, so the use goes back to the user's pool.
    await recordAttemptOutcome(db, { ...recorded, outcome: 'rejected' });
    if (!mayHaveSent) await returnCreditUse(db, { creditId: credit.id, messageId });
    return finish('failed', { errcode: error.errcode, errmsg: error.message });
  }
  return giveUpOrRetry('too many dead credits in one run');
}

function noCreditText(message: LeasedMessage): string {
  return message.kind === 'template'
    ? 'the user has no usable formId or prepay_id'
    : `the user has no accepted subscription to template ${message.templateId}`;
}

type Receipt = { msgid?: string | undefined };

function callWechat(
  wechat: SendMessageDeps['wechat'],
  message: LeasedMessage,
  credit: Held,
  accessToken: string,
): Promise<WechatResult<Receipt>> {
  const data = message.data as Record<string, { value: string }>;
  if (message.kind === 'template') {
    return wechat.sendTemplateMessage(accessToken, {
      touser: message.openid,
      templateId: message.templateId,
      formId: credit.formId ?? '',
      data,
      ...(message.page ? { page: message.page } : {}),
      ...(message.emphasisKeyword ? { emphasisKeyword: message.emphasisKeyword } : {}),
    });
  }
  return wechat.sendSubscribeMessage(accessToken, {
    touser: message.openid,
    templateId: message.templateId,
    data,
    ...(message.page ? { page: message.page } : {}),
    ...(message.miniprogramState
      ? { miniprogramState: message.miniprogramState as 'developer' | 'trial' | 'formal' }
      : {}),
    ...(message.lang ? { lang: message.lang as 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW' } : {}),
  });
}
