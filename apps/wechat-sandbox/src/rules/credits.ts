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

/** The user tapped `accept` for `templateId` `count` times; answers the credits they now hold. */
export function acceptSubscription(
  app: SandboxApp,
  openid: string,
  templateId: string,
  count: number,
): number {
  app.registerTemplate(templateId, 'subscribe');
  app.ensureUser(openid);
  return app.addSubscribeCredits(openid, templateId, count);
}
