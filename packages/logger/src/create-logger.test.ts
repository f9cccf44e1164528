import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './create-logger.js';
import { redactUrl } from './redact.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('redacts secrets at any depth and in request URLs', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 't', destination });
    logger.info({ secret: 'S1', app: { secret: 'S2', appId: 'wxa' }, reply: { session_key: 'K1' } }, 'x');
    logger.info({ req: { method: 'GET', url: '/cgi-bin/token?appid=wxa&secret=S3&grant_type=x' } }, 'y');
    logger.info({ deep: { a: { b: { accessToken: 'T1' } } } }, 'z');
    logger.warn({ code: 'request_not_sent', errcode: 40125 }, 'kept');
    logger.info({ apps: { app: { pushToken: 'P1', encodingAesKey: 'E1' } } }, 'push settings');
    const text = lines.join('');
    for (const secret of ['S1', 'S2', 'S3', 'K1', 'T1', 'P1', 'E1']) expect(text).not.toContain(secret);
    expect(text).toContain('wxa');
    // error codes are what an operator needs, not secrets
    expect(text).toContain('"code":"request_not_sent"');
  });
});

describe('redactUrl', () => {
  it('keeps harmless parameters and hides secret ones', () => {
    expect(redactUrl('/x?access_token=abc&openid=o1')).toBe('/x?access_token=%5BRedacted%5D&openid=o1');
    expect(redactUrl('/plain')).toBe('/plain');
  });
});
