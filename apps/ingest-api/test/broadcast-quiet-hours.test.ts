import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

const APP_WINDOW = { start: '21:30', end: '07:00', timezone: 'Asia/Shanghai' };

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false, appCount: 2, quietHours: APP_WINDOW });
});
afterAll(async () => {
  await h.close();
});

const body = (extra: Record<string, unknown> = {}) => ({
  kind: 'subscribe',
  templateId: 'tmpl-news',
  data: { thing1: 'New season' },
  audience: { type: 'openids', openids: [`o-${randomUUID()}`] },
  ...extra,
});

async function create(extra: Record<string, unknown>) {
  const response = await h.post('/v1/broadcasts', body(extra), h.apiKey);
  return { status: response.status, body: await response.json() };
}

async function view(id: string) {
  const response = await fetch(`${h.url}/v1/broadcasts/${id}`, {
    headers: { authorization: `Bearer ${h.apiKey}` },
  });
  expect(response.status).toBe(200);
  return response.json();
}

describe('POST /v1/broadcasts quietHours', () => {
  it('refuses a malformed window with 400, naming the field and how to write it', async () => {
    const cases: Array<[unknown, string]> = [
      [{ start: '24:00', end: '08:00' }, 'quietHours.start'],
      [{ start: '22:00', end: '8:00' }, 'quietHours.end'],
      [{ start: '22:00', end: '08:00', timezone: 'Mars/Olympus' }, 'quietHours.timezone'],
      [{ start: '22:00', end: '08:00', timezone: 'x'.repeat(1_000) }, 'quietHours.timezone'],
      [{ start: '22:00', end: '22:00' }, 'quietHours.end'],
      [{ start: '22:00', end: '08:00', tz: 'UTC' }, 'quietHours'],
      ['22:00-08:00', 'quietHours'],
    ];
    for (const [quietHours, field] of cases) {
      const response = await create({ quietHours });
      expect(response.status, JSON.stringify(quietHours)).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
      expect(response.body.error.message).toContain(`${field}:`);
      expect(response.body.error.details.issues[0].path).toBe(field);
    }
    const zone = await create({ quietHours: { start: '22:00', end: '08:00', timezone: 'Mars/Olympus' } });
    expect(zone.body.error.message).toContain('IANA time zone');
    expect(zone.body.error.message).toContain('Asia/Shanghai');
  });

  it('keeps its own window, in China time unless a zone is named, and shows it', async () => {
    const china = await create({ quietHours: { start: '22:00', end: '08:00' } });
    expect(china.status).toBe(202);
    expect((await view(china.body.id)).quietHours).toEqual({
      start: '22:00',
      end: '08:00',
      timezone: 'Asia/Shanghai',
    });
    const berlin = await create({ quietHours: { start: '20:00', end: '09:00', timezone: 'europe/berlin' } });
    expect(berlin.status).toBe(202);
    const stored = await h.db.broadcast.findUniqueOrThrow({ where: { id: berlin.body.id } });
    expect(stored.quietHours).toEqual({ start: '20:00', end: '09:00', timezone: 'Europe/Berlin' });
  });

  it("keeps the app's window when it brings none; another app's broadcast has none", async () => {
    const own = await create({});
    expect(own.status).toBe(202);
    expect((await view(own.body.id)).quietHours).toEqual(APP_WINDOW);
    const other = await create({ appId: h.appIds[1] });
    expect(other.status).toBe(202);
    expect((await view(other.body.id)).quietHours).toBeUndefined();
  });

  it('is part of the idempotent request as written, not as the app has it', async () => {
    const key = `k-${randomUUID()}`;
    const audience = { type: 'openids', openids: ['o-same'] };
    const first = await create({
      idempotencyKey: key,
      audience,
      quietHours: { start: '22:00', end: '08:00' },
    });
    // the same window spelt with its default zone is the same request
    const again = await create({
      idempotencyKey: key,
      audience,
      quietHours: { start: '22:00', end: '08:00', timezone: 'Asia/Shanghai' },
    });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    const other = await create({
      idempotencyKey: key,
      audience,
      quietHours: { start: '23:00', end: '08:00' },
    });
    expect(other.status).toBe(409);
    // without a window of its own, the app's is not hashed: a replay matches whatever the app has now
    const appKey = `k-${randomUUID()}`;
    const plain = await create({ idempotencyKey: appKey, audience });
    expect((await create({ idempotencyKey: appKey, audience })).body.id).toBe(plain.body.id);
  });
});

describe('GET /v1/broadcasts/:id waitingUntil', () => {
  it('shows when the quiet hours end while they hold the broadcast, and only then', async () => {
    const created = await create({ quietHours: { start: '22:00', end: '08:00' } });
    const id = created.body.id as string;
    expect((await view(id)).waitingUntil).toBeUndefined();
    const until = new Date('2026-12-03T00:00:00.000Z');
    // what the dispatcher's batch writes when it finds the window (apps/dispatcher tests that part)
    await h.db.broadcast.update({ where: { id }, data: { status: 'running', waitingUntil: until } });
    const waiting = await view(id);
    expect(waiting.status).toBe('running');
    expect(waiting.waitingUntil).toBe(until.toISOString());
    await h.db.broadcast.update({ where: { id }, data: { status: 'cancelled' } });
    expect((await view(id)).waitingUntil).toBeUndefined();
  });
});

describe('OpenAPI', () => {
  it('describes quietHours and waitingUntil, and that single messages are never held', async () => {
    const document = await (await fetch(`${h.url}/openapi.json`)).json();
    const post = document.paths['/v1/broadcasts'].post;
    expect(post.requestBody.content['application/json'].schema.properties.quietHours.required).toEqual([
      'start',
      'end',
    ]);
    expect(post.description).toContain('quietHours');
    let got = document.paths['/v1/broadcasts/{id}'].get.responses['200'].content['application/json'].schema;
    if (got.$ref) got = document.components.schemas[String(got.$ref).split('/').pop() ?? ''];
    expect(Object.keys(got.properties)).toEqual(expect.arrayContaining(['quietHours', 'waitingUntil']));
    expect(document.paths['/v1/messages'].post.description).toContain(
      'Quiet hours never hold a single message',
    );
  });
});
