import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMinapush, type Minapush, MOCK_FORM_ID } from '../src/index.js';
import { submitEvent } from './support/fake-wx.js';
import { eventually, type IngestStack, startIngestStack } from './support/ingest-stack.js';
import { NodeWx } from './support/node-wx.js';

// The SDK's uploader in Node, with wx.request doing real HTTP, against the real ingest API and
// the WeChat sandbox; the credits must end up in Postgres under the user's openid.

const TEMPLATE = 'tmpl-order-shipped';
let stack: IngestStack;
const clients: Minapush[] = [];

beforeAll(async () => {
  stack = await startIngestStack({ templates: [TEMPLATE] });
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await stack?.stop();
});

function launch(wx: NodeWx): Minapush {
  const client = createMinapush({
    baseUrl: stack.apiUrl,
    wx,
    batchSize: 20,
    flushIntervalMs: 3_600_000,
    onError: () => undefined,
  });
  clients.push(client);
  return client;
}

function newUser(): NodeWx {
  return new NodeWx(stack.control, `o-sdk-${randomUUID()}`);
}

async function mintFormIds(openid: string, count: number): Promise<string[]> {
  const { formIds } = await stack.control<{ formIds: Array<{ formId: string }> }>('/form-ids', {
    openid,
    count,
  });
  return formIds.map((item) => item.formId);
}

function creditsOf(openid: string) {
  return stack.db.sendCredit.findMany({ where: { appId: stack.appId, openid }, orderBy: { id: 'asc' } });
}

async function creditsWhenThere(openid: string, count: number) {
  return eventually(async () => {
    const rows = await creditsOf(openid);
    return rows.length >= count ? rows : undefined;
  });
}

describe('the SDK against the real ingest API', () => {
  it('logs in through WeChat and stores collected formIds as credits of that openid', async () => {
    const wx = newUser();
    const client = launch(wx);
    expect(await client.login()).toMatchObject({ ok: true, openid: wx.openid });

    const formIds = await mintFormIds(wx.openid, 3);
    const tappedAt = Date.now();
    for (const formId of formIds) expect(client.collect(submitEvent(formId))).toBe(true);
    expect(client.collect(submitEvent(MOCK_FORM_ID))).toBe(false);

    const report = await client.flush();
    expect(report).toMatchObject({ sent: 3, accepted: 3, rejected: [], pending: 0 });
    expect(report.error).toBeUndefined();

    const credits = await creditsWhenThere(wx.openid, 3);
    expect(credits.map((c) => [c.formId, c.kind, c.usesLeft, c.state])).toEqual(
      formIds.map((formId) => [formId, 'form_id', 1, 'available']),
    );
    for (const credit of credits) {
      expect(Math.abs(credit.capturedAt.getTime() - tappedAt)).toBeLessThan(5_000);
      expect(credit.expiresAt!.getTime() - credit.capturedAt.getTime()).toBe(7 * 86_400_000);
    }
  });

  it('never uploads a formId twice across a restart, and logs in again when the API refuses the session', async () => {
    const wx = newUser();
    const first = launch(wx);
    const [early, late] = await mintFormIds(wx.openid, 2);
    first.collect(early!);
    expect(await first.flush()).toMatchObject({ accepted: 1, rejected: [] });
    first.destroy();

    // The stored token is no longer good (say, the API's signing secret was rotated).
    const session = JSON.parse(wx.storage.get('minapush:session')!);
    wx.storage.set('minapush:session', JSON.stringify({ ...session, token: `${session.token}x` }));

    const second = launch(wx);
    expect(second.collect(early!)).toBe(false);
    expect(second.collect(late!)).toBe(true);
    const report = await second.flush();
    expect(report).toMatchObject({ sent: 1, accepted: 1, rejected: [], pending: 0 });
    expect(wx.log.filter((line) => line.startsWith('POST /v1/form-ids'))).toEqual([
      'POST /v1/form-ids 202',
      'POST /v1/form-ids 401',
      'POST /v1/form-ids 202',
    ]);

    const credits = await creditsWhenThere(wx.openid, 2);
    expect(credits.map((c) => c.formId)).toEqual([early, late]);
  });

  it('reports an accepted subscribe template as a subscribe credit', async () => {
    const wx = newUser();
    const client = launch(wx);
    const outcome = await client.requestSubscribe([TEMPLATE]);
    expect(outcome).toMatchObject({ ok: true, accepted: [TEMPLATE], delivered: true, credited: 1 });

    const credits = await creditsWhenThere(wx.openid, 1);
    expect(credits.map((c) => [c.kind, c.templateId, c.usesLeft, c.expiresAt])).toEqual([
      ['subscribe', TEMPLATE, 1, null],
    ]);
  });
});
