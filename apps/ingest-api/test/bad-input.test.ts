import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
let session: string;
beforeAll(async () => {
  h = await startHarness({ worker: false });
  session = (await h.login()).token;
});
afterAll(() => h.close());

type Case = [
  method: string,
  path: string,
  body: string | undefined,
  contentType: string,
  who: 'key' | 'session' | 'none',
];

const json = 'application/json';
const CASES: Case[] = [
  ['POST', '/v1/sessions', 'null', json, 'none'],
  ['POST', '/v1/sessions', '[]', json, 'none'],
  ['POST', '/v1/sessions', '"code"', json, 'none'],
  ['POST', '/v1/sessions', '{"code":123}', json, 'none'],
  ['POST', '/v1/sessions', `{"code":"${'x'.repeat(5000)}"}`, json, 'none'],
  ['POST', '/v1/sessions', '{"code":"c","appId":{"$ne":1}}', json, 'none'],
  ['POST', '/v1/sessions', 'code=abc', 'text/plain', 'none'],
  ['POST', '/v1/form-ids', 'null', json, 'session'],
  ['POST', '/v1/form-ids', '{"formIds":null}', json, 'session'],
  [
    'POST',
    '/v1/form-ids',
    '{"formIds":[null,{},[],{"formId":{"a":1}},{"formId":"x","capturedAt":"💥"}]}',
    json,
    'session',
  ],
  ['POST', '/v1/form-ids', '{"formIds":["a"],"openid":42}', json, 'key'],
  ['POST', '/v1/form-ids', 'form_id=&openId=', 'application/x-www-form-urlencoded', 'key'],
  ['POST', '/v1/form-ids', 'form_id[]=a&form_id[x]=b&openId[]=o', 'application/x-www-form-urlencoded', 'key'],
  ['POST', '/v1/form-ids', '\u0000\u0001', json, 'session'],
  ['POST', '/v1/subscriptions', '{"results":[]}', json, 'session'],
  ['POST', '/v1/subscriptions', '{"results":{"__proto__":"accept"}}', json, 'session'],
  ['POST', '/v1/subscriptions', '{"results":"accept"}', json, 'session'],
  ['POST', '/v1/messages', '{}', json, 'key'],
  ['POST', '/v1/messages', '{"openid":"o","kind":"template","templateId":"t","data":[]}', json, 'key'],
  [
    'POST',
    '/v1/messages',
    '{"openid":"o","kind":"subscribe","templateId":"t","data":{"thing1":{"value":null}}}',
    json,
    'key',
  ],
  ['POST', '/v1/messages', '{"openid":"o","kind":"fax","templateId":"t","data":{}}', json, 'key'],
  ['GET', '/v1/messages/%E0%A4%A', undefined, json, 'key'],
  ['GET', '/v1/messages/..%2F..%2Fetc', undefined, json, 'key'],
  ['GET', '/v1/apps/%ZZ/access-token', undefined, json, 'key'],
  ['POST', '/v1/apps/x/access-token/refresh', '{"staleToken":["a"]}', json, 'key'],
];

describe('no request causes a 5xx by its content alone', () => {
  it.each(CASES)('%s %s %s', async (method, path, body, contentType, who) => {
    const token = who === 'key' ? h.apiKey : who === 'session' ? session : undefined;
    const response = await fetch(`${h.url}${path}`, {
      method,
      headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(500);
    if (response.status >= 400) {
      const answer = await response.json();
      expect(answer.error.code).toMatch(/^[a-z_]+$/);
      expect(answer.error.message.length).toBeGreaterThan(10);
    }
  });
});
