// How fast an app may send, as pure functions of its configured rate and WeChat's last 45011:
// additive recovery after a multiplicative decrease, so that an app hitting WeChat's per-minute
// quota backs off on its own and climbs back when the quota allows again.

/** The app's rate was cut to `reducedTo` messages/s at `at` (ms) by a 45011. */
export interface SendRateSlowdown {
  reducedTo: number;
  at: number;
}

/** Messages per second the app may send at `now`: the cut rate, climbing linearly back over `recoveryMs`. */
export function effectiveSendRate(
  configured: number,
  slowdown: SendRateSlowdown | undefined,
  now: number,
  recoveryMs: number,
): number {
  if (!slowdown) return configured;
  const elapsed = Math.max(0, now - slowdown.at);
  const recovered = slowdown.reducedTo + ((configured - slowdown.reducedTo) * elapsed) / recoveryMs;
  return Math.max(1, Math.min(configured, Math.floor(recovered)));
}

/**
 * A 45011 at `now` halves whatever rate the app had then; the climb back starts at `resumeAt`,
 * when the pause ends. The answers of calls already in flight when the first 45011 came are the
 * same overload: while the pause it began lasts, they do not halve the rate again.
 */
export function slowDown(
  configured: number,
  previous: SendRateSlowdown | undefined,
  now: number,
  resumeAt: number,
  recoveryMs: number,
): SendRateSlowdown {
  if (previous && now < previous.at) return previous;
  const current = effectiveSendRate(configured, previous, now, recoveryMs);
  return { reducedTo: Math.max(1, Math.floor(current / 2)), at: Math.max(now, resumeAt) };
}

/**
 * How many sends a bulk run asks the limiter for at once: a twentieth of a second's worth, so
 * that a window is wasted by at most 5% when a chunk does not fit what is left of it, and the
 * limiter is asked at most ~20 times a second per run, whatever the rate.
 */
export function bulkPermitChunk(rate: number): number {
  return Math.max(1, Math.min(50, Math.floor(rate / 20)));
}
