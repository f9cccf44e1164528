import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BROADCAST_BODY_BYTES } from '../src/broadcasts/broadcasts-routes.js';
import { MAX_BODY_BYTES } from '../src/index.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(() => h.close());

/**
 * Starts a POST whose body announces `contentLength` bytes, sends the first kilobyte of it and
 * never the rest: the request is still being sent when (and if) the answer comes. Resolves with
 * that answer; a server that waited for the whole body would never give one.
 */
function answerWhileBodyIsUnfinished(path: string, contentLength: number, authorization?: string) {
  return new Promise<{ status: number; body: { error: { code: string } } }>((resolve, reject) => {
    const { hostname, port } = new URL(h.url);
    const req = request({
      hostname,
      port,
      path,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': String(contentLength),
        ...(authorization ? { authorization } : {}),
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        // the request body is still unfinished: only now is it abandoned
        expect(req.writableEnded).toBe(false);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      });
    });
    req.write(`{"openid":"${'x'.repeat(1_024)}`);
  });
}

describe('a request without valid credentials', () => {
  it('is answered 401 before its body is read, on an API-key route, just under the body limit', async () => {
    const answer = await answerWhileBodyIsUnfinished('/v1/messages', MAX_BODY_BYTES - 1);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('missing_credentials');
  });

  it('is answered 401 before a broadcast body of nearly 8 MiB is read', async () => {
    const answer = await answerWhileBodyIsUnfinished(
      '/v1/broadcasts',
      MAX_BROADCAST_BODY_BYTES - 1,
      'Bearer not-a-key',
    );
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('invalid_credentials');
  });

  it('is answered 401 before its body is read on a route that takes session tokens too', async () => {
    const answer = await answerWhileBodyIsUnfinished(
      '/v1/form-ids',
      MAX_BODY_BYTES - 1,
      'Bearer not-a-session',
    );
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('invalid_credentials');
  });

  it('with a session token on an API-key route is answered 403 before its body is read', async () => {
    const session = await h.login();
    const answer = await answerWhileBodyIsUnfinished(
      '/v1/apps/x/access-token/refresh',
      MAX_BODY_BYTES - 1,
      `Bearer ${session.token}`,
    );
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('api_key_required');
  });

  it('with valid credentials still has its body read', async () => {
    const session = await h.login();
    const formIds = await h.mintFormIds(session.openid, 1);
    const bySession = await h.post('/v1/form-ids', { formIds }, session.token);
    expect(bySession.status).toBe(202);
    expect((await bySession.json()).accepted).toBe(1);
  });
});
