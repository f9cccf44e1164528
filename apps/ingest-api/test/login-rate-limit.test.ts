import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAddressKey } from '../src/sessions/login-rate-limit.js';
import { type Harness, startHarness } from './harness.js';

const LIMIT = 3;

// Behind one trusted proxy (loopback, as a local nginx), X-Forwarded-For names the client.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false, loginRateLimitPerMinute: LIMIT, trustProxy: ['loopback'] });
});
afterAll(() => h.close());

async function login(forwardedFor: string) {
  const { code } = await h.mintCode();
  return fetch(`${h.url}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ code }),
  });
}

describe('POST /v1/sessions', () => {
  it('answers 429 with Retry-After past the limit of one client address, and not to another', async () => {
    for (let i = 0; i < LIMIT; i += 1) {
      expect((await login('203.0.113.7')).status).toBe(200);
    }
    const refused = await login('203.0.113.7');
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = await refused.json();
    expect(body).toEqual({
      error: {
        code: 'rate_limited',
        message: expect.stringMatching(/3 logins a minute/),
        details: { limitPerMinute: 3 },
      },
    });

    // another client behind the same proxy still logs in
    expect((await login('198.51.100.20')).status).toBe(200);
  });

  it('counts a refused code too, before reading the body', async () => {
    for (let i = 0; i < LIMIT; i += 1) {
      const response = await fetch(`${h.url}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.1' },
        body: JSON.stringify({ code: 'not-a-code' }),
      });
      expect(response.status).toBe(401);
    }
    const refused = await fetch(`${h.url}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.1' },
      body: '{"broken": ',
    });
    expect(refused.status).toBe(429);
  });
});

describe('clientAddressKey', () => {
  it('keys IPv4 by address and IPv6 by its /64', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0db8:0001:0002:ffff:0:0:9')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientAddressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientAddressKey(undefined)).toBe('unknown');
  });
});
