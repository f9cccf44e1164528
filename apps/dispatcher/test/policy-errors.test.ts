import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DispatchHarness, sleep, startDispatchHarness, waitFor } from './harness.js';

let h: DispatchHarness;
beforeAll(async () => {
  h = await startDispatchHarness({
    pages: ['pages/index/index', 'pages/order/detail'],
    wechatTimeoutMs: 500,
  });
});
afterAll(() => h.close());

// undici runs a reply timeout on its coarse timer (500 ms ticks): the 500 ms timeout ends within
// 1.5 s, so a reply this late is certainly given up on.
const LATE_REPLY_MS = 2_000;

describe('40001 / 40014 / 42001: stale token', () => {
  it.each([40001, 40014, 42001])('refreshes the token passively and sends at once (%i)', async (errcode) => {
    const { openid } = await h.userWithFormIds(1);
    await h.fault({ endpoint: 'template_send', errcode, times: 1 });
    const view = await h.waitUntilFinal(await h.sendTemplate(openid));
    expect(view).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await h.deliveries(openid)).toHaveLength(1);
    const [credit] = await h.credits(openid);
    expect(credit?.state).toBe('spent');
  });
});

describe('41028: dead formId', () => {
  it('marks the credit dead and sends with the next one', async () => {
    const { openid, formIds } = await h.userWithFormIds(2);
    await h.fault({ endpoint: 'template_send', errcode: 41028, times: 1 });
    const view = await h.waitUntilFinal(await h.sendTemplate(openid));
    expect(view.status).toBe('sent');
    const credits = await h.credits(openid);
    expect(credits.map((c) => c.state).sort()).toEqual(['dead', 'spent']);
    const [delivery] = await h.deliveries(openid);
    expect(delivery?.formId).toBe(credits.find((c) => c.state === 'spent')?.formId);
    expect(formIds).toContain(delivery?.formId);
  });

  it('skips when no credit is left, after WeChat itself refuses a formId made by another user', async () => {
    const { openid } = await h.control<{ openid: string }>('POST', `/apps/${h.app.appId}/users`, {});
    const other = await h.control<{ openid: string }>('POST', `/apps/${h.app.appId}/users`, {});
    const minted = await h.control<{ formIds: Array<{ formId: string }> }>(
      'POST',
      `/apps/${h.app.appId}/form-ids`,
      {
        openid: other.openid,
      },
    );
    // An API key hands over another user's formId for this user: WeChat answers 41028.
    await h.api('POST', '/v1/form-ids', { openid, formIds: [minted.formIds[0]?.formId] });
    await sleep(300);
    const view = await h.waitUntilFinal(await h.sendTemplate(openid));
    expect(view).toMatchObject({ status: 'skipped', errcode: 41028 });
    const [credit] = await h.credits(openid);
    expect(credit?.state).toBe('dead');
    expect(await h.deliveries(openid)).toEqual([]);
  });
});

describe('41029: formId already used', () => {
  it('marks a formId used elsewhere dead and takes the next', async () => {
    const { openid } = await h.userWithFormIds(2);
    await h.fault({ endpoint: 'template_send', errcode: 41029, times: 1 });
    const view = await h.waitUntilFinal(await h.sendTemplate(openid));
    expect(view.status).toBe('sent');
    expect((await h.credits(openid)).map((c) => c.state).sort()).toEqual(['dead', 'spent']);
    expect(await h.deliveries(openid)).toHaveLength(1);
  });

  it('counts a lost reply as delivered when the retry with the SAME formId answers 41029', async () => {
    const { openid, formIds } = await h.userWithFormIds(2);
    await h.fault({ endpoint: 'template_send', dropReply: true, times: 1 });
    const view = await h.waitUntilFinal(await h.sendTemplate(openid));
    expect(view).toMatchObject({ status: 'sent', attempts: 2 });
    expect(view.sentAt).toEqual(expect.any(String));
    const deliveries = await h.deliveries(openid);
    expect(deliveries).toHaveLength(1);
    const credits = await h.credits(openid);
    // the formId of the lost reply is spent, the other one untouched: no second formId was burnt
    expect(credits.find((c) => c.formId === deliveries[0]?.formId)?.state).toBe('spent');
    expect(credits.filter((c) => c.state === 'available')).toHaveLength(1);
    expect(formIds).toContain(deliveries[0]?.formId);
  });

  it('retries a timed-out template send with the same formId, and delivers once', async () => {
    const { openid } = await h.userWithFormIds(2);
    await h.fault({ endpoint: 'template_send', delayMs: LATE_REPLY_MS, times: 1 });
    const view = await h.waitUntilFinal(await h.sendTemplate(openid));
    expect(view).toMatchObject({ status: 'sent', attempts: 2 });
    // the late call lands after the retry, on a formId already spent
    await sleep(LATE_REPLY_MS);
    expect(await h.deliveries(openid)).toHaveLength(1);
    expect((await h.credits(openid)).filter((c) => c.state === 'available')).toHaveLength(1);
  });
});

describe('lost replies of subscribe messages', () => {
  it.each([
    ['a dropped reply', { dropReply: true }],
    ['a timeout', { delayMs: LATE_REPLY_MS }],
  ])('records unknown after %s and never resends', async (_name, fault) => {
    const { openid } = await h.userWithSubscription(2);
    await h.fault({ endpoint: 'subscribe_send', times: 1, ...fault });
    const view = await h.waitUntilFinal(await h.sendSubscribe(openid));
    expect(view.status).toBe('unknown');
    // long enough for the late call to land, and for a resend, were there one
    await sleep(LATE_REPLY_MS);
    expect(await h.deliveries(openid)).toHaveLength(1);
    expect((await h.message(view.id)).status).toBe('unknown');
    expect((await h.credits(openid)).map((c) => c.state).sort()).toEqual(['available', 'spent']);
  });
});

describe('lost replies of template messages on a prepay_id', () => {
  it.each([
    ['a dropped reply', { dropReply: true }],
    ['a timeout', { delayMs: LATE_REPLY_MS }],
  ])(
    'records unknown after %s, never resends with the prepay_id, and counts its use',
    async (_name, fault) => {
      const { openid, formIds } = await h.userWithFormIds(1, 'prepay_id');
      await h.fault({ endpoint: 'template_send', times: 1, ...fault });
      const view = await h.waitUntilFinal(await h.sendTemplate(openid));
      expect(view).toMatchObject({ status: 'unknown', attempts: 1 });
      // long enough for the late call to land, and for a resend, were there one
      await sleep(LATE_REPLY_MS);
      expect((await h.deliveries(openid)).map((d) => d.formId)).toEqual([formIds[0]]);
      expect((await h.message(view.id)).status).toBe('unknown');
      // the use WeChat may have taken is counted: two are left for later messages
      const [credit] = await h.credits(openid);
      expect([credit?.state, credit?.usesLeft]).toEqual(['available', 2]);
      expect((await h.waitUntilFinal(await h.sendTemplate(openid))).status).toBe('sent');
      expect((await h.credits(openid))[0]?.usesLeft).toBe(1);
    },
  );

  it.each([
    ['still usable', 'available'],
    ['killed since by another message', 'dead'],
  ] as const)(
    'records unknown when it takes over a message whose run died mid-call on a prepay_id %s',
    async (_name, state) => {
      const { openid, formIds } = await h.userWithFormIds(1, 'prepay_id');
      const [prepayId] = formIds;
      // a formId of the same user, which a resend would take were the prepay_id dead
      const minted = await h.control<{ formIds: Array<{ formId: string }> }>(
        'POST',
        `/apps/${h.app.appId}/form-ids`,
        { openid, kind: 'form_id', count: 1 },
      );
      await h.api('POST', '/v1/form-ids', { openid, formIds: minted.formIds });
      await waitFor('the formId stored', async () => (await h.credits(openid)).length === 2, 10_000);
      await h.dispatcher?.close(2_000);
      let id: string;
      try {
        id = await h.sendTemplate(openid);
        // What a run leaves when its process dies during the call: the prepay_id's use claimed,
        // the attempt recorded as unknown, the lease run out.
        const prepay = (await h.credits(openid)).find((c) => c.formId === prepayId)!;
        await h.db.sendCredit.update({ where: { id: prepay.id }, data: { usesLeft: 2, state } });
        await h.db.message.update({
          where: { id },
          data: { status: 'sending', creditId: prepay.id, leaseUntil: new Date(Date.now() - 1_000) },
        });
        await h.db.messageAttempt.create({
          data: { messageId: id, creditId: prepay.id, outcome: 'unknown' },
        });
      } finally {
        h.startDispatcher();
      }

      const view = await h.waitUntilFinal(id);
      expect(view.status).toBe('unknown');
      await sleep(300);
      expect(await h.deliveries(openid)).toEqual([]);
      const credits = await h.credits(openid);
      expect(credits.map((c) => [c.formId === prepayId ? 'prepay' : 'form', c.state, c.usesLeft])).toEqual([
        ['prepay', state, 2],
        ['form', 'available', 1],
      ]);
    },
  );
});

describe('43101: the user refused the template', () => {
  it('fails the message and drops every credit the user gave for that template', async () => {
    // We hold two credits, but in WeChat the user has none (they unsubscribed).
    const { openid } = await h.userWithSubscription(2, undefined, { inSandbox: false });
    const view = await h.waitUntilFinal(await h.sendSubscribe(openid));
    expect(view).toMatchObject({ status: 'failed', errcode: 43101, attempts: 1 });
    expect((await h.credits(openid)).map((c) => c.state)).toEqual(['dead', 'dead']);
    expect(await h.deliveries(openid)).toEqual([]);
  });
});

describe('the request itself is wrong', () => {
  it('fails on an unknown template (40037, from WeChat) without retry and gives the credit back', async () => {
    const { openid } = await h.userWithFormIds(1);
    const view = await h.waitUntilFinal(await h.sendTemplate(openid, { templateId: 'tmpl-not-registered' }));
    expect(view).toMatchObject({ status: 'failed', errcode: 40037, attempts: 1 });
    const [credit] = await h.credits(openid);
    expect([credit?.state, credit?.usesLeft]).toEqual(['available', 1]);
  });

  it('fails on a page outside the app (41030, from WeChat)', async () => {
    const { openid } = await h.userWithFormIds(1);
    const view = await h.waitUntilFinal(await h.sendTemplate(openid, { page: 'pages/nowhere/index?id=1' }));
    expect(view).toMatchObject({ status: 'failed', errcode: 41030, attempts: 1 });
    const ok = await h.waitUntilFinal(await h.sendTemplate(openid, { page: 'pages/order/detail?id=1' }));
    expect(ok.status).toBe('sent');
  });

  it.each([40003, 47003, 48001])('fails without retry on %i and keeps the credit', async (errcode) => {
    const { openid } = await h.userWithFormIds(1);
    await h.fault({ endpoint: 'template_send', errcode, times: 1 });
    const view = await h.waitUntilFinal(await h.sendTemplate(openid));
    expect(view).toMatchObject({ status: 'failed', errcode, attempts: 1 });
    const [credit] = await h.credits(openid);
    expect([credit?.state, credit?.usesLeft]).toEqual(['available', 1]);
    expect(await h.deliveries(openid)).toEqual([]);
  });
});

describe('45103 / 45109: retired API', () => {
  it.each([45103, 45109])('fails as unrecoverable, naming subscribe messages (%i)', async (errcode) => {
    const { openid } = await h.userWithFormIds(1);
    await h.fault({ endpoint: 'template_send', errcode, times: 1 });
    const view = await h.waitUntilFinal(await h.sendTemplate(openid));
    expect(view).toMatchObject({ status: 'failed', errcode, attempts: 1 });
    expect(view.errmsg).toMatch(/subscribe/i);
  });
});

describe('-1, HTTP 5xx and connection errors: transient', () => {
  it('retries with backoff until WeChat answers, delivering once', async () => {
    const { openid } = await h.userWithFormIds(1);
    await h.fault({ endpoint: 'template_send', errcode: -1, times: 1 });
    await h.fault({ endpoint: 'template_send', httpStatus: 502, times: 2 });
    const view = await h.waitUntilFinal(await h.sendTemplate(openid), 30_000);
    expect(view.status).toBe('sent');
    expect(view.attempts).toBeGreaterThanOrEqual(2);
    expect(await h.deliveries(openid)).toHaveLength(1);
    const attempts = await h.db.messageAttempt.findMany({
      where: { messageId: view.id },
      orderBy: { id: 'asc' },
    });
    expect(attempts[0]?.outcome).toBe('transient');
    expect(attempts.at(-1)?.outcome).toBe('sent');
  }, 40_000);
});
