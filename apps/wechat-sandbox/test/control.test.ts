import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, SandboxClient, startSandbox } from './sandbox-client.js';

let running: RunningSandbox;
let client: SandboxClient;

beforeAll(async () => {
  running = await startSandbox({ demoApp: { appId: 'wx-demo-control', secret: 'demo-secret' } });
  client = new SandboxClient(running.baseUrl);
});

afterAll(async () => {
  await running.close();
});

describe('control API', () => {
  it('creates an app with generated credentials and describes it', async () => {
    const app = await client.createApp({ pages: ['pages/index/index'], perMinuteLimit: 50 });
    expect(app.appId).toMatch(/^wx[0-9a-f]{16}$/);
    expect(app.secret).toMatch(/^[0-9a-f]{32}$/);
    const described = await client.control(app.appId, '');
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({
      appId: app.appId,
      pages: ['pages/index/index'],
      templates: [],
      dailyTokenLimit: 2000,
      perMinuteLimit: 50,
      tokenFetches: { classic: 0, stable: 0, stableForced: 0 },
      sends: 0,
    });
  });

  it('refuses a taken appId with 409 and an unknown app with 404', async () => {
    await client.createApp({ appId: 'wx-taken-1', secret: 's' });
    const again = await client.post('/__sandbox/apps', { appId: 'wx-taken-1' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('app_exists');
    const missing = await client.get('/__sandbox/apps/wx-never-made');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: { code: 'app_not_found', message: expect.stringContaining('wx-never-made') },
    });
  });

  it('answers 400 naming each bad field, for bad values, unknown fields and bad JSON', async () => {
    const bad = await client.post('/__sandbox/apps', {
      appId: 'has space',
      templates: [{ id: 't', kind: 'sms' }],
      perMinuteLimt: 5,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect(bad.body.error.message).toContain('body.appId');
    expect(bad.body.error.message).toContain('body.templates.0.kind');
    expect(bad.body.error.message).toContain('perMinuteLimt');
    const broken = await client.post('/__sandbox/apps', '{"appId":');
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('invalid_body');
    const tooMany = await client.post('/__sandbox/apps', { pages: Array.from({ length: 1001 }, () => 'p') });
    expect(tooMany.status).toBe(400);
    const tooBig = await client.post('/__sandbox/apps', { pages: ['p'.repeat(300_000)] });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('payload_too_large');
    const app = await client.createApp();
    const noOpenid = await client.control(app.appId, '/form-ids', { count: 2 });
    expect(noOpenid.status).toBe(400);
    expect(noOpenid.body.error.message).toContain('body.openid');
    const tooManyIds = await client.control(app.appId, '/form-ids', { openid: 'o', count: 5000 });
    expect(tooManyIds.status).toBe(400);
  });

  it('registers templates once per kind', async () => {
    const app = await client.createApp();
    expect((await client.control(app.appId, '/templates', { id: 't1', kind: 'template' })).status).toBe(201);
    const conflict = await client.control(app.appId, '/subscriptions', { openid: 'o-1', templateId: 't1' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('template_kind_conflict');
    const subscribed = await client.control(app.appId, '/subscriptions', {
      openid: 'o-1',
      templateId: 't2',
      count: 3,
    });
    expect(subscribed.status).toBe(201);
    expect(subscribed.body).toEqual({ templateId: 't2', credits: 3 });
    const described = await client.control(app.appId, '');
    expect(described.body.templates).toEqual([
      { id: 't1', kind: 'template' },
      { id: 't2', kind: 'subscribe' },
    ]);
  });

  it('creates users with or without an openid', async () => {
    const app = await client.createApp();
    const named = await client.control(app.appId, '/users', { openid: 'o-named', unionid: 'u-named' });
    expect(named.status).toBe(201);
    expect(named.body).toEqual({ openid: 'o-named', unionid: 'u-named' });
    const generated = await client.control(app.appId, '/users', {});
    expect(generated.body.openid).toEqual(expect.any(String));
    expect(generated.body.openid).not.toBe('o-named');
  });

  it('reads, sets and advances one app clock without moving another', async () => {
    const app = await client.createApp();
    const other = await client.createApp();
    const set = await client.control(app.appId, '/clock', { now: '2030-01-01T00:00:00.000Z' });
    expect(set.body.now.slice(0, 16)).toBe('2030-01-01T00:00');
    const advanced = await client.control(app.appId, '/clock', { advanceMs: 3_600_000 });
    expect(advanced.body.now.slice(0, 16)).toBe('2030-01-01T01:00');
    const read = await client.control(other.appId, '/clock');
    expect(Math.abs(Date.parse(read.body.now) - Date.now())).toBeLessThan(60_000);
    expect((await client.control(app.appId, '/clock', {})).status).toBe(400);
    expect((await client.control(app.appId, '/clock', { advanceMs: -5 })).status).toBe(400);
  });

  it('deletes an app: its tokens stop working and its id is free again', async () => {
    const app = await client.createApp({
      appId: 'wx-delete-me',
      templates: [{ id: 't', kind: 'subscribe' }],
    });
    const token = await client.accessToken(app);
    await client.subscribe(app.appId, 'o-del', 't');
    expect((await client.delete('/__sandbox/apps/wx-delete-me')).status).toBe(204);
    expect((await client.get('/__sandbox/apps/wx-delete-me')).status).toBe(404);
    expect((await client.delete('/__sandbox/apps/wx-delete-me')).status).toBe(404);
    const reply = await client.subscribeSend(token, { touser: 'o-del', template_id: 't', data: {} });
    expect(reply.body.errcode).toBe(40001);
    expect((await client.post('/__sandbox/apps', { appId: 'wx-delete-me' })).status).toBe(201);
  });

  it('answers 404 JSON for unknown control routes', async () => {
    const reply = await client.get('/__sandbox/nothing-here');
    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe('not_found');
  });
});

describe('demo app', () => {
  it('exists at start with a subscribe and a legacy template', async () => {
    const described = await client.get('/__sandbox/apps/wx-demo-control');
    expect(described.body.templates).toEqual([
      { id: 'demo-subscribe-order', kind: 'subscribe' },
      { id: 'demo-template-order', kind: 'template' },
    ]);
    const token = await client.classicToken({ appId: 'wx-demo-control', secret: 'demo-secret' });
    expect(token.body.access_token).toEqual(expect.any(String));
  });
});
