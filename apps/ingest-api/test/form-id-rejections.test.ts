import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_FORM_ID } from '../src/index.js';
import { eventually, type Harness, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('POST /v1/form-ids rejections', () => {
  it('drops the DevTools mock formId, and rejects duplicates, expired and malformed ones with reasons', async () => {
    const session = await h.login();
    const [a, b] = await h.mintFormIds(session.openid, 2);
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000).toISOString();
    const response = await h.post(
      '/v1/form-ids',
      { formIds: [a, MOCK_FORM_ID, a, { formId: b, capturedAt: eightDaysAgo }, { formId: 42 }, ''] },
      session.token,
    );
    expect(response.status).toBe(202);
    const body = await response.json();
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r: { reason: string }) => r.reason)).toEqual([
      'mock',
      'duplicate',
      'expired',
      'malformed',
      'malformed',
    ]);
    expect(body.rejected[0].formId).toBe(MOCK_FORM_ID);
    expect(body.rejected[2].formId).toBe(b);
  });

  it('answers duplicate for a formId accepted by an earlier request, and stores it once', async () => {
    const session = await h.login();
    const [formId] = await h.mintFormIds(session.openid, 1);
    const first = await (await h.post('/v1/form-ids', { formIds: [formId] }, session.token)).json();
    const second = await (await h.post('/v1/form-ids', { formIds: [formId] }, session.token)).json();
    expect(first).toEqual({ accepted: 1, rejected: [] });
    expect(second).toEqual({ accepted: 0, rejected: [{ formId, reason: 'duplicate' }] });
    await eventually(async () =>
      (await h.db.sendCredit.count({ where: { appId: h.appId, formId } })) === 1 ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await h.db.sendCredit.count({ where: { appId: h.appId, formId } })).toBe(1);
  });

  it('refuses more than 100 formIds with 413 and stores none of them', async () => {
    const session = await h.login();
    const formIds = Array.from({ length: 101 }, (_, i) => `over-${session.openid}-${i}`);
    const response = await h.post('/v1/form-ids', { formIds }, session.token);
    expect(response.status).toBe(413);
    const body = await response.json();
    expect(body.error.code).toBe('too_many_form_ids');
    expect(body.error.message).toMatch(/100/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await h.db.sendCredit.count({ where: { appId: h.appId, openid: session.openid } })).toBe(0);
  });

  it('refuses a body over 64 KiB with 413, malformed JSON with 400, and a wrong shape with 400', async () => {
    const session = await h.login();
    const huge = await h.post('/v1/form-ids', { formIds: ['x'.repeat(70 * 1024)] }, session.token);
    expect(huge.status).toBe(413);
    expect((await huge.json()).error.code).toBe('body_too_large');

    const broken = await h.post('/v1/form-ids', '{"formIds": [', session.token);
    expect(broken.status).toBe(400);
    expect((await broken.json()).error.code).toBe('malformed_json');

    const wrongShape = await h.post('/v1/form-ids', { formIds: 'abc,def' }, session.token);
    expect(wrongShape.status).toBe(400);
    const wrongBody = await wrongShape.json();
    expect(wrongBody.error.message).toMatch(/formIds/);

    const empty = await h.post('/v1/form-ids', { formIds: [] }, session.token);
    expect(empty.status).toBe(400);
  });

  it('accepts form-urlencoded form_id and openId fields from an API-key caller', async () => {
    const openid = `o-form-${Date.now()}`;
    const [formId] = await h.mintFormIds(openid, 1);
    const response = await fetch(`${h.url}/v1/form-ids`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${h.apiKey}` },
      body: new URLSearchParams({ form_id: formId!, openId: openid }).toString(),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 1, rejected: [] });
    const credit = await eventually(() =>
      h.db.sendCredit
        .findFirst({ where: { appId: h.appId, openid, formId } })
        .then((row) => row ?? undefined),
    );
    expect(credit.kind).toBe('form_id');
  });
});
