import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Harness, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const message = (change: Record<string, unknown>) => ({
  openid: `o-${randomUUID()}`,
  kind: 'template',
  templateId: 'tmpl-legacy',
  data: { keyword1: { value: 'A-1001' } },
  ...change,
});

const broadcast = (change: Record<string, unknown>) => ({
  kind: 'template',
  templateId: 'tmpl-news',
  data: { keyword1: 'New season' },
  audience: { type: 'openids', openids: [`o-${randomUUID()}`] },
  ...change,
});

/** A 400 in the contract's shape whose message and issues name the field. */
async function expectRefusalNaming(response: Response, path: string) {
  expect(response.status).toBe(400);
  const { error, ...rest } = await response.json();
  expect(rest).toEqual({});
  expect(error.code).toBe('invalid_request');
  expect(error.message).toContain(`${path}: `);
  expect(error.message).toMatch(/control characters/);
  expect(error.details.issues).toContainEqual({ path, message: expect.stringMatching(/control characters/) });
}

const counts = async () => ({
  messages: await h.db.message.count({ where: { appId: h.appId } }),
  broadcasts: await h.db.broadcast.count({ where: { appId: h.appId } }),
  creditJobs: Object.values(await h.creditQueue.getJobCounts()).reduce((sum, n) => sum + n, 0),
});

describe('control characters and unpaired surrogates at the edge', () => {
  it.each([
    ['openid', message({ openid: 'o\u0000' })],
    ['templateId', message({ templateId: 'tmpl\u0000' })],
    ['idempotencyKey', message({ idempotencyKey: 'k\u0000' })],
    ['data.keyword1.value', message({ data: { keyword1: { value: 'a\u0000b' } } })],
    ['data.keyword1', message({ data: { keyword1: 'a\u0007b' } })],
    ['data.key\u0000', message({ data: { 'key\u0000': 'x' } })],
    ['data.keyword1', message({ data: { keyword1: 'half a pair \ud83d' } })],
    ['page', message({ page: 'pages/a\nb' })],
  ])('POST /v1/messages refuses one in %s with 400 naming it, and stores nothing', async (path, body) => {
    const before = await counts();
    await expectRefusalNaming(await h.post('/v1/messages', body, h.apiKey), path);
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['templateId', broadcast({ templateId: 't\u0000' })],
    ['data.keyword1', broadcast({ data: { keyword1: 'x\u0000' } })],
    ['data.k\u0001', broadcast({ data: { 'k\u0001': 'x' } })],
    ['audience.openids.1', broadcast({ audience: { type: 'openids', openids: ['o-1', 'o\u0000'] } })],
    ['appId', broadcast({ appId: 'wx\u0000' })],
    ['idempotencyKey', broadcast({ idempotencyKey: 'key\ud800' })],
  ])('POST /v1/broadcasts refuses one in %s with 400 naming it, and stores nothing', async (path, body) => {
    const before = await counts();
    await expectRefusalNaming(await h.post('/v1/broadcasts', body, h.apiKey), path);
    expect(await counts()).toEqual(before);
  });

  it('POST /v1/subscriptions refuses one in a templateId or the openid, and queues nothing', async () => {
    const session = await h.login();
    // The login queued a record-user job; once the worker has taken it and every earlier job, the
    // counts below can change only when a request adds a job.
    await eventually(async () => {
      const jobs = await h.creditQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(jobs).every((count) => count === 0) ? true : undefined;
    });
    const before = await counts();
    const key = await h.post(
      '/v1/subscriptions',
      { results: { 't-ok': 'accept', 't\u0000': 'accept' } },
      session.token,
    );
    await expectRefusalNaming(key, 'results.t\u0000');
    const openid = await h.post(
      '/v1/subscriptions',
      { results: { 't-ok': 'accept' }, openid: 'o\u0000' },
      h.apiKey,
    );
    await expectRefusalNaming(openid, 'openid');
    expect(await counts()).toEqual(before);
  });

  it('POST /v1/sessions and the token refresh refuse one in the code or the stale token', async () => {
    await expectRefusalNaming(await h.post('/v1/sessions', { code: 'c\u0000' }), 'code');
    await expectRefusalNaming(
      await h.post(`/v1/apps/${h.appId}/access-token/refresh`, { staleToken: 't\u0000' }, h.apiKey),
      'staleToken',
    );
  });

  it('POST /v1/form-ids rejects such formIds alone as malformed, and the batch it accepts is stored', async () => {
    const session = await h.login();
    const [good] = await h.mintFormIds(session.openid, 1);
    const bad = ['bad form id\n\u0007', 'x\u0000', 'surrogate\udc00', 'caf\u00e9'];
    const response = await h.post('/v1/form-ids', { formIds: [good, ...bad] }, session.token);
    expect(response.status).toBe(202);
    const body = await response.json();
    expect(body.accepted).toBe(1);
    expect(body.rejected).toEqual(
      bad.map((formId) => ({ formId: formId.trim(), reason: 'malformed', message: expect.any(String) })),
    );
    // the worker stores what was accepted: every job completes, none fails or waits for a retry
    const settled = await eventually(async () => {
      const {
        failed = 0,
        completed = 0,
        ...pending
      } = await h.creditQueue.getJobCounts('failed', 'completed', 'delayed', 'waiting', 'active');
      const busy = Object.values(pending).some((count) => count > 0);
      return !busy && completed > 0 ? { failed } : undefined;
    });
    expect(settled.failed).toBe(0);
    const stored = await h.db.sendCredit.findMany({ where: { appId: h.appId, openid: session.openid } });
    expect(stored.map((credit) => credit.formId)).toEqual([good]);
  });

  it('POST /v1/form-ids refuses one in the openid an API key names, and queues nothing', async () => {
    const before = await counts();
    const response = await h.post('/v1/form-ids', { formIds: ['f-1'], openid: 'o\u0000' }, h.apiKey);
    await expectRefusalNaming(response, 'openid');
    expect(await counts()).toEqual(before);
  });
});
