import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashToken, sealToken, unsealToken } from './token-seal.js';

const app = { appId: 'wx0123456789abcdef', secret: 'the-app-secret-0123456789abcdef' };
const token = '89_Q7c9kZ3xYp2-bT0mS1wLrA8dVfG6hJ4nK5eU7iO9qW0zX1cV2bN3mM4lL5kK6jJ7hH8gG9fF';

describe('token seal', () => {
  it('opens with the same app and secret, and the bytes hold nothing of the token', () => {
    const sealed = sealToken(token, app);
    expect(unsealToken(sealed, app)).toBe(token);
    expect(sealed.includes(Buffer.from(token))).toBe(false);
    expect(sealed.includes(Buffer.from(token.slice(0, 16)))).toBe(false);
    // a fresh IV each time: two seals of one token differ
    expect(sealToken(token, app).equals(sealed)).toBe(false);
  });

  it('does not open with another secret, for another app, or once altered', () => {
    const sealed = sealToken(token, app);
    expect(unsealToken(sealed, { ...app, secret: 'another-secret' })).toBeUndefined();
    expect(unsealToken(sealed, { ...app, appId: 'wx-another-app' })).toBeUndefined();
    const altered = Buffer.from(sealed);
    altered[altered.length - 1] = (altered.at(-1) ?? 0) ^ 1;
    expect(unsealToken(altered, app)).toBeUndefined();
    const otherVersion = Buffer.from(sealed);
    otherVersion[0] = 9;
    expect(unsealToken(otherVersion, app)).toBeUndefined();
    expect(unsealToken(Buffer.alloc(10), app)).toBeUndefined();
  });

  it('hashes as Postgres does in the migration: sha256 hex of the UTF-8 bytes', () => {
    expect(hashToken(token)).toBe(createHash('sha256').update(Buffer.from(token, 'utf8')).digest('hex'));
    expect(hashToken('TOKEN-ABC')).toBe('ec913fe91c9f1170c2eba979b3938a358415f8231bf436379012b3b70af264f1');
  });
});
