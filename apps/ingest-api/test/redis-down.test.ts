import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

// Nothing listens on port 1: this harness answers requests with a Redis that is down.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ redisUrl: 'redis://127.0.0.1:1', worker: false });
});
afterAll(() => h.close());

describe('when Redis is down', () => {
  it('answers 503 to credits it cannot queue, and says so in /readyz', async () => {
    const openid = 'o-redis-down';
    const response = await h.post('/v1/form-ids', { formIds: ['f-1'], openid }, h.apiKey);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect((await response.json()).error.code).toBe('queue_unavailable');

    const subscriptions = await h.post('/v1/subscriptions', { results: { t: 'accept' }, openid }, h.apiKey);
    expect(subscriptions.status).toBe(503);

    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = await ready.json();
    expect(body.error.details).toEqual({ postgres: 'up', redis: 'down' });
    expect(body.error.message).toBe('redis is down');
  });
});
