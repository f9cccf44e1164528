import { describe, expect, it } from 'vitest';
import { type BroadcastView, ProgressTracker } from './broadcast-progress.js';
import { createLineDisplay, statusText } from './progress-display.js';

function view(fields: Partial<BroadcastView>): BroadcastView {
  return {
    id: 'b',
    status: 'running',
    total: 100,
    sent: 0,
    failed: 0,
    skipped: 0,
    unknown: 0,
    createdAt: '2026-12-01T00:00:00Z',
    ...fields,
  };
}

describe('line display (stderr is not a terminal)', () => {
  it('prints a line per change at most once a period, a status change at once, and the last state on stop', () => {
    const lines: string[] = [];
    const display = createLineDisplay({ write: (text: string) => lines.push(text) }, 60_000);
    const tracker = new ProgressTracker();
    const show = (v: BroadcastView) => display.update(v, tracker.add(v, Date.now()));
    show(view({ status: 'scheduled', total: 0 }));
    show(view({ sent: 10 }));
    show(view({ sent: 20 }));
    show(view({ sent: 30 }));
    expect(lines).toEqual([
      'scheduled: 0/0 (0%)  sent 0  failed 0  skipped 0  unknown 0  -- msg/s  ETA --\n',
      'running: 10/100 (10%)  sent 10  failed 0  skipped 0  unknown 0  -- msg/s  ETA --\n',
    ]);
    display.stop();
    expect(lines[2]).toMatch(/^running: 30\/100 \(30%\) {2}sent 30 /);
    expect(lines).toHaveLength(3);
  });

  it('says why a paused broadcast stopped', () => {
    const lines: string[] = [];
    const display = createLineDisplay({ write: (text: string) => lines.push(text) });
    const paused = view({ status: 'paused', pausedReason: 'template_error', sent: 3, failed: 3 });
    display.update(paused, new ProgressTracker().add(paused, 0));
    expect(lines[0]).toMatch(/^paused \(template_error\): 6\/100/);
  });
});

describe('statusText', () => {
  it('shows a broadcast holding its sends for quiet hours as waiting, until the time has come', () => {
    const now = Date.parse('2026-12-01T15:00:00Z');
    const waiting = view({ waitingUntil: '2026-12-02T00:00:00Z' });
    expect(statusText(waiting, now)).toBe('waiting until 00:00Z');
    expect(statusText(waiting, Date.parse('2026-12-02T00:00:01Z'))).toBe('running');
    expect(statusText(view({}), now)).toBe('running');
  });
});
