import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

// Nothing listens on port 1: this harness answers requests with a Postgres that is down.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ databaseUrl: 'postgresql://postgres@127.0.0.1:1/minapush_test', worker: false });
});
afterAll(() => h.close());

describe('when Postgres is down', () => {
  it('answers 503 to a message it cannot store, and says so in /readyz', async () => {
    const response = await h.post(
      '/v1/messages',
      { openid: 'o-1', kind: 'subscribe', templateId: 't', data: { thing1: 'hello' } },
      h.apiKey,
    );
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect((await response.json()).error.code).toBe('database_unavailable');

    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(503);
    expect((await ready.json()).error.details).toEqual({ postgres: 'down', redis: 'up' });
  });
});
