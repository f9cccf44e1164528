import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createDatabase,
  killRefusedTemplateCredits,
  lockUserLedger,
  PAIRING_WINDOW_MS,
  pairPopupAccept,
  recordPushEvent,
  storeCreditBatch,
} from '../src/index.js';

const db = createDatabase({
  url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/minapush_test',
});
afterAll(() => db.$disconnect());

const HOUR = 3_600_000;
const T = 'tmpl-push';

async function event(appId: string, openid: string, at: Date): Promise<bigint> {
  const recorded = await recordPushEvent(db, {
    appId,
    dedupeKey: createKey(),
    eventType: 'popup',
    openid,
    eventTime: at,
    payload: {},
  });
  if (recorded.duplicate) throw new Error('a fresh key was taken');
  return recorded.id;
}

function createKey(): string {
  return (randomUUID() + randomUUID()).replaceAll('-', '');
}

/** The popup event's side, as applyPushEvent runs it: under the user's lock. */
function applyAccept(appId: string, openid: string, eventId: bigint, at: Date) {
  return db.$transaction(async (tx) => {
    await lockUserLedger(tx, appId, openid);
    return pairPopupAccept(tx, { appId, openid, eventId, templateId: T, eventTime: at });
  });
}

/** The client's side: a report of one accept of T at `at`. */
function reportAccept(appId: string, openid: string, at: Date, batchId: string = randomUUID()) {
  return storeCreditBatch(db, {
    batchId,
    appId,
    openid,
    seenAt: at,
    credits: [{ kind: 'subscribe', templateId: T, usesLeft: 1, capturedAt: at, expiresAt: null }],
  });
}

const credits = (appId: string) =>
  db.sendCredit.findMany({ where: { appId, templateId: T }, orderBy: { id: 'asc' } });

describe('pairing a popup event with the client report of the same tap', () => {
  it('pairs within the window, and not beyond it', async () => {
    const appId = `wx-${randomUUID().slice(0, 8)}`;
    const tapped = new Date(Date.now() - 3 * PAIRING_WINDOW_MS);
    expect(await applyAccept(appId, 'o-1', await event(appId, 'o-1', tapped), tapped)).toBe('inserted');
    // the report of the same tap, retried for 23 hours: the same tap
    expect(await reportAccept(appId, 'o-1', new Date(tapped.getTime() + 23 * HOUR))).toEqual({ stored: 0 });
    expect(await credits(appId)).toHaveLength(1);

    // a report 25 hours after another event is another tap
    const later = new Date(tapped.getTime() + 30 * HOUR);
    await applyAccept(appId, 'o-1', await event(appId, 'o-1', later), later);
    expect(await reportAccept(appId, 'o-1', new Date(later.getTime() + 25 * HOUR))).toEqual({ stored: 1 });
    expect(await credits(appId)).toHaveLength(3);

    // either way round: a report applied late, captured 25 hours before an event already applied
    const eventFirst = new Date(tapped.getTime() + 60 * HOUR);
    await applyAccept(appId, 'o-2', await event(appId, 'o-2', eventFirst), eventFirst);
    expect(await reportAccept(appId, 'o-2', new Date(eventFirst.getTime() - 25 * HOUR))).toEqual({
      stored: 1,
    });
    // and an event 25 hours after a report
    const reported = new Date(tapped.getTime() + 10 * HOUR);
    await reportAccept(appId, 'o-3', reported);
    const eventAfter = new Date(reported.getTime() + 25 * HOUR);
    expect(await applyAccept(appId, 'o-3', await event(appId, 'o-3', eventAfter), eventAfter)).toBe(
      'inserted',
    );
  });

  it("pairs with the event's credit even when it was already spent", async () => {
    const appId = `wx-${randomUUID().slice(0, 8)}`;
    const now = new Date();
    await applyAccept(appId, 'o-1', await event(appId, 'o-1', now), now);
    await db.sendCredit.updateMany({ where: { appId }, data: { state: 'spent', usesLeft: 0 } });
    expect(await reportAccept(appId, 'o-1', new Date(now.getTime() + 1000))).toEqual({ stored: 0 });
    expect((await credits(appId)).map((c) => c.state)).toEqual(['spent']);
  });

  it('pairs the oldest first, so two taps pair one to one', async () => {
    const appId = `wx-${randomUUID().slice(0, 8)}`;
    const first = new Date(Date.now() - 2 * HOUR);
    const second = new Date(Date.now() - HOUR);
    const reports = [randomUUID(), randomUUID()];
    await reportAccept(appId, 'o-1', first, reports[0]);
    await reportAccept(appId, 'o-1', second, reports[1]);
    const events = [await event(appId, 'o-1', first), await event(appId, 'o-1', second)];
    expect(await applyAccept(appId, 'o-1', events[0]!, first)).toBe('paired');
    expect(await applyAccept(appId, 'o-1', events[1]!, second)).toBe('paired');
    // and again: the same event changes nothing
    expect(await applyAccept(appId, 'o-1', events[1]!, second)).toBe('repeat');
    const stored = await credits(appId);
    expect(stored.map((c) => [c.pushEventId, c.capturedAt.getTime()])).toEqual([
      [events[0], first.getTime()],
      [events[1], second.getTime()],
    ]);
  });

  it("never pairs another user's or another template's credit", async () => {
    const appId = `wx-${randomUUID().slice(0, 8)}`;
    const now = new Date();
    await reportAccept(appId, 'o-other', now);
    await storeCreditBatch(db, {
      batchId: randomUUID(),
      appId,
      openid: 'o-1',
      seenAt: now,
      credits: [
        { kind: 'subscribe', templateId: 'tmpl-else', usesLeft: 1, capturedAt: now, expiresAt: null },
      ],
    });
    expect(await applyAccept(appId, 'o-1', await event(appId, 'o-1', now), now)).toBe('inserted');
  });
});

describe('killRefusedTemplateCredits', () => {
  it('kills the available credits captured until the change, and leaves claimed and later ones', async () => {
    const appId = `wx-${randomUUID().slice(0, 8)}`;
    const change = new Date(Date.now() - HOUR);
    await reportAccept(appId, 'o-1', new Date(change.getTime() - 2000));
    await reportAccept(appId, 'o-1', new Date(change.getTime() - 1000));
    await reportAccept(appId, 'o-1', new Date(change.getTime() + 1000));
    const [, claimed] = await credits(appId);
    await db.sendCredit.update({ where: { id: claimed!.id }, data: { state: 'claimed' } });
    expect(
      await killRefusedTemplateCredits(db, { appId, openid: 'o-1', templateId: T, refusedAt: change }),
    ).toBe(1);
    expect((await credits(appId)).map((c) => c.state)).toEqual(['dead', 'claimed', 'available']);
  });
});
