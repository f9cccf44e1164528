import type { BackoffOptions, BackoffStrategy, JobsOptions, MinimalJob } from 'bullmq';

/**
 * The backoff type of jobs retried with capped exponential backoff. BullMQ's own `exponential`
 * doubles without end (attempt 30 of a 1 s backoff waits 17 years), so a job that keeps failing
 * for a reason outside its content would never reach the failed set an operator looks at.
 * Every worker of such a queue needs `cappedBackoffStrategy` in its settings
 * (`createCatalogWorker` adds it).
 */
export const CAPPED_BACKOFF_TYPE = 'capped-exponential';

/** The longest wait between two attempts, unless a worker is given another. */
export const MAX_RETRY_DELAY_MS = 60 * 60_000;

export interface CappedBackoff {
  /** the first retry's delay; each next one doubles, up to `maxMs` */
  baseMs: number;
  maxMs: number;
  /** 0 to 1: each delay is drawn between `(1 - jitter)` and 1 times its nominal value */
  jitter?: number;
}

/** The delay before retry number `retry` (1 for the first retry). */
export function cappedBackoffDelay(
  retry: number,
  backoff: CappedBackoff,
  random: () => number = Math.random,
): number {
  // 2 ** 1024 is Infinity, which Math.min turns back into the cap
  const nominal = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, retry - 1));
  const jitter = Math.min(1, Math.max(0, backoff.jitter ?? 0));
  return Math.floor(nominal * (1 - jitter * random()));
}

/**
 * The nominal (jitter-free) delays between the attempts of a job with these options, the
 * longest the retries can take: `attempts - 1` delays.
 */
export function nominalRetryDelays(options: JobsOptions, maxMs: number = MAX_RETRY_DELAY_MS): number[] {
  const attempts = options.attempts ?? 1;
  const backoff: BackoffOptions | undefined =
    typeof options.backoff === 'number' ? { type: 'fixed', delay: options.backoff } : options.backoff;
  const base = backoff?.delay ?? 0;
  const delays: number[] = [];
  for (let retry = 1; retry < attempts; retry += 1) {
    if (!backoff || backoff.type === 'fixed') delays.push(base);
    else if (backoff.type === CAPPED_BACKOFF_TYPE)
      delays.push(cappedBackoffDelay(retry, { baseMs: base, maxMs }));
    else delays.push(base * 2 ** (retry - 1));
  }
  return delays;
}

/**
 * Attempts and backoff for a job that is retried for at most `budgetMs` in all: as many attempts
 * as the nominal delays fit in. Past them the job lands in the failed set, the dead letters.
 */
export function cappedRetries(policy: {
  baseMs: number;
  budgetMs: number;
  maxMs?: number;
  jitter?: number;
}): Pick<JobsOptions, 'attempts' | 'backoff'> {
  const maxMs = policy.maxMs ?? MAX_RETRY_DELAY_MS;
  let attempts = 1;
  let total = 0;
  for (;;) {
    const next = cappedBackoffDelay(attempts, { baseMs: policy.baseMs, maxMs });
    if (total + next > policy.budgetMs) break;
    total += next;
    attempts += 1;
  }
  return {
    attempts,
    backoff: { type: CAPPED_BACKOFF_TYPE, delay: policy.baseMs, jitter: policy.jitter ?? 0 },
  };
}

/**
 * The worker setting that computes `capped-exponential` delays from each job's own base delay
 * and jitter. `maxMs` is the worker's cap; tests give a tiny one to reach the failed set at once.
 */
export function cappedBackoffStrategy(maxMs: number = MAX_RETRY_DELAY_MS): BackoffStrategy {
  return (attemptsMade: number, _type?: string, _error?: Error, job?: MinimalJob) => {
    const backoff = job?.opts.backoff;
    const options = typeof backoff === 'object' ? backoff : { delay: backoff };
    return cappedBackoffDelay(attemptsMade, {
      baseMs: options.delay ?? 1_000,
      maxMs,
      jitter: 'jitter' in options ? options.jitter : 0,
    });
  };
}

/**
 * Whether a job that just failed is in the failed set for good (its last attempt, or an
 * UnrecoverableError) rather than waiting for a retry: BullMQ stamps `finishedOn` only then.
 */
export function isDeadLettered(job: Pick<MinimalJob, 'finishedOn'>): boolean {
  return typeof job.finishedOn === 'number' && job.finishedOn > 0;
}
