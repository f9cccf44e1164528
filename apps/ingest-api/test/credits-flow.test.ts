import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Harness, startHarness } from './harness.js';

const DAY = 86_400_000;
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

function creditsOf(openid: string) {
  return h.db.sendCredit.findMany({ where: { appId: h.appId, openid }, orderBy: { id: 'asc' } });
}

describe('a mini-program user hands over credits', () => {
  it('logs in with a real code and stores real formIds and a prepay_id under their openid', async () => {
    const session = await h.login();
    expect(session.token).toEqual(expect.any(String));
    expect(new Date(session.expiresAt).getTime()).toBeGreaterThan(Date.now());

    const formIds = await h.mintFormIds(session.openid, 2);
    const [prepayId] = await h.mintFormIds(session.openid, 1, 'prepay_id');
    const capturedAt = new Date(Date.now() - DAY).toISOString();
    const response = await h.post(
      '/v1/form-ids',
      { formIds: [...formIds, { formId: prepayId, kind: 'prepay_id', capturedAt }] },
      session.token,
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 3, rejected: [] });

    const credits = await eventually(async () => {
      const rows = await creditsOf(session.openid);
      return rows.length === 3 ? rows : undefined;
    });
    expect(credits.map((c) => [c.formId, c.kind, c.usesLeft, c.state])).toEqual([
      [formIds[0], 'form_id', 1, 'available'],
      [formIds[1], 'form_id', 1, 'available'],
      [prepayId, 'prepay_id', 3, 'available'],
    ]);
    const prepay = credits[2]!;
    expect(prepay.capturedAt.toISOString()).toBe(capturedAt);
    expect(prepay.expiresAt?.getTime()).toBe(new Date(capturedAt).getTime() + 7 * DAY);
    const fresh = credits[0]!;
    expect(fresh.expiresAt!.getTime() - fresh.capturedAt.getTime()).toBe(7 * DAY);

    const user = await h.db.appUser.findUnique({
      where: { appId_openid: { appId: h.appId, openid: session.openid } },
    });
    expect(user).not.toBeNull();
  });

  it('turns each accept of wx.requestSubscribeMessage into one subscribe credit', async () => {
    const session = await h.login();
    const response = await h.post(
      '/v1/subscriptions',
      {
        results: {
          errMsg: 'requestSubscribeMessage:ok',
          'tmpl-order': 'accept',
          'tmpl-promo': 'reject',
          'tmpl-x': 'ban',
        },
      },
      session.token,
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ credited: 1 });
    const credits = await eventually(async () => {
      const rows = await creditsOf(session.openid);
      return rows.length > 0 ? rows : undefined;
    });
    expect(credits.map((c) => [c.kind, c.templateId, c.usesLeft, c.expiresAt])).toEqual([
      ['subscribe', 'tmpl-order', 1, null],
    ]);
  });

  it('stores the credits of one batchId once, however often the report is retried', async () => {
    const session = await h.login();
    const batchId = randomUUID();
    const report = { results: { 'tmpl-retry': 'accept', 'tmpl-other': 'accept' }, batchId };
    const answers = [];
    for (let i = 0; i < 3; i += 1)
      answers.push(await (await h.post('/v1/subscriptions', report, session.token)).json());
    expect(answers).toEqual([{ credited: 2 }, { credited: 2 }, { credited: 2 }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const credits = await eventually(async () => {
      const rows = await creditsOf(session.openid);
      return rows.length > 0 ? rows : undefined;
    });
    expect(credits.map((c) => c.templateId).sort()).toEqual(['tmpl-other', 'tmpl-retry']);
    const malformed = await h.post('/v1/subscriptions', { ...report, batchId: 'not-a-uuid' }, session.token);
    expect(malformed.status).toBe(400);
  });

  it('refuses subscribe results that are not accept, reject, ban or filter', async () => {
    const session = await h.login();
    const response = await h.post('/v1/subscriptions', { results: { t1: 'maybe' } }, session.token);
    expect(response.status).toBe(422);
    expect((await response.json()).error.code).toBe('invalid_subscribe_result');
  });
});

describe('who may store credits for whom', () => {
  it('refuses a session that names another openid, and stores nothing for either', async () => {
    const alice = await h.login();
    const bob = await h.login();
    const [formId] = await h.mintFormIds(bob.openid, 1);
    const response = await h.post('/v1/form-ids', { formIds: [formId], openid: bob.openid }, alice.token);
    expect(response.status).toBe(403);
    expect((await response.json()).error.code).toBe('openid_not_allowed');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await creditsOf(bob.openid)).toEqual([]);
    expect(await creditsOf(alice.openid)).toEqual([]);
  });

  it('lets an API key store credits for the openid it names', async () => {
    const openid = `o-api-${Date.now()}`;
    const [formId] = await h.mintFormIds(openid, 1);
    const response = await h.post('/v1/form-ids', { formIds: [formId], openid }, h.apiKey);
    expect(response.status).toBe(202);
    const credits = await eventually(async () => {
      const rows = await creditsOf(openid);
      return rows.length === 1 ? rows : undefined;
    });
    expect(credits[0]?.formId).toBe(formId);
  });

  it('requires an API key to name the openid, and a known appId', async () => {
    const missing = await h.post('/v1/form-ids', { formIds: ['f'] }, h.apiKey);
    expect(missing.status).toBe(422);
    expect((await missing.json()).error.code).toBe('openid_required');
    const unknown = await h.post('/v1/form-ids', { formIds: ['f'], openid: 'o', appId: 'wx-nope' }, h.apiKey);
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).error.code).toBe('unknown_app');
  });

  it('answers 401 without credentials or with a forged token', async () => {
    const none = await h.post('/v1/form-ids', { formIds: ['f'] });
    expect(none.status).toBe(401);
    expect((await none.json()).error.code).toBe('missing_credentials');
    const forged = await h.post('/v1/form-ids', { formIds: ['f'] }, 'eyJhbGciOiJIUzI1NiJ9.e30.bad');
    expect(forged.status).toBe(401);
    expect((await forged.json()).error.code).toBe('invalid_credentials');
  });

  it('answers 401 invalid_code for a login code WeChat rejects (reused)', async () => {
    const { code } = await h.mintCode();
    expect((await h.post('/v1/sessions', { code })).status).toBe(200);
    const again = await h.post('/v1/sessions', { code });
    expect(again.status).toBe(401);
    expect((await again.json()).error.code).toBe('invalid_code');
    const made_up = await h.post('/v1/sessions', { code: 'never-minted' });
    expect(made_up.status).toBe(401);
  });
});
