import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false, admin: { username: 'ops', password: 'correct horse' } });
});
afterAll(() => h.close());

interface Probe {
  method: 'GET' | 'POST';
  path: string;
  /** a JSON body that never parses */
  brokenBody?: string;
}

const segment = fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }).map(encodeURIComponent);
// under /r nothing is routed; the rest are paths with a router or a route in front of them
const unrouted = fc
  .webPath()
  // fetch resolves `.` and `..` segments, which could climb out of /r onto a real route
  .filter((path) => !/(^|\/)(\.|%2e)+(\/|$)/i.test(path))
  .map((path) => `/r${path.startsWith('/') ? '' : '/'}${path}`);
const brokenJson = fc.string({ maxLength: 40 }).map((text) => `{"broken": ${text}`);

/** Requests of kinds whose answer does not depend on the random part: 404, 401, 400. */
const probe: fc.Arbitrary<Probe> = fc.oneof(
  unrouted.map((path) => ({ method: 'GET' as const, path })),
  fc.tuple(unrouted, brokenJson).map(([path, brokenBody]) => ({ method: 'POST' as const, path, brokenBody })),
  // matched as /v1/broadcasts/:id/cancel, refused by its authentication before the body is read
  fc.tuple(segment, brokenJson).map(([id, brokenBody]) => ({
    method: 'POST' as const,
    path: `/v1/broadcasts/${id}/cancel`,
    brokenBody,
  })),
  // refused by /admin's HTTP Basic middleware, before Bull Board's routes
  unrouted.map((path) => ({ method: 'GET' as const, path: `/admin/queues${path.slice(2)}` })),
  // matched as /v1/messages/:id, refused by the route's authentication
  segment.map((id) => ({ method: 'GET' as const, path: `/v1/messages/${id}` })),
  // matched as /v1/sessions, refused by its body parser
  brokenJson.map((brokenBody) => ({ method: 'POST' as const, path: '/v1/sessions', brokenBody })),
);

async function send(request: Probe): Promise<number> {
  const response = await fetch(`${h.url}${request.path}`, {
    method: request.method,
    ...(request.brokenBody === undefined
      ? {}
      : { body: request.brokenBody, headers: { 'content-type': 'application/json' } }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function seriesOfHttpMetrics(): Promise<string[]> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  return text.split('\n').filter((line) => line.startsWith('minapush_http_'));
}

describe('the HTTP metrics', () => {
  it('label requests by matched route pattern, so 1,000 random paths add no series', async () => {
    const warmUp: Probe[] = [
      { method: 'GET', path: '/r/warm-up' },
      { method: 'POST', path: '/r/warm-up', brokenBody: '{"broken": ' },
      { method: 'POST', path: '/v1/broadcasts/warm-up/cancel', brokenBody: '{"broken": ' },
      { method: 'GET', path: '/admin/queues/warm-up' },
      { method: 'GET', path: '/v1/messages/warm-up' },
      { method: 'POST', path: '/v1/sessions', brokenBody: '{"broken": ' },
    ];
    // a body is read only once a route and its authentication accepted the request
    expect(await Promise.all(warmUp.map(send))).toEqual([404, 404, 401, 401, 401, 400]);
    await seriesOfHttpMetrics(); // the scrape's own series
    const before = await seriesOfHttpMetrics();

    const probes = fc.sample(probe, 1_000);
    for (let start = 0; start < probes.length; start += 25) {
      await Promise.all(probes.slice(start, start + 25).map(send));
    }

    const after = await seriesOfHttpMetrics();
    const labelsOf = (lines: string[]) => new Set(lines.map((line) => line.replace(/ [^ ]+$/, '')));
    const added = [...labelsOf(after)].filter((series) => !labelsOf(before).has(series));
    expect(added).toEqual([]);
    expect(after.length).toBe(before.length);
    // and every probe was counted
    const total = (lines: string[]) =>
      lines
        .filter((line) => line.startsWith('minapush_http_requests_total{'))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    expect(total(after) - total(before)).toBe(1_000 + 1); // the probes and the scrape `before`
    // under the fixed labels: a route's pattern, or `unmatched`
    expect(after).toContainEqual(
      expect.stringMatching(
        /^minapush_http_requests_total\{method="POST",route="unmatched",status="404"\} \d+$/,
      ),
    );
    expect(after).toContainEqual(
      expect.stringMatching(
        /^minapush_http_requests_total\{method="POST",route="\/v1\/sessions",status="400"\} \d+$/,
      ),
    );
    expect(after).toContainEqual(
      expect.stringMatching(
        /^minapush_http_requests_total\{method="GET",route="\/v1\/messages\/:id",status="401"\} \d+$/,
      ),
    );
  }, 60_000);
});
