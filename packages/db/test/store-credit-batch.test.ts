import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, storeCreditBatch } from '../src/index.js';

const db = createDatabase({
  url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/minapush_test',
});
afterAll(() => db.$disconnect());

const DAY = 86_400_000;

function batchFor(appId: string, openid: string) {
  const capturedAt = new Date(Date.now() - DAY);
  return {
    batchId: randomUUID(),
    appId,
    openid,
    seenAt: new Date(),
    credits: [
      {
        kind: 'form_id' as const,
        formId: `f-${randomUUID()}`,
        usesLeft: 1,
        capturedAt,
        expiresAt: new Date(capturedAt.getTime() + 7 * DAY),
      },
      {
        kind: 'prepay_id' as const,
        formId: `p-${randomUUID()}`,
        usesLeft: 3,
        capturedAt,
        expiresAt: new Date(capturedAt.getTime() + 7 * DAY),
      },
      { kind: 'subscribe' as const, templateId: 'tmpl-a', usesLeft: 1, capturedAt, expiresAt: null },
    ],
  };
}

describe('storeCreditBatch', () => {
  it('stores each credit once when the same batch is processed twice', async () => {
    const appId = `wx-${randomUUID().slice(0, 8)}`;
    const batch = batchFor(appId, 'o-1');
    expect(await storeCreditBatch(db, batch)).toEqual({ stored: 3 });
    expect(await storeCreditBatch(db, batch)).toEqual({ stored: 0 });
    const credits = await db.sendCredit.findMany({ where: { appId }, orderBy: { id: 'asc' } });
    expect(credits.map((c) => [c.kind, c.usesLeft, c.openid, c.state])).toEqual([
      ['form_id', 1, 'o-1', 'available'],
      ['prepay_id', 3, 'o-1', 'available'],
      ['subscribe', 1, 'o-1', 'available'],
    ]);
  });

  it('keeps a second accept of the same template as a second credit', async () => {
    const appId = `wx-${randomUUID().slice(0, 8)}`;
    await storeCreditBatch(db, batchFor(appId, 'o-1'));
    await storeCreditBatch(db, batchFor(appId, 'o-1'));
    const subscribe = await db.sendCredit.count({
      where: { appId, kind: 'subscribe', templateId: 'tmpl-a' },
    });
    expect(subscribe).toBe(2);
  });

  it('stores a formId once per app even when handed over in two batches', async () => {
    const appId = `wx-${randomUUID().slice(0, 8)}`;
    const first = batchFor(appId, 'o-1');
    const second = { ...batchFor(appId, 'o-1'), credits: first.credits.slice(0, 1) };
    await storeCreditBatch(db, first);
    expect(await storeCreditBatch(db, second)).toEqual({ stored: 0 });
  });

  it('records the user with first and last sighting, never moving lastSeenAt back', async () => {
    const appId = `wx-${randomUUID().slice(0, 8)}`;
    const late = { ...batchFor(appId, 'o-2'), seenAt: new Date('2030-01-02T00:00:00Z'), unionid: 'u-2' };
    const early = { ...batchFor(appId, 'o-2'), seenAt: new Date('2030-01-01T00:00:00Z') };
    await storeCreditBatch(db, late);
    await storeCreditBatch(db, early);
    const user = await db.appUser.findUniqueOrThrow({ where: { appId_openid: { appId, openid: 'o-2' } } });
    expect(user.firstSeenAt.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(user.lastSeenAt.toISOString()).toBe('2030-01-02T00:00:00.000Z');
    expect(user.unionid).toBe('u-2');
  });
});
