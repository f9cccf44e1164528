import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Harness, startHarness } from './harness.js';

const ADMIN = { username: 'ops', password: 'correct horse' };
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const asAdmin = { authorization: basic(ADMIN.username, ADMIN.password) };

let h: Harness;
let actions: Harness;
beforeAll(async () => {
  [h, actions] = await Promise.all([
    startHarness({ admin: ADMIN, appCount: 2 }),
    startHarness({ admin: { ...ADMIN, readOnly: false } }),
  ]);
});
afterAll(() => Promise.all([h.close(), actions.close()]));

interface BoardQueues {
  queues: Array<{ name: string; readOnlyMode: boolean }>;
}

describe('the admin view', () => {
  it('answers 401 without credentials, or with wrong ones, on every admin path', async () => {
    const paths = [
      '/admin',
      '/admin/queues',
      '/admin/queues/api/queues',
      `/admin/apps/${h.appId}`,
      `/admin/users?app=${h.appId}&openid=o-1`,
      '/admin/api/broadcasts?ids=',
    ];
    for (const path of paths) {
      const anonymous = await fetch(`${h.url}${path}`);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers.get('www-authenticate'), path).toMatch(/^Basic/);
      const wrong = await fetch(`${h.url}${path}`, { headers: { authorization: basic('ops', 'wrong') } });
      expect(wrong.status, path).toBe(401);
    }
    const cancel = await fetch(`${h.url}/admin/broadcasts/${crypto.randomUUID()}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(401);
  });

  it("shows each app's token health and expiry and its token fetches today, never the token", async () => {
    const token = await fetch(`${h.url}/v1/apps/${h.appId}/access-token`, {
      headers: { authorization: `Bearer ${h.apiKey}` },
    });
    const { accessToken } = (await token.json()) as { accessToken: string };
    const page = await fetch(`${h.url}/admin`, { headers: asAdmin });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'nonce-/);
    const text = await page.text();
    for (const appId of h.appIds) expect(text).toContain(`data-app="${appId}"`);
    expect(text).toContain('credentials accepted');
    expect(text).toMatch(/expires <span title="[^"]+">in [12] h/);
    expect(text).toMatch(/token fetches today: <span data-field="token-fetches">1<\/span> of 500000/);
    expect(text).not.toContain(accessToken);
    // links into Bull Board, one per send lane of each app
    expect(text).toContain(`/admin/queues/queue/message-send-${h.appId}`);
    expect(text).toContain(`/admin/queues/queue/message-bulk-${h.appId}`);
  });

  it('answers an unknown app with 404 and a bad lookup with 422, in the error shape', async () => {
    const unknown = await fetch(`${h.url}/admin/apps/wxnotours`, { headers: asAdmin });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('unknown_app');
    const bad = await fetch(`${h.url}/admin/users?app=${h.appId}`, { headers: asAdmin });
    expect(bad.status).toBe(422);
    expect((await bad.json()).error.message).toMatch(/openid/);
    const ids = await fetch(`${h.url}/admin/api/broadcasts?ids=not-a-uuid`, { headers: asAdmin });
    expect(ids.status).toBe(422);
  });

  it('renders every value as text: an openid and a template id holding markup are escaped', async () => {
    const openid = '<script>alert("openid")</script>';
    const templateId = '<script>alert(1)</script>';
    // a subscribe credit and a message of that template, to that user
    const credited = await h.post(
      '/v1/subscriptions',
      { openid, results: { [templateId]: 'accept' } },
      h.apiKey,
    );
    expect(credited.status).toBe(202);
    const message = await h.post(
      '/v1/messages',
      { openid, kind: 'subscribe', templateId, data: { thing1: 'x' } },
      h.apiKey,
    );
    expect(message.status).toBe(202);
    await eventually(async () =>
      (await h.db.sendCredit.count({ where: { appId: h.appId, openid } })) > 0 ? true : undefined,
    );

    const page = await fetch(`${h.url}/admin/users?app=${h.appId}&openid=${encodeURIComponent(openid)}`, {
      headers: asAdmin,
    });
    expect(page.status).toBe(200);
    const text = await page.text();
    const escapedOpenid = '&lt;script&gt;alert(&quot;openid&quot;)&lt;/script&gt;';
    const escapedTemplate = '&lt;script&gt;alert(1)&lt;/script&gt;';
    expect(text).not.toContain(openid);
    expect(text).not.toContain(templateId);
    expect(text).toContain(`<code data-field="openid">${escapedOpenid}</code>`);
    // the subscribe credit, and the message listed with its template
    expect(text).toContain(`<td data-subscribe-template="${escapedTemplate}">1</td>`);
    expect(text).toContain(`subscribe <code>${escapedTemplate}</code>`);
    const overview = await (await fetch(`${h.url}/admin`, { headers: asAdmin })).text();
    expect(overview).not.toContain(templateId);
    expect(overview).toContain(`subscribed to <code>${escapedTemplate}</code>`);
  });

  it("shows a broadcast's progress, and its counts as JSON for the live bars", async () => {
    const created = await h.post(
      '/v1/broadcasts',
      { kind: 'template', templateId: 'tmpl-progress', data: { k: 'v' }, audience: { type: 'all' } },
      h.apiKey,
    );
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const text = await (await fetch(`${h.url}/admin`, { headers: asAdmin })).text();
    expect(text).toContain(`<tr data-broadcast="${id}" data-live="true">`);
    expect(text).toContain('<progress max="1" value="0"></progress>');
    // read-only: no buttons
    expect(text).not.toContain(`/admin/broadcasts/${id}/cancel`);
    const progress = await fetch(`${h.url}/admin/api/broadcasts?ids=${id},${crypto.randomUUID()}`, {
      headers: asAdmin,
    });
    expect(progress.status).toBe(200);
    const { items } = (await progress.json()) as { items: Array<Record<string, unknown>> };
    expect(items).toEqual([
      expect.objectContaining({ id, status: 'scheduled', total: 0, sent: 0, pending: 0 }),
    ]);
  });
});

describe('the OpenAPI document', () => {
  it('describes every admin route', async () => {
    const document = (await (await fetch(`${h.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/admin',
        '/admin/apps/{appId}',
        '/admin/users',
        '/admin/api/broadcasts',
        '/admin/broadcasts/{id}/cancel',
        '/admin/broadcasts/{id}/resume',
        '/admin/queues',
      ]),
    );
  });
});

describe('Bull Board', () => {
  it('lists every queue of the deployment: both send lanes of each app, fan-out, token refresh, credit ingest, maintenance', async () => {
    const response = await fetch(`${h.url}/admin/queues/api/queues`, { headers: asAdmin });
    expect(response.status).toBe(200);
    const names = ((await response.json()) as BoardQueues).queues.map((queue) => queue.name).sort();
    const [first, second] = h.appIds;
    expect(names).toEqual(
      [
        `message-send-${first}`,
        `message-bulk-${first}`,
        `message-send-${second}`,
        `message-bulk-${second}`,
        'broadcast-fanout',
        'token-refresh',
        'credit-ingest',
        'dispatcher-maintenance',
      ].sort(),
    );
  });

  it('refuses its actions while ADMIN_READ_ONLY is the default, and the view offers none', async () => {
    const board = (await (
      await fetch(`${h.url}/admin/queues/api/queues`, { headers: asAdmin })
    ).json()) as BoardQueues;
    expect(board.queues.every((queue) => queue.readOnlyMode)).toBe(true);
    for (const action of [
      { method: 'PUT', path: '/admin/queues/api/queues/credit-ingest/retry/failed' },
      { method: 'PUT', path: '/admin/queues/api/queues/credit-ingest/clean/completed' },
      { method: 'PUT', path: '/admin/queues/api/queues/credit-ingest/pause' },
    ]) {
      const refused = await fetch(`${h.url}${action.path}`, { method: action.method, headers: asAdmin });
      expect(refused.status, action.path).toBe(405);
    }
    const cancel = await fetch(`${h.url}/admin/broadcasts/${crypto.randomUUID()}/cancel`, {
      method: 'POST',
      headers: asAdmin,
    });
    expect(cancel.status).toBe(403);
    expect((await cancel.json()).error.code).toBe('admin_read_only');
    const resume = await fetch(`${h.url}/admin/broadcasts/${crypto.randomUUID()}/resume`, {
      method: 'POST',
      headers: asAdmin,
    });
    expect(resume.status).toBe(403);
  });

  it('allows them with ADMIN_READ_ONLY=false, from this host only, and the view cancels a broadcast', async () => {
    const created = await actions.post(
      '/v1/broadcasts',
      { kind: 'template', templateId: 'tmpl-cancel', data: { k: 'v' }, audience: { type: 'all' } },
      actions.apiKey,
    );
    const { id } = (await created.json()) as { id: string };
    const page = await (await fetch(`${actions.url}/admin`, { headers: asAdmin })).text();
    expect(page).toContain(`action="/admin/broadcasts/${id}/cancel"`);
    const cancelled = await fetch(`${actions.url}/admin/broadcasts/${id}/cancel`, {
      method: 'POST',
      headers: { ...asAdmin, origin: actions.url },
      redirect: 'manual',
    });
    expect(cancelled.status).toBe(303);
    const view = await fetch(`${actions.url}/v1/broadcasts/${id}`, {
      headers: { authorization: `Bearer ${actions.apiKey}` },
    });
    expect(((await view.json()) as { status: string }).status).toBe('cancelled');

    const retried = await fetch(`${actions.url}/admin/queues/api/queues/credit-ingest/retry/failed`, {
      method: 'PUT',
      headers: asAdmin,
    });
    expect(retried.status).toBe(200);
    // a paused broadcast (as the dispatcher pauses one after consecutive template failures) resumes
    const toPause = await actions.post(
      '/v1/broadcasts',
      { kind: 'template', templateId: 'tmpl-resume', data: { k: 'v' }, audience: { type: 'all' } },
      actions.apiKey,
    );
    const paused = ((await toPause.json()) as { id: string }).id;
    await actions.db.broadcast.update({
      where: { id: paused },
      data: { status: 'paused', pausedReason: 'template rejected 3 times' },
    });
    const withPaused = await (await fetch(`${actions.url}/admin`, { headers: asAdmin })).text();
    expect(withPaused).toContain(`action="/admin/broadcasts/${paused}/resume"`);
    const resume = () =>
      fetch(`${actions.url}/admin/broadcasts/${paused}/resume`, {
        method: 'POST',
        headers: { ...asAdmin, origin: actions.url },
        redirect: 'manual',
      });
    expect((await resume()).status).toBe(303);
    expect((await actions.db.broadcast.findUniqueOrThrow({ where: { id: paused } })).status).toBe('running');
    const again = await resume();
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('not_paused');
    const crossSite = await fetch(`${actions.url}/admin/broadcasts/${crypto.randomUUID()}/cancel`, {
      method: 'POST',
      headers: { ...asAdmin, origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    expect((await crossSite.json()).error.code).toBe('cross_site_request');
    const unknown = await fetch(`${actions.url}/admin/broadcasts/${crypto.randomUUID()}/cancel`, {
      method: 'POST',
      headers: { ...asAdmin, origin: actions.url },
    });
    expect(unknown.status).toBe(404);
  });
});
