import { DAY_MS } from '../clock.js';
import { newFormId, newPrepayId } from '../ids.js';
import type { FormIdCredit, FormIdKind, SandboxApp } from '../state/app-state.js';

/** formIds and prepay_ids can be spent for seven days from the submit or the payment. */
export const FORM_ID_LIFETIME_MS = 7 * DAY_MS;
/** A form submit allows one message, a payment three. */
export const FORM_ID_USES: Record<FormIdKind, number> = { form_id: 1, prepay_id: 3 };

/** The credits a user's form submits (or payments) would give the app right now. */
export function createFormIds(
  app: SandboxApp,
  openid: string,
  kind: FormIdKind,
  count: number,
): FormIdCredit[] {
  app.ensureUser(openid);
  const now = app.now();
  const created: FormIdCredit[] = [];
  for (let index = 0; index < count; index += 1) {
    const credit: FormIdCredit = {
      formId: kind === 'form_id' ? newFormId() : newPrepayId(),
      kind,
      openid,
      createdAt: now,
      expiresAt: now + FORM_ID_LIFETIME_MS,
      usesLeft: FORM_ID_USES[kind],
    };
    app.formIds.set(credit.formId, credit);
    created.push(credit);
  }
  return created;
}

export interface SubscribeDialogAnswer {
  openid: string;
  templateId: string;
  /** what the user tapped in the `wx.requestSubscribeMessage` dialog */
  status: 'accept' | 'reject';
  /** how many times the dialog was answered this way */
  count: number;
  /** false: change the credits without pushing the popup events */
  push: boolean;
}

/**
 * The user answered the subscribe dialog `count` times: each `accept` is one credit, and each answer
 * is one `subscribe_msg_popup_event` (when the app pushes). Answers the credits the user now holds.
 */
export function answerSubscribeDialog(app: SandboxApp, answer: SubscribeDialogAnswer): number {
  const { openid, templateId } = answer;
  app.registerTemplate(templateId, 'subscribe');
  app.ensureUser(openid);
  const credits =
    answer.status === 'accept'
      ? app.addSubscribeCredits(openid, templateId, answer.count)
      : app.subscribeCreditsOf(openid, templateId);
  if (answer.push) {
    const createTime = app.nowSeconds();
    for (let tap = 0; tap < answer.count; tap += 1) {
      app.pushes.enqueue({ type: 'popup', openid, templateId, status: answer.status, createTime });
    }
  }
  return credits;
}

export interface SubscriptionTurnOff {
  openid: string;
  templateId: string;
  status: 'reject' | 'ban';
  push: boolean;
}

/**
 * The user turned the template off in the mini-program's settings: the credits they held for it are
 * gone (later sends answer 43101) and WeChat pushes `subscribe_msg_change_event`. Answers how many
 * credits were dropped.
 */
export function turnOffSubscription(app: SandboxApp, turnOff: SubscriptionTurnOff): number {
  const { openid, templateId } = turnOff;
  app.registerTemplate(templateId, 'subscribe');
  app.ensureUser(openid);
  const dropped = app.dropSubscribeCredits(openid, templateId);
  if (turnOff.push) {
    app.pushes.enqueue({
      type: 'change',
      openid,
      templateId,
      status: turnOff.status,
      createTime: app.nowSeconds(),
    });
  }
  return dropped;
}
