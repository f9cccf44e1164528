import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, SandboxClient, startSandbox } from './sandbox-client.js';

let running: RunningSandbox;
let client: SandboxClient;

beforeAll(async () => {
  running = await startSandbox();
  client = new SandboxClient(running.baseUrl);
});

afterAll(async () => {
  await running.close();
});

const openidsOf = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('POST /__sandbox/apps/:appId/form-ids/bulk', () => {
  it('mints formIds for every openid, in order, and each can be spent once by its own user only', async () => {
    const app = await client.createApp({ templates: [{ id: 'tpl', kind: 'template' }] });
    const reply = await client.control(app.appId, '/form-ids/bulk', { openids: ['o-a', 'o-b', 'o-a'] });
    expect(reply.status).toBe(201);
    const formIds = reply.body.formIds as {
      openid: string;
      formId: string;
      kind: string;
      createdAt: string;
      expiresAt: string;
    }[];
    expect(formIds.map((f) => f.openid)).toEqual(['o-a', 'o-b', 'o-a']);
    expect(formIds[0]).toEqual({
      openid: 'o-a',
      formId: expect.stringMatching(/^[0-9a-f]{32}$/),
      kind: 'form_id',
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
    });
    const first = formIds[0]!;
    expect(Date.parse(first.expiresAt) - Date.parse(first.createdAt)).toBe(7 * 86_400_000);
    expect(new Set(formIds.map((f) => f.formId)).size).toBe(3);
    expect((await client.control(app.appId, '')).body.users).toBe(2);

    const token = await client.accessToken(app);
    const send = (touser: string, formId: string) =>
      client.templateSend(token, { touser, template_id: 'tpl', form_id: formId, data: {} });
    expect((await send('o-b', formIds[0]!.formId)).body.errcode).toBe(41028);
    expect((await send('o-a', formIds[0]!.formId)).body.errcode).toBe(0);
    expect((await send('o-a', formIds[0]!.formId)).body.errcode).toBe(41029);
    expect((await send('o-b', formIds[1]!.formId)).body.errcode).toBe(0);
  });

  it('takes kind and count per user', async () => {
    const app = await client.createApp();
    const reply = await client.control(app.appId, '/form-ids/bulk', {
      openids: ['o-1', 'o-2'],
      kind: 'prepay_id',
      count: 3,
    });
    expect(reply.status).toBe(201);
    expect(reply.body.formIds).toHaveLength(6);
    expect(reply.body.formIds.map((f: { openid: string }) => f.openid)).toEqual([
      'o-1',
      'o-1',
      'o-1',
      'o-2',
      'o-2',
      'o-2',
    ]);
    expect(reply.body.formIds.every((f: { kind: string }) => f.kind === 'prepay_id')).toBe(true);
  });

  it('takes 10,000 openids in one call (a body over the general 256 KiB limit)', async () => {
    const app = await client.createApp();
    const openids = openidsOf('o-a-fairly-long-openid-to-make-the-body-large', 10_000);
    expect(JSON.stringify({ openids }).length).toBeGreaterThan(256 * 1024);
    const reply = await client.control(app.appId, '/form-ids/bulk', { openids });
    expect(reply.status).toBe(201);
    expect(reply.body.formIds).toHaveLength(10_000);
    expect(reply.body.formIds[9_999].openid).toBe(openids[9_999]);
    expect((await client.control(app.appId, '')).body.users).toBe(10_000);
  });

  it('refuses bad input with a 400 naming the field, and creates nothing', async () => {
    const app = await client.createApp();
    const cases: [unknown, string][] = [
      [{}, 'body.openids'],
      [{ openids: [] }, 'body.openids'],
      [{ openids: openidsOf('o', 10_001) }, 'body.openids'],
      [{ openids: ['o', ''] }, 'body.openids.1'],
      [{ openids: ['o'], count: 0 }, 'body.count'],
      [{ openids: ['o'], count: 101 }, 'body.count'],
      [{ openids: openidsOf('o', 2_000), count: 51 }, 'openids × count'],
      [{ openids: ['o'], kind: 'coupon' }, 'body.kind'],
      [{ openids: ['o'], openid: 'o' }, 'openid'],
    ];
    for (const [body, named] of cases) {
      const reply = await client.control(app.appId, '/form-ids/bulk', body);
      expect(reply.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(reply.body.error.code).toBe('invalid_request');
      expect(reply.body.error.message).toContain(named);
    }
    expect((await client.control(app.appId, '')).body.users).toBe(0);
    const missing = await client.control('wx-no-such-app', '/form-ids/bulk', { openids: ['o'] });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('app_not_found');
  });

  it('answers 413 naming its own limit for a body over 2 MiB', async () => {
    const app = await client.createApp();
    const reply = await client.control(app.appId, '/form-ids/bulk', {
      openids: openidsOf('o'.repeat(120), 10_000).concat(openidsOf('x'.repeat(120), 10_000)),
    });
    expect(reply.status).toBe(413);
    expect(reply.body.error).toEqual({
      code: 'payload_too_large',
      message: expect.stringContaining('2097152'),
    });
  });

  it('keeps the 256 KiB limit on the single routes', async () => {
    const app = await client.createApp();
    const reply = await client.control(app.appId, '/form-ids', { openid: 'o'.repeat(300_000) });
    expect(reply.status).toBe(413);
    expect(reply.body.error.message).toContain(String(256 * 1024));
  });
});

describe('POST /__sandbox/apps/:appId/subscriptions/bulk', () => {
  it('credits every user with the template, which each can then be sent once per credit', async () => {
    const app = await client.createApp();
    const reply = await client.control(app.appId, '/subscriptions/bulk', {
      openids: ['o-1', 'o-2', 'o-1'],
      templateId: 'tpl-sub',
      count: 2,
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      templateId: 'tpl-sub',
      subscriptions: [
        { openid: 'o-1', credits: 2 },
        { openid: 'o-2', credits: 2 },
        { openid: 'o-1', credits: 4 },
      ],
    });
    const described = await client.control(app.appId, '');
    expect(described.body.templates).toEqual([{ id: 'tpl-sub', kind: 'subscribe' }]);
    expect(described.body.users).toBe(2);

    const token = await client.accessToken(app);
    const send = () =>
      client.subscribeSend(token, {
        touser: 'o-2',
        template_id: 'tpl-sub',
        data: { thing1: { value: 'x' } },
      });
    expect((await send()).body.errcode).toBe(0);
    expect((await send()).body.errcode).toBe(0);
    expect((await send()).body.errcode).toBe(43101);
  });

  it('refuses a legacy template id with 409 before crediting anyone', async () => {
    const app = await client.createApp({ templates: [{ id: 'tpl-legacy', kind: 'template' }] });
    const reply = await client.control(app.appId, '/subscriptions/bulk', {
      openids: ['o-1', 'o-2'],
      templateId: 'tpl-legacy',
    });
    expect(reply.status).toBe(409);
    expect(reply.body.error.code).toBe('template_kind_conflict');
    expect((await client.control(app.appId, '')).body.users).toBe(0);
  });

  it('refuses bad input with a 400 naming the field', async () => {
    const app = await client.createApp();
    const cases: [unknown, string][] = [
      [{ openids: ['o'] }, 'body.templateId'],
      [{ templateId: 't' }, 'body.openids'],
      [{ openids: openidsOf('o', 10_001), templateId: 't' }, 'body.openids'],
      [{ openids: ['o'], templateId: 't', count: 1.5 }, 'body.count'],
      [{ openids: openidsOf('o', 10_000), templateId: 't', count: 11 }, 'openids × count'],
    ];
    for (const [body, named] of cases) {
      const reply = await client.control(app.appId, '/subscriptions/bulk', body);
      expect(reply.status).toBe(400);
      expect(reply.body.error.message).toContain(named);
    }
    expect((await client.control(app.appId, '')).body.templates).toEqual([]);
  });
});
