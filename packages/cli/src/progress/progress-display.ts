import cliProgress from 'cli-progress';
import {
  type BroadcastView,
  formatCounts,
  formatDuration,
  formatRate,
  type Progress,
} from './broadcast-progress.js';

/** Where a watch shows its progress; the final summary is the command's, on stdout. */
export interface ProgressDisplay {
  update(view: BroadcastView, progress: Progress): void;
  /** a passing problem, e.g. the API did not answer one read */
  notice(text: string): void;
  stop(): void;
}

export interface TextStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * `running`; with a reason, `paused (template_error)`; a broadcast holding its sends for quiet
 * hours (the server's `waitingUntil`), `waiting until 08:00Z`.
 */
export function statusText(view: BroadcastView, now = Date.now()): string {
  if (view.status === 'paused' && view.pausedReason) return `paused (${view.pausedReason})`;
  const until = typeof view.waitingUntil === 'string' ? Date.parse(view.waitingUntil) : Number.NaN;
  if (view.status === 'running' && until > now) {
    return `waiting until ${new Date(until).toISOString().slice(11, 16)}Z`;
  }
  return view.status;
}

/** A live bar (cli-progress) redrawn in place; for a terminal. */
export function createBarDisplay(stream: TextStream): ProgressDisplay {
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WritableStream,
      format:
        '{status} [{bar}] {percentage}% {value}/{total} | {counts} | {rate} msg/s | ETA {eta_text} | {elapsed}',
      barsize: 24,
      barCompleteChar: '\u2588',
      barIncompleteChar: '\u2591',
      hideCursor: true,
      emptyOnZero: true,
      clearOnComplete: false,
      stopOnComplete: false,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const startedAt = Date.now();
  let started = false;
  let lastNotice = '';
  const payload = (view: BroadcastView, progress: Progress) => ({
    status: statusText(view).padEnd(9),
    counts: formatCounts(view),
    rate: formatRate(progress.ratePerSecond).padStart(4),
    eta_text: formatDuration(progress.etaSeconds),
    elapsed: formatDuration((Date.now() - startedAt) / 1000),
  });
  return {
    update(view, progress) {
      if (!started) {
        bar.start(progress.total, progress.settled, payload(view, progress));
        started = true;
        return;
      }
      bar.setTotal(progress.total);
      bar.update(progress.settled, payload(view, progress));
    },
    notice(text) {
      // shown once per distinct problem, on a line of its own above the bar
      if (text === lastNotice) return;
      lastNotice = text;
      if (started) stream.write(`\r\x1b[K${text}\n`);
      else stream.write(`${text}\n`);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/**
 * One plain line per change, at most one every `minIntervalMs` (a status change always gets its
 * line): for logs and pipes, where a redrawn bar would be a mess of carriage returns.
 */
export function createLineDisplay(stream: TextStream, minIntervalMs = 1_000): ProgressDisplay {
  let lastLine = '';
  let lastStatus = '';
  let lastAt = 0;
  let pending: string | undefined;
  return {
    update(view, progress) {
      const line =
        `${statusText(view)}: ${progress.settled}/${progress.total} (${progress.percent}%)  ${formatCounts(view)}  ` +
        `${formatRate(progress.ratePerSecond)} msg/s  ETA ${formatDuration(progress.etaSeconds)}`;
      if (line === lastLine) return;
      const now = Date.now();
      if (view.status === lastStatus && now - lastAt < minIntervalMs) {
        pending = line;
        return;
      }
      stream.write(`${line}\n`);
      lastLine = line;
      lastStatus = view.status;
      lastAt = now;
      pending = undefined;
    },
    notice(text) {
      stream.write(`${text}\n`);
    },
    stop() {
      // the last state is always shown, however soon after the line before it came
      if (pending !== undefined && pending !== lastLine) stream.write(`${pending}\n`);
      pending = undefined;
    },
  };
}

/** --json: nothing but the final document. */
export function createSilentDisplay(): ProgressDisplay {
  return { update() {}, notice() {}, stop() {} };
}
