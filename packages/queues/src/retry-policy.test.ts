import type { JobsOptions } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { broadcastFanOutCatalog } from './broadcasts/catalog.js';
import { CREDIT_INGEST_RETRY_BUDGET_MS, creditIngestCatalog } from './credit-ingest/catalog.js';
import type { QueueCatalog } from './job-catalog.js';
import { dispatcherMaintenanceCatalog } from './maintenance/catalog.js';
import { messageBulkCatalog, messageSendCatalog } from './messages/catalog.js';
import {
  CAPPED_BACKOFF_TYPE,
  cappedBackoffDelay,
  cappedBackoffStrategy,
  cappedRetries,
  isDeadLettered,
  MAX_RETRY_DELAY_MS,
  nominalRetryDelays,
} from './retry-policy.js';
import { tokenRefreshCatalog } from './token-refresh/catalog.js';

const DAY_MS = 24 * 60 * 60_000;
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe('cappedBackoffDelay', () => {
  it('doubles from the base delay and never exceeds the cap, however many retries', () => {
    const backoff = { baseMs: 1_000, maxMs: 5_000 };
    expect([1, 2, 3, 4, 5].map((retry) => cappedBackoffDelay(retry, backoff))).toEqual([
      1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
    expect(cappedBackoffDelay(30, backoff)).toBe(5_000);
    expect(cappedBackoffDelay(5_000, backoff)).toBe(5_000);
  });

  it('draws a jittered delay between (1 - jitter) and 1 times the nominal one, capped', () => {
    const backoff = { baseMs: 1_000, maxMs: 3_000, jitter: 0.5 };
    expect(cappedBackoffDelay(2, backoff, () => 0)).toBe(2_000);
    expect(cappedBackoffDelay(2, backoff, () => 0.999_999)).toBe(1_000);
    expect(cappedBackoffDelay(40, backoff, () => 0)).toBe(3_000);
    expect(cappedBackoffDelay(40, backoff, () => 0.5)).toBe(2_250);
  });
});

describe('cappedRetries', () => {
  it('gives as many attempts as fit in the budget: a day of retries at most an hour apart', () => {
    const options = cappedRetries({ baseMs: 1_000, budgetMs: DAY_MS, jitter: 0.5 });
    expect(options.backoff).toEqual({ type: CAPPED_BACKOFF_TYPE, delay: 1_000, jitter: 0.5 });
    const delays = nominalRetryDelays(options);
    expect(delays.length).toBe((options.attempts ?? 1) - 1);
    expect(Math.max(...delays)).toBe(MAX_RETRY_DELAY_MS);
    expect(sum(delays)).toBeLessThanOrEqual(DAY_MS);
    // one more attempt would pass the budget
    expect(sum(delays) + MAX_RETRY_DELAY_MS).toBeGreaterThan(DAY_MS);
  });
});

describe('cappedBackoffStrategy', () => {
  it("takes the job's own base delay and the worker's cap", () => {
    const strategy = cappedBackoffStrategy(10_000);
    const job = { opts: { backoff: { type: CAPPED_BACKOFF_TYPE, delay: 500 } } } as never;
    expect([1, 2, 3, 4, 5, 6].map((retry) => strategy(retry, CAPPED_BACKOFF_TYPE, undefined, job))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 10_000,
    ]);
    expect(cappedBackoffStrategy(1)(30, CAPPED_BACKOFF_TYPE, undefined, job)).toBe(1);
  });
});

describe('isDeadLettered', () => {
  it('is true once BullMQ has stamped the failed job finished', () => {
    expect(isDeadLettered({ finishedOn: undefined })).toBe(false);
    expect(isDeadLettered({ finishedOn: Date.now() })).toBe(true);
  });
});

describe('every job catalog', () => {
  const catalogs: QueueCatalog[] = [
    creditIngestCatalog,
    broadcastFanOutCatalog,
    messageSendCatalog,
    messageBulkCatalog,
    dispatcherMaintenanceCatalog,
    tokenRefreshCatalog,
  ];
  const jobs = catalogs.flatMap((catalog) =>
    Object.entries(catalog.jobs).map(([name, job]) => ({
      name: `${catalog.queue}/${name}`,
      options: job.options,
    })),
  );

  it.each(jobs)('$name is retried for a bounded time, then kept in the failed set', ({ options }) => {
    expect(sum(nominalRetryDelays(options as JobsOptions))).toBeLessThanOrEqual(DAY_MS);
    // a dead letter is kept for an operator: never removed at once
    expect(options.removeOnFail).not.toBe(true);
    expect(options.removeOnFail).not.toBe(0);
    if (typeof options.removeOnFail === 'object') expect(options.removeOnFail.count ?? 1).toBeGreaterThan(0);
  });

  // An admin sees in Bull Board what each queue did; single messages make one job each, so what is
  // kept is capped in number.
  it.each(jobs)('$name keeps a bounded history of finished jobs', ({ options }) => {
    const completed = options.removeOnComplete;
    expect(typeof completed, 'completed jobs are kept, not removed at once').toBe('object');
    if (typeof completed !== 'object') return;
    expect(completed.count).toBeGreaterThanOrEqual(100);
    expect(completed.count).toBeLessThanOrEqual(1_000);
    // an age besides the count, when given, keeps at most a day of a busy queue's jobs (a daily
    // job, housekeeping, keeps its last hundred runs by count alone)
    if ('age' in completed) expect(completed.age).toBeLessThanOrEqual(86_400);
    const failed = options.removeOnFail;
    if (failed === false) return; // a dead-letter queue: kept until an operator retries them
    expect(typeof failed).toBe('object');
    if (typeof failed !== 'object') return;
    expect(failed.count).toBeGreaterThan(0);
    expect(failed.count).toBeLessThanOrEqual(1_000);
  });

  it('retries an accepted credit batch for about a day, at most an hour apart, and keeps it failed', () => {
    // what was accepted (batches, sightings, stored push events); the push-event sweep is a tick of
    // a job scheduler, not data: a failed one is left to the next tick
    const { 'sweep-push-events': sweep, ...accepted } = creditIngestCatalog.jobs;
    expect(sweep.options.attempts).toBe(1);
    for (const job of Object.values(accepted)) {
      const delays = nominalRetryDelays(job.options);
      expect(sum(delays)).toBeGreaterThan(CREDIT_INGEST_RETRY_BUDGET_MS - 2 * MAX_RETRY_DELAY_MS);
      expect(sum(delays)).toBeLessThanOrEqual(CREDIT_INGEST_RETRY_BUDGET_MS);
      expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS);
      expect(job.options.removeOnFail).toBe(false);
    }
  });
});
