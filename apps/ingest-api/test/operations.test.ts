import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
let noAdmin: Harness;
beforeAll(async () => {
  [h, noAdmin] = await Promise.all([
    startHarness({ admin: { username: 'ops', password: 'correct horse' } }),
    startHarness({ worker: false }),
  ]);
});
afterAll(() => Promise.all([h.close(), noAdmin.close()]));

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('operating the ingest API', () => {
  it('reports health and readiness', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { postgres: 'up', redis: 'up' },
      apps: { [h.appId]: { status: 'ok' } },
    });
  });

  it('exposes Prometheus metrics that count accepted and rejected credits', async () => {
    await h.post('/v1/form-ids', { formIds: ['the formId is a mock one'], openid: 'o-metrics' }, h.apiKey);
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).toContain(`minapush_credits_rejected_total{app="${h.appId}",reason="mock"} 1`);
    expect(text).toMatch(
      /minapush_http_requests_total\{method="POST",route="\/v1\/form-ids",status="202"\} 1/,
    );
    expect(text).not.toContain(h.apiKey);
  });

  it('guards Bull Board with HTTP Basic, and answers 503 when no admin is configured', async () => {
    const anonymous = await fetch(`${h.url}/admin/queues`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(
      (await fetch(`${h.url}/admin/queues`, { headers: { authorization: basic('ops', 'wrong') } })).status,
    ).toBe(401);
    const board = await fetch(`${h.url}/admin/queues`, {
      headers: { authorization: basic('ops', 'correct horse') },
    });
    expect(board.status).toBe(200);
    expect(await board.text()).toMatch(/<html/i);
    const queues = await fetch(`${h.url}/admin/queues/api/queues`, {
      headers: { authorization: basic('ops', 'correct horse') },
    });
    expect(JSON.stringify(await queues.json())).toContain('credit-ingest');

    const disabled = await fetch(`${noAdmin.url}/admin/queues`);
    expect(disabled.status).toBe(503);
    expect((await disabled.json()).error.message).toMatch(/admin disabled/);
  });

  it('serves the OpenAPI document and a page that renders it', async () => {
    const document = await (await fetch(`${h.url}/openapi.json`)).json();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/v1/sessions',
        '/v1/form-ids',
        '/v1/subscriptions',
        '/v1/apps/{appId}/access-token',
        '/v1/apps/{appId}/access-token/refresh',
        '/healthz',
        '/readyz',
      ]),
    );
    const page = await fetch(`${h.url}/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui-bundle.js');
    expect(await (await fetch(`${h.url}/docs/swagger-init.js`)).text()).toContain('/openapi.json');
    expect((await fetch(`${h.url}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await fetch(`${h.url}/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect((await response.json()).error.code).toBe('not_found');
  });
});
