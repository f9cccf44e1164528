import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DispatchHarness, sleep, startDispatchHarness } from './harness.js';

const DAY = 86_400_000;
let h: DispatchHarness;
beforeAll(async () => {
  h = await startDispatchHarness();
});
afterAll(() => h.close());

describe('0: sent', () => {
  it('sends a template message with the soonest-expiring formId and spends it', async () => {
    const older = new Date(Date.now() - 3 * DAY).toISOString();
    const newer = new Date(Date.now() - DAY).toISOString();
    const { openid, formIds } = await h.userWithFormIds(2, 'form_id', [newer, older]);
    const view = await h.waitUntilFinal(await h.sendTemplate(openid));
    expect(view).toMatchObject({ status: 'sent', attempts: 1 });
    expect(view.sentAt).toEqual(expect.any(String));
    const deliveries = await h.deliveries(openid);
    expect(deliveries.map((d) => d.formId)).toEqual([formIds[1]]);
    const credits = await h.credits(openid);
    const spent = credits.find((c) => c.formId === formIds[1]);
    const kept = credits.find((c) => c.formId === formIds[0]);
    expect([spent?.state, spent?.usesLeft]).toEqual(['spent', 0]);
    expect([kept?.state, kept?.usesLeft]).toEqual(['available', 1]);
    const row = await h.db.message.findUniqueOrThrow({ where: { id: view.id } });
    expect(row.msgid).toBe(String(deliveries[0]?.msgid));
  });

  it('sends a subscribe message with that template’s credit and spends exactly one', async () => {
    const { openid } = await h.userWithSubscription(2);
    const view = await h.waitUntilFinal(await h.sendSubscribe(openid));
    expect(view.status).toBe('sent');
    expect(await h.deliveries(openid)).toHaveLength(1);
    const credits = await h.credits(openid);
    expect(credits.map((c) => c.state).sort()).toEqual(['available', 'spent']);
  });

  it('uses a prepay_id three times, then skips for want of a credit', async () => {
    const { openid, formIds } = await h.userWithFormIds(1, 'prepay_id');
    const ids = [];
    for (let i = 0; i < 4; i += 1) ids.push(await h.sendTemplate(openid));
    const views = await Promise.all(ids.map((id) => h.waitUntilFinal(id)));
    expect(views.map((v) => v.status).sort()).toEqual(['sent', 'sent', 'sent', 'skipped']);
    const deliveries = await h.deliveries(openid);
    expect(deliveries.map((d) => d.formId)).toEqual([formIds[0], formIds[0], formIds[0]]);
    const [credit] = await h.credits(openid);
    expect([credit?.state, credit?.usesLeft]).toEqual(['spent', 0]);
  });

  it('skips a user without credits, and one whose only formId expires within the safety margin', async () => {
    const { openid: none } = await h.control<{ openid: string }>('POST', `/apps/${h.app.appId}/users`, {});
    const nearlyExpired = new Date(Date.now() - 7 * DAY + 5 * 60_000).toISOString();
    const { openid: late } = await h.userWithFormIds(1, 'form_id', [nearlyExpired]);
    const [a, b] = await Promise.all([
      h.waitUntilFinal(await h.sendTemplate(none)),
      h.waitUntilFinal(await h.sendTemplate(late)),
    ]);
    expect([a.status, b.status]).toEqual(['skipped', 'skipped']);
    expect(b.errmsg).toMatch(/no usable formId/);
    expect(await h.deliveries(late)).toEqual([]);
    const [credit] = await h.credits(late);
    expect([credit?.state, credit?.usesLeft]).toEqual(['available', 1]);
  });

  it('never gives one formId to two messages sent at once', async () => {
    const { openid, formIds } = await h.userWithFormIds(3);
    const ids = await Promise.all(Array.from({ length: 5 }, () => h.sendTemplate(openid)));
    const views = await Promise.all(ids.map((id) => h.waitUntilFinal(id)));
    expect(views.map((v) => v.status).sort()).toEqual(['sent', 'sent', 'sent', 'skipped', 'skipped']);
    const used = (await h.deliveries(openid)).map((d) => d.formId).sort();
    expect(used).toEqual([...formIds].sort());
    await sleep(200);
    expect(await h.deliveries(openid)).toHaveLength(3);
  });
});
