import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  // no worker: what POST /v1/form-ids queues stays in the credit-ingest queue
  h = await startHarness({ worker: false });
});
afterAll(() => h.close());

/** The value of one series of a Prometheus text exposition, or undefined when it is not there. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = `${name}{${Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(',')}} `;
  const line = text.split('\n').find((candidate) => candidate.startsWith(wanted));
  return line === undefined ? undefined : Number(line.slice(wanted.length));
}

const scrape = async () => (await fetch(`${h.url}/metrics`)).text();

describe('ingest API metrics', () => {
  it('exposes its counters at 0 from the start, and the credit-ingest queue depth', async () => {
    const text = await scrape();
    const app = h.appId;
    for (const kind of ['form_id', 'prepay_id', 'subscribe']) {
      expect(sample(text, 'minapush_credits_accepted_total', { app, kind }), kind).toBe(0);
    }
    for (const reason of ['mock', 'duplicate', 'expired', 'malformed']) {
      expect(sample(text, 'minapush_credits_rejected_total', { app, reason }), reason).toBe(0);
    }
    expect(sample(text, 'minapush_logins_total', { app, outcome: 'ok' })).toBe(0);
    expect(sample(text, 'minapush_jobs_dead_lettered_total', { queue: 'credit-ingest' })).toBe(0);
    for (const state of ['waiting', 'prioritized', 'active', 'delayed', 'failed']) {
      expect(sample(text, 'minapush_queue_depth', { queue: 'credit-ingest', lane: 'none', state })).toBe(0);
    }
  });

  it('counts accepted and rejected formIds, and the batches waiting to be stored', async () => {
    const openid = `o-${randomUUID()}`;
    const formIds = await h.mintFormIds(openid, 2);
    const response = await h.post(
      '/v1/form-ids',
      { openid, formIds: [...formIds, 'the formId is a mock one'] },
      h.apiKey,
    );
    expect(response.status).toBe(202);
    const text = await scrape();
    expect(sample(text, 'minapush_credits_accepted_total', { app: h.appId, kind: 'form_id' })).toBe(2);
    expect(sample(text, 'minapush_credits_rejected_total', { app: h.appId, reason: 'mock' })).toBe(1);
    const waiting = await h.creditQueue.getJobCounts('waiting');
    expect(waiting.waiting).toBeGreaterThan(0);
    expect(
      sample(text, 'minapush_queue_depth', { queue: 'credit-ingest', lane: 'none', state: 'waiting' }),
    ).toBe(waiting.waiting);
  });
});
