import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiClient, pathOf } from '../api-client.js';
import { ApiRefusal, ServerUnreachable, WatchInterrupted } from '../errors.js';
import { type BroadcastView, hasEnded, ProgressTracker } from './broadcast-progress.js';
import type { ProgressDisplay } from './progress-display.js';

export interface WatchOptions {
  client: ApiClient;
  id: string;
  display: ProgressDisplay;
  /** between two reads of the broadcast */
  intervalMs?: number;
  /** how long the API may stay unreachable (or answer 503) before the watch gives up */
  unreachableGraceMs?: number;
  /** aborted by Ctrl-C: the watch stops, the broadcast does not */
  signal?: AbortSignal;
}

/** A broadcast in one of these needs nothing more from the watch: it ended, or it waits for a person. */
function stopsWatch(view: BroadcastView): boolean {
  return hasEnded(view) || view.status === 'paused';
}

/** A read that may succeed if tried again: the API restarting, or a dependency of it down. */
function isPassing(error: unknown): error is ServerUnreachable | ApiRefusal {
  return error instanceof ServerUnreachable || (error instanceof ApiRefusal && error.status === 503);
}

/**
 * Reads the broadcast every `intervalMs` and shows its progress until it completes, is cancelled
 * or pauses; answers the last view. The caller decides what each ending means.
 */
export async function watchBroadcast(options: WatchOptions): Promise<BroadcastView> {
  const { client, id, display, signal } = options;
  const intervalMs = options.intervalMs ?? 500;
  const graceMs = options.unreachableGraceMs ?? 30_000;
  const tracker = new ProgressTracker();
  let lastSuccess = Date.now();
  try {
    for (;;) {
      if (signal?.aborted) throw new WatchInterrupted(`stopped watching broadcast ${id}`);
      try {
        const view = await client.get<BroadcastView>(pathOf`/v1/broadcasts/${id}`);
        lastSuccess = Date.now();
        display.update(view, tracker.add(view, lastSuccess));
        if (stopsWatch(view)) return view;
      } catch (error) {
        if (!isPassing(error) || Date.now() - lastSuccess > graceMs) throw error;
        display.notice(`(${error.message.split('. ')[0]}; still trying)`);
      }
      try {
        await sleep(intervalMs, undefined, signal ? { signal } : undefined);
      } catch {
        throw new WatchInterrupted(`stopped watching broadcast ${id}`);
      }
    }
  } finally {
    display.stop();
  }
}
