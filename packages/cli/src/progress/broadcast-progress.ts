/**
 * The numbers a watched broadcast shows: how far it is, how fast it sends and when it will be done.
 * Pure: fed with the API's views and the time each was read.
 */

/** What GET /v1/broadcasts/:id answers (fields this CLI does not know are kept as they came). */
export interface BroadcastView {
  id: string;
  status: 'scheduled' | 'running' | 'paused' | 'completed' | 'cancelled' | (string & {});
  total: number;
  sent: number;
  failed: number;
  skipped: number;
  unknown: number;
  pending?: number;
  cancelled?: number;
  appId?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  pausedReason?: string;
  [field: string]: unknown;
}

/** A broadcast in one of these will not move again by itself. */
export function hasEnded(view: BroadcastView): boolean {
  return view.status === 'completed' || view.status === 'cancelled';
}

/** Messages with an outcome: `total - settled` are still to go. */
export function settledCount(view: BroadcastView): number {
  return view.sent + view.failed + view.skipped + view.unknown;
}

/**
 * Messages that cost a call to WeChat. The rate counts these: a skipped message (no credit) is
 * settled at fan-out without a call, and counting thousands of them at once would make the rate
 * and the ETA lie.
 */
export function calledCount(view: BroadcastView): number {
  return view.sent + view.failed + view.unknown;
}

export interface Progress {
  settled: number;
  total: number;
  /** still to go */
  remaining: number;
  /** 0..100 */
  percent: number;
  /** messages per second over the recent window; undefined until two reads far enough apart */
  ratePerSecond: number | undefined;
  /** seconds until nothing remains at that rate; undefined without a rate */
  etaSeconds: number | undefined;
}

interface Sample {
  atMs: number;
  called: number;
}

/** The rate over the last `windowMs` of reads (a sliding window, so it follows slow-downs). */
export class ProgressTracker {
  private samples: Sample[] = [];

  constructor(
    private readonly windowMs = 5_000,
    /** below this span the rate is noise */
    private readonly minimumSpanMs = 900,
  ) {}

  add(view: BroadcastView, atMs: number): Progress {
    this.samples.push({ atMs, called: calledCount(view) });
    // keep one sample at or before the window's start, so the window is always fully spanned
    while (this.samples.length > 2 && this.samples[1]!.atMs <= atMs - this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const spanMs = atMs - first.atMs;
    const settled = settledCount(view);
    const remaining = Math.max(0, view.pending ?? view.total - settled);
    const ratePerSecond =
      spanMs >= this.minimumSpanMs ? ((calledCount(view) - first.called) * 1000) / spanMs : undefined;
    let etaSeconds: number | undefined;
    // an ended broadcast has no time left, even with messages still in flight after a cancel
    if (hasEnded(view)) etaSeconds = remaining === 0 ? 0 : undefined;
    else if (ratePerSecond !== undefined && ratePerSecond > 0) etaSeconds = remaining / ratePerSecond;
    return {
      settled,
      total: view.total,
      remaining,
      percent: view.total === 0 ? (hasEnded(view) ? 100 : 0) : Math.floor((settled * 100) / view.total),
      ratePerSecond,
      etaSeconds,
    };
  }
}

/** `2s`, `1m 05s`, `2h 03m`; `--` when unknown. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--';
  const whole = Math.max(0, Math.ceil(seconds));
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatRate(ratePerSecond: number | undefined): string {
  if (ratePerSecond === undefined) return '--';
  return ratePerSecond >= 100 ? String(Math.round(ratePerSecond)) : ratePerSecond.toFixed(1);
}

/** `sent 1200  failed 0  skipped 20  unknown 0` */
export function formatCounts(view: BroadcastView): string {
  return `sent ${view.sent}  failed ${view.failed}  skipped ${view.skipped}  unknown ${view.unknown}`;
}
