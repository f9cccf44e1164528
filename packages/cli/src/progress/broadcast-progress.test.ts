import { describe, expect, it } from 'vitest';
import { type BroadcastView, formatDuration, formatRate, ProgressTracker } from './broadcast-progress.js';

function view(fields: Partial<BroadcastView>): BroadcastView {
  return {
    id: 'b',
    status: 'running',
    total: 0,
    sent: 0,
    failed: 0,
    skipped: 0,
    unknown: 0,
    createdAt: '2026-12-01T00:00:00Z',
    ...fields,
  };
}

describe('ProgressTracker', () => {
  it('has no rate (and no ETA) until two reads are far enough apart', () => {
    const tracker = new ProgressTracker(5_000, 900);
    const first = tracker.add(view({ total: 1000, sent: 100, pending: 900 }), 0);
    expect(first.ratePerSecond).toBeUndefined();
    expect(first.etaSeconds).toBeUndefined();
    expect(tracker.add(view({ total: 1000, sent: 150, pending: 850 }), 500).ratePerSecond).toBeUndefined();
  });

  it('measures messages per second and the time the rest takes at that rate', () => {
    const tracker = new ProgressTracker(5_000, 900);
    tracker.add(view({ total: 1000, sent: 100, pending: 900 }), 0);
    const progress = tracker.add(
      view({ total: 1000, sent: 480, failed: 10, unknown: 10, pending: 500 }),
      1_000,
    );
    expect(progress.ratePerSecond).toBe(400);
    expect(progress.remaining).toBe(500);
    expect(progress.etaSeconds).toBe(1.25);
    expect(progress.settled).toBe(500);
    expect(progress.percent).toBe(50);
  });

  it('leaves skipped messages (no call to WeChat) out of the rate but counts them as settled', () => {
    const tracker = new ProgressTracker(5_000, 900);
    tracker.add(view({ total: 2000, sent: 0, pending: 2000 }), 0);
    const progress = tracker.add(view({ total: 2000, sent: 100, skipped: 1500, pending: 400 }), 2_000);
    expect(progress.ratePerSecond).toBe(50);
    expect(progress.settled).toBe(1600);
    expect(progress.etaSeconds).toBe(8);
  });

  it('follows the recent rate: reads older than the window no longer count', () => {
    const tracker = new ProgressTracker(2_000, 900);
    tracker.add(view({ total: 10_000, sent: 0 }), 0);
    tracker.add(view({ total: 10_000, sent: 1000 }), 1_000);
    tracker.add(view({ total: 10_000, sent: 2000 }), 2_000);
    tracker.add(view({ total: 10_000, sent: 2100 }), 3_000);
    const progress = tracker.add(view({ total: 10_000, sent: 2200 }), 4_000);
    // 2000 → 2200 over the last two seconds, not 0 → 2200 over four
    expect(progress.ratePerSecond).toBe(100);
    expect(progress.remaining).toBe(7800);
  });

  it('reads the remaining count from total when the server gives no pending', () => {
    const progress = new ProgressTracker().add(view({ total: 10, sent: 4 }), 0);
    expect(progress.remaining).toBe(6);
  });

  it('shows an ended broadcast as done, an empty one included', () => {
    const empty = new ProgressTracker().add(view({ status: 'completed', total: 0 }), 0);
    expect(empty.percent).toBe(100);
    expect(empty.etaSeconds).toBe(0);
    const notStarted = new ProgressTracker().add(view({ status: 'scheduled', total: 0 }), 0);
    expect(notStarted.percent).toBe(0);
  });

  it('gives a cancelled broadcast no ETA, even with messages still in flight', () => {
    const tracker = new ProgressTracker(5_000, 900);
    tracker.add(view({ total: 1000, sent: 600, pending: 400 }), 0);
    const cancelled = tracker.add(view({ status: 'cancelled', total: 1000, sent: 826, pending: 174 }), 1_000);
    expect(cancelled.ratePerSecond).toBe(226);
    expect(cancelled.etaSeconds).toBeUndefined();
  });
});

describe('formatting', () => {
  it.each([
    [undefined, '--'],
    [Number.POSITIVE_INFINITY, '--'],
    [0, '0s'],
    [1.2, '2s'],
    [59, '59s'],
    [65, '1m 05s'],
    [3599, '59m 59s'],
    [7380, '2h 03m'],
  ])('formatDuration(%s) is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it.each([
    [undefined, '--'],
    [0, '0.0'],
    [36.34, '36.3'],
    [499.6, '500'],
  ])('formatRate(%s) is %s', (rate, text) => {
    expect(formatRate(rate)).toBe(text);
  });
});
