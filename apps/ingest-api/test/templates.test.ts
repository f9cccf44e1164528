import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Harness, startHarness } from './harness.js';

// Four apps, so that each test's on-demand syncs and faults touch only its own app's window.
let h: Harness;
beforeAll(async () => {
  // a window no test outlasts: the rate-limit test must see exactly one on-demand sync
  h = await startHarness({ worker: false, appCount: 4, templateSyncWindowMs: 120_000 });
});
afterAll(() => h.close());

const MEETING = {
  id: 'tmpl-meeting',
  kind: 'subscribe',
  title: '会议提醒',
  keys: ['thing1', 'date2', 'phrase3'],
  enumValues: { phrase3: ['已确认', '已取消'] },
  subscribeType: 'long_term',
};
const GOOD_DATA = { thing1: '周会', date2: '2026-12-24', phrase3: '已确认' };

async function sandbox(appId: string, path: string, body?: unknown) {
  const response = await fetch(`${h.sandboxUrl}/__sandbox/apps/${appId}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`sandbox ${path} answered ${response.status}: ${await response.text()}`);
  return response.json() as Promise<Record<string, unknown>>;
}

const templateListCalls = async (appId: string) => (await sandbox(appId, '')).templateListCalls as number;

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${h.url}${path}`, { ...init, headers: { authorization: `Bearer ${h.apiKey}`, ...init.headers } });

/** The central token exists, as the token-refresher would have fetched it; a sync then reads the list. */
async function syncedApp(appId: string, templates: unknown[]) {
  for (const template of templates) await sandbox(appId, '/templates', template);
  expect((await api(`/v1/apps/${appId}/access-token`)).status).toBe(200);
  const synced = await api(`/v1/apps/${appId}/templates/sync`, { method: 'POST' });
  expect(synced.status).toBe(200);
}

function subscribe(
  appId: string,
  templateId: string,
  data: Record<string, unknown>,
  openid = `o-${randomUUID()}`,
) {
  return h.post('/v1/messages', { appId, openid, kind: 'subscribe', templateId, data }, h.apiKey);
}

async function storedAndQueued(appId: string, templateId: string) {
  const rows = await h.db.message.count({ where: { appId, templateId } });
  const jobs = await h.messageQueue(appId).getJobCounts('waiting', 'delayed', 'prioritized', 'active');
  return { rows, jobs: Object.values(jobs).reduce((sum, count) => sum + count, 0) };
}

async function scrapeLine(name: string, appId: string) {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  return text.split('\n').find((line) => line.startsWith(name) && line.includes(`app="${appId}"`));
}

describe('the template registry', () => {
  let appA: string;
  beforeAll(async () => {
    appA = h.appIds[0]!;
    await syncedApp(appA, [MEETING, { id: 'tmpl-bare', kind: 'subscribe' }]);
  });

  it('GET /v1/apps/:appId/templates lists what WeChat (the sandbox) lists', async () => {
    const response = await api(`/v1/apps/${appA}/templates`);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({
      items: [
        {
          templateId: 'tmpl-bare',
          title: 'Sandbox template tmpl-bare',
          kind: 'subscribe',
          keys: [],
          subscribeType: 'one_time',
          keyKinds: {},
        },
        {
          templateId: 'tmpl-meeting',
          title: '会议提醒',
          kind: 'subscribe',
          keys: ['thing1', 'date2', 'phrase3'],
          subscribeType: 'long_term',
          keyKinds: { thing1: 'thing', date2: 'date', phrase3: 'phrase' },
          enumValues: { phrase3: ['已确认', '已取消'] },
        },
      ],
      registry: 'synced',
      syncedAt: expect.any(String),
    });
    expect((await api('/v1/apps/wx-nobody/templates')).status).toBe(404);
    expect((await api('/v1/apps/wx-nobody/templates/sync', { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${h.url}/v1/apps/${appA}/templates`)).status).toBe(401);
  });

  it('refuses an unknown template with 422 before anything is stored or queued', async () => {
    const response = await subscribe(appA, 'tmpl-nowhere', GOOD_DATA);
    expect(response.status).toBe(422);
    const body = await response.json();
    expect(body.error.code).toBe('unknown_template');
    expect(body.error.details).toMatchObject({
      templateId: 'tmpl-nowhere',
      knownTemplateIds: ['tmpl-bare', 'tmpl-meeting'],
    });
    expect(await storedAndQueued(appA, 'tmpl-nowhere')).toEqual({ rows: 0, jobs: 0 });
  });

  it('refuses a missing key, an unknown key, a bad value and a value outside the enum, naming each', async () => {
    const { phrase3: _dropped, ...missing } = GOOD_DATA;
    const cases: [Record<string, unknown>, string, Record<string, unknown>][] = [
      [missing, 'missing_template_keys', { keys: ['phrase3'] }],
      [{ ...GOOD_DATA, thing9: 'x' }, 'unknown_template_keys', { keys: ['thing9'] }],
      // wire shape too: the data is normalised before it is checked
      [
        { thing1: { value: '周会' }, date2: { value: '2026-12-24' }, phrase3: { value: '进行中' } },
        'invalid_template_value',
        { key: 'phrase3', enumValues: ['已确认', '已取消'] },
      ],
    ];
    for (const [data, code, details] of cases) {
      const response = await subscribe(appA, MEETING.id, data);
      expect(response.status).toBe(422);
      const body = await response.json();
      expect(body.error.code).toBe(code);
      expect(body.error.details).toMatchObject(details);
    }
    // a value that breaks its kind's rule is refused as before, naming the field
    const badDate = await subscribe(appA, MEETING.id, { ...GOOD_DATA, date2: 'next tuesday' });
    expect(badDate.status).toBe(422);
    expect((await badDate.json()).error.details.field).toBe('data.date2.value');
    expect(await storedAndQueued(appA, MEETING.id)).toEqual({ rows: 0, jobs: 0 });

    const fits = await subscribe(appA, MEETING.id, GOOD_DATA);
    expect(fits.status).toBe(202);
    // a template listed without keys is checked for existence only
    expect((await subscribe(appA, 'tmpl-bare', { thing7: 'anything' })).status).toBe(202);
  });

  it('never checks legacy template messages', async () => {
    const response = await h.post(
      '/v1/messages',
      {
        appId: appA,
        openid: 'o-legacy',
        kind: 'template',
        templateId: 'tmpl-nowhere',
        data: { keyword1: 'x' },
      },
      h.apiKey,
    );
    expect(response.status).toBe(202);
  });

  it('checks broadcasts, dry runs included, the same way', async () => {
    const broadcast = (extra: Record<string, unknown>) =>
      h.post(
        '/v1/broadcasts',
        {
          appId: appA,
          kind: 'subscribe',
          templateId: MEETING.id,
          data: GOOD_DATA,
          audience: { type: 'all' },
          ...extra,
        },
        h.apiKey,
      );
    const unknown = await broadcast({ templateId: 'tmpl-nowhere' });
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).error.code).toBe('unknown_template');
    const dryRun = await broadcast({ data: { thing1: '周会' }, dryRun: true });
    expect(dryRun.status).toBe(422);
    expect((await dryRun.json()).error).toMatchObject({
      code: 'missing_template_keys',
      details: { keys: ['date2', 'phrase3'] },
    });
    const enumBreak = await broadcast({ data: { ...GOOD_DATA, phrase3: '进行中' } });
    expect((await enumBreak.json()).error.code).toBe('invalid_template_value');
    expect(await h.db.broadcast.count({ where: { appId: appA } })).toBe(0);
    expect((await broadcast({ dryRun: true })).status).toBe(200);
  });
});

describe('the on-demand sync', () => {
  it('makes a template added in the console after the last sync sendable, without a restart', async () => {
    const appB = h.appIds[1]!;
    await syncedApp(appB, [MEETING]);
    expect(await templateListCalls(appB)).toBe(1);
    await sandbox(appB, '/templates', { id: 'tmpl-new', kind: 'subscribe', keys: ['thing1'] });
    const response = await subscribe(appB, 'tmpl-new', { thing1: 'hello' });
    expect(response.status).toBe(202);
    expect(await templateListCalls(appB)).toBe(2);
    // and what the new template declares is checked from now on
    const wrong = await subscribe(appB, 'tmpl-new', { thing2: 'hello' });
    expect((await wrong.json()).error.code).toBe('unknown_template_keys');
  });

  it('calls WeChat at most once per window however many sends name unknown templates', async () => {
    const appC = h.appIds[2]!;
    await syncedApp(appC, [MEETING]);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => subscribe(appC, `tmpl-unknown-${i}`, { thing1: 'x' })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(12).fill(422));
    const more = await subscribe(appC, 'tmpl-unknown-later', { thing1: 'x' });
    expect(more.status).toBe(422);
    // one sync to set the registry up, one on demand
    expect(await templateListCalls(appC)).toBe(2);
  });
});

describe('an unreadable template list', () => {
  it('lets sends pass unchecked and says so in the metrics, until a sync succeeds', async () => {
    const appD = h.appIds[3]!;
    await syncedApp(appD, [MEETING]);
    expect(await scrapeLine('minapush_template_registry_unreadable', appD)).toMatch(/ 0$/);
    // a WeChat stand-in that does not implement gettemplate answers 404
    await sandbox(appD, '/faults', { endpoint: 'template_list', httpStatus: 404 });
    const failed = await api(`/v1/apps/${appD}/templates/sync`, { method: 'POST' });
    expect(failed.status).toBe(503);
    expect((await failed.json()).error.code).toBe('template_list_unreadable');
    expect(await scrapeLine('minapush_template_registry_unreadable', appD)).toMatch(/ 1$/);
    expect(await scrapeLine('minapush_template_syncs_total', appD)).toBeDefined();
    expect(
      (await (await fetch(`${h.url}/metrics`)).text()).includes(
        `minapush_template_syncs_total{app="${appD}",outcome="unrecoverable"} 1`,
      ),
    ).toBe(true);
    expect(h.logs.text()).toContain(`the subscribe templates of ${appD} could not be read`);

    const listed = await (await api(`/v1/apps/${appD}/templates`)).json();
    expect(listed.registry).toBe('unreadable');
    expect(listed.items.map((item: { templateId: string }) => item.templateId)).toEqual([MEETING.id]);
    expect((await subscribe(appD, 'tmpl-nowhere', { thing1: 'x' })).status).toBe(202);
    expect((await subscribe(appD, MEETING.id, { thing9: 'x' })).status).toBe(202);

    await fetch(`${h.sandboxUrl}/__sandbox/apps/${appD}/faults`, { method: 'DELETE' });
    expect((await api(`/v1/apps/${appD}/templates/sync`, { method: 'POST' })).status).toBe(200);
    await eventually(async () =>
      (await scrapeLine('minapush_template_registry_unreadable', appD))?.endsWith(' 0') ? true : undefined,
    );
    expect((await subscribe(appD, 'tmpl-nowhere', { thing1: 'x' })).status).toBe(422);
  });
});
