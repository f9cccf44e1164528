import { describe, expect, it } from 'vitest';
import { type BroadcastProgress, broadcastsTable, relativeTime } from './admin-pages.js';

const now = new Date('2026-12-01T12:00:00Z');
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);

describe('relativeTime', () => {
  it('says how far ahead or behind, in seconds, minutes or hours and minutes', () => {
    expect(relativeTime(at(42), now)).toBe('in 42 s');
    expect(relativeTime(at(-42), now)).toBe('42 s ago');
    expect(relativeTime(at(59 * 60 + 59), now)).toBe('in 59 min');
    expect(relativeTime(at(2 * 3600 + 5 * 60), now)).toBe('in 2 h 5 min');
    expect(relativeTime(at(-3600), now)).toBe('1 h 0 min ago');
  });
});

describe('broadcastsTable', () => {
  const broadcast = (status: string): BroadcastProgress => ({
    id: '01900000-0000-7000-8000-000000000001',
    appId: 'wx1',
    status,
    total: 10,
    sent: 3,
    failed: 1,
    skipped: 1,
    unknown: 0,
    pending: 5,
    createdAt: now,
  });
  const context = (readOnly: boolean) => ({ appIds: ['wx1'], readOnly, nonce: 'n', now });

  it('draws a bar of the settled messages, live while the broadcast can still move', () => {
    const running = broadcastsTable([broadcast('running')], context(true)).text;
    expect(running).toContain(
      '<progress max="10" value="5"></progress> <span data-field="percent">50%</span>',
    );
    expect(running).toContain('data-live="true"');
    const done = broadcastsTable([broadcast('completed')], context(true)).text;
    expect(done).toContain('data-live="false"');
  });

  it('offers cancel, and resume of a paused broadcast, only when not read-only', () => {
    const cancel = '/cancel"';
    expect(broadcastsTable([broadcast('running')], context(true)).text).not.toContain(cancel);
    expect(broadcastsTable([broadcast('running')], context(false)).text).toContain(cancel);
    const paused = broadcastsTable([broadcast('paused')], context(false)).text;
    expect(paused).toContain('/resume"');
    expect(broadcastsTable([broadcast('paused')], context(true)).text).not.toContain('/resume"');
    expect(broadcastsTable([broadcast('running')], context(false)).text).not.toContain('/resume"');
    expect(broadcastsTable([broadcast('completed')], context(false)).text).not.toContain(cancel);
  });
});
