import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  OFFICIAL_ACCOUNT_SAMPLE,
  WECOM_SAMPLE,
  WXJAVA_FIXED_RANDOM,
} from '../test-support/published-push-vectors.js';
import { parsePushBody } from './push-body.js';
import {
  decodeEncodingAesKey,
  decryptPushMessage,
  encryptPushMessage,
  openEncryptedPush,
  sealEncryptedPush,
} from './push-crypto.js';

const KEY = OFFICIAL_ACCOUNT_SAMPLE.encodingAesKey;
const APP_ID = 'wx1234567890abcdef';

/**
 * Encrypts raw bytes with the scheme's key and IV but none of its framing, to build plaintexts
 * the production code would never produce (bad padding, short headers, wrong lengths).
 */
function encryptRaw(plaintext: Buffer, encodingAesKey = KEY): string {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]).toString('base64');
}

function framed(message: Buffer, appId: string, declaredLength = message.length): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(declaredLength);
  return Buffer.concat([Buffer.alloc(16, 7), length, message, Buffer.from(appId)]);
}

function padTo32(data: Buffer): Buffer {
  const count = 32 - (data.length % 32);
  return Buffer.concat([data, Buffer.alloc(count, count)]);
}

describe('published WeChat examples', () => {
  it('decrypts the Official Accounts sample to the fields sent in clear beside it, and matches its msg_signature', () => {
    const sample = OFFICIAL_ACCOUNT_SAMPLE;
    const opened = openEncryptedPush(sample);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    const inner = parsePushBody(opened.message, 'xml');
    expect(inner.ok && inner.fields).toEqual(sample.expectedFields);
    expect(sealEncryptedPush({ ...sample, message: opened.message }).ok).toBe(true);
  });

  it("decrypts Tencent's WeCom example to the published plaintext, and checks the receiver id", () => {
    const opened = openEncryptedPush(WECOM_SAMPLE);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    const inner = parsePushBody(opened.message, 'xml');
    expect(inner.ok && inner.fields).toEqual(WECOM_SAMPLE.expectedFields);
    expect(decryptPushMessage({ ...WECOM_SAMPLE, appId: 'wx5823bf96d3bd56c8' })).toEqual({
      ok: false,
      reason: 'app_id_mismatch',
    });
  });

  it("encrypts byte for byte as WxJava's tests expect with the same random prefix", () => {
    const { encodingAesKey, appId, random } = WXJAVA_FIXED_RANDOM;
    for (const { message, encrypt } of WXJAVA_FIXED_RANDOM.cases) {
      expect(encryptPushMessage({ encodingAesKey, appId, message, random: Buffer.from(random) })).toEqual({
        ok: true,
        encrypt,
      });
      expect(decryptPushMessage({ encodingAesKey, appId, encrypt })).toEqual({ ok: true, message });
    }
  });
});

const encodingAesKeys = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((bytes) => Buffer.from(bytes).toString('base64').slice(0, 43));
const appIds = fc.stringMatching(/^wx[0-9a-f]{16}$/);
const randoms = fc.uint8Array({ minLength: 16, maxLength: 16 });
// Full Unicode (astral planes included), no lone surrogates: a push is UTF-8 text.
const messages = fc.string({ unit: 'binary', maxLength: 600 });
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

describe('round trip', () => {
  it('decrypt(encrypt(m)) = m for any message, key, appId and random prefix', () => {
    fc.assert(
      fc.property(encodingAesKeys, appIds, randoms, messages, (encodingAesKey, appId, random, message) => {
        const sealed = encryptPushMessage({ encodingAesKey, appId, message, random });
        expect(sealed.ok).toBe(true);
        if (!sealed.ok) return;
        // WeChat pads to 32-byte blocks.
        expect(Buffer.from(sealed.encrypt, 'base64').length % 32).toBe(0);
        expect(decryptPushMessage({ encodingAesKey, appId, encrypt: sealed.encrypt })).toEqual({
          ok: true,
          message,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('keeps multibyte text whole, the length field counting bytes', () => {
    const message = '订阅消息 🎉 — ünïcödé';
    const sealed = encryptPushMessage({ encodingAesKey: KEY, appId: APP_ID, message });
    expect(
      sealed.ok && decryptPushMessage({ encodingAesKey: KEY, appId: APP_ID, encrypt: sealed.encrypt }),
    ).toEqual({
      ok: true,
      message,
    });
  });

  it('refuses any single-character change of Encrypt or of msg_signature', () => {
    fc.assert(
      fc.property(
        encodingAesKeys,
        appIds,
        messages,
        fc.nat(),
        fc.integer({ min: 1, max: 63 }),
        fc.boolean(),
        (encodingAesKey, appId, message, position, shift, inSignature) => {
          const push = {
            token: 'push-token',
            encodingAesKey,
            appId,
            timestamp: '1733040000',
            nonce: '42',
            message,
          };
          const sealed = sealEncryptedPush(push);
          expect(sealed.ok).toBe(true);
          if (!sealed.ok) return;
          const alphabet = inSignature ? '0123456789abcdef' : BASE64_ALPHABET;
          const target = inSignature ? sealed.msgSignature : sealed.encrypt.replace(/=+$/, '');
          const index = position % target.length;
          // Any other character of the same alphabet.
          const offset = 1 + (shift % (alphabet.length - 1));
          const replacement = alphabet[(alphabet.indexOf(target[index] ?? 'A') + offset) % alphabet.length];
          const tampered = `${target.slice(0, index)}${replacement}${target.slice(index + 1)}`;
          const opened = openEncryptedPush({
            ...push,
            encrypt: inSignature ? sealed.encrypt : tampered + sealed.encrypt.slice(target.length),
            msgSignature: inSignature ? tampered : sealed.msgSignature,
          });
          expect(opened.ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('refusals', () => {
  it('refuses an encodingAesKey that is not 43 base64 characters', () => {
    for (const encodingAesKey of [
      '',
      KEY.slice(1),
      `${KEY}A`,
      `${KEY.slice(0, 42)}!`,
      `${KEY.slice(0, 42)}=`,
    ]) {
      expect(decodeEncodingAesKey(encodingAesKey)).toBeUndefined();
      expect(decryptPushMessage({ encodingAesKey, appId: APP_ID, encrypt: 'AAAA' })).toEqual({
        ok: false,
        reason: 'invalid_encoding_aes_key',
      });
      expect(encryptPushMessage({ encodingAesKey, appId: APP_ID, message: 'x' })).toEqual({
        ok: false,
        reason: 'invalid_encoding_aes_key',
      });
    }
  });

  it('refuses Encrypt that is not canonical base64 of whole 32-byte blocks', () => {
    const valid = encryptRaw(padTo32(framed(Buffer.from('x'), APP_ID)));
    const sixteenBytes = Buffer.alloc(16, 1).toString('base64');
    const nonCanonical = `${valid.slice(0, -3)}${String.fromCharCode(valid.charCodeAt(valid.length - 3) + 1)}==`;
    for (const encrypt of [
      '',
      '!!!!',
      'AAA',
      `${valid} `,
      `${valid}\n`,
      sixteenBytes,
      valid.slice(4),
      nonCanonical,
    ]) {
      expect(decryptPushMessage({ encodingAesKey: KEY, appId: APP_ID, encrypt })).toEqual({
        ok: false,
        reason: 'malformed_ciphertext',
      });
    }
    expect(decryptPushMessage({ encodingAesKey: KEY, appId: APP_ID, encrypt: valid })).toEqual({
      ok: true,
      message: 'x',
    });
  });

  it('refuses bad padding: a zero count, a count over 32, or pad bytes that disagree', () => {
    const body = framed(Buffer.from('hello'), APP_ID);
    const room = 64 - body.length;
    const zero = Buffer.concat([body, Buffer.alloc(room, 0)]);
    const over = Buffer.concat([body, Buffer.alloc(room, 33)]);
    const mixed = Buffer.concat([body, Buffer.alloc(room - 1, 4), Buffer.from([room])]);
    // Standard 16-byte PKCS#7 padding ends in 16 but pads with its own count; here 3 bytes of 3
    // would be valid, so make it 16 bytes claimed over 3 written.
    const short = Buffer.concat([body, Buffer.alloc(room - 3, 9), Buffer.alloc(3, 16)]);
    for (const plaintext of [zero, over, mixed, short]) {
      expect(
        decryptPushMessage({ encodingAesKey: KEY, appId: APP_ID, encrypt: encryptRaw(plaintext) }),
      ).toEqual({
        ok: false,
        reason: 'bad_padding',
      });
    }
  });

  it('refuses a plaintext shorter than its header or than its declared length', () => {
    const headerOnly = padTo32(Buffer.alloc(12, 1));
    const tooLong = padTo32(framed(Buffer.from('hello'), APP_ID, 5000));
    for (const plaintext of [headerOnly, tooLong]) {
      expect(
        decryptPushMessage({ encodingAesKey: KEY, appId: APP_ID, encrypt: encryptRaw(plaintext) }),
      ).toEqual({
        ok: false,
        reason: 'truncated',
      });
    }
  });

  it('refuses a message encrypted for another app, or with no appId at the end', () => {
    const forOther = encryptPushMessage({ encodingAesKey: KEY, appId: 'wxffffffffffffffff', message: 'hi' });
    expect(
      forOther.ok && decryptPushMessage({ encodingAesKey: KEY, appId: APP_ID, encrypt: forOther.encrypt }),
    ).toEqual({ ok: false, reason: 'app_id_mismatch' });
    const noAppId = encryptRaw(padTo32(framed(Buffer.from('hi'), '')));
    expect(decryptPushMessage({ encodingAesKey: KEY, appId: APP_ID, encrypt: noAppId })).toEqual({
      ok: false,
      reason: 'app_id_mismatch',
    });
  });

  it('refuses a message that is not UTF-8', () => {
    const encrypt = encryptRaw(padTo32(framed(Buffer.from([0xc3, 0x28, 0xff]), APP_ID)));
    expect(decryptPushMessage({ encodingAesKey: KEY, appId: APP_ID, encrypt })).toEqual({
      ok: false,
      reason: 'invalid_utf8',
    });
  });

  it('refuses to decrypt with another key', () => {
    const sealed = encryptPushMessage({ encodingAesKey: KEY, appId: APP_ID, message: 'hello' });
    const otherKey = WECOM_SAMPLE.encodingAesKey;
    const result =
      sealed.ok && decryptPushMessage({ encodingAesKey: otherKey, appId: APP_ID, encrypt: sealed.encrypt });
    expect(result).toMatchObject({ ok: false });
  });

  it('refuses a random prefix that is not 16 bytes', () => {
    for (const random of [new Uint8Array(15), new Uint8Array(17)]) {
      expect(encryptPushMessage({ encodingAesKey: KEY, appId: APP_ID, message: 'x', random })).toEqual({
        ok: false,
        reason: 'invalid_random',
      });
    }
  });

  it('checks msg_signature before decrypting', () => {
    const push = { token: 't', encodingAesKey: KEY, appId: APP_ID, timestamp: '1', nonce: '2', message: 'm' };
    const sealed = sealEncryptedPush(push);
    expect(sealed.ok).toBe(true);
    if (!sealed.ok) return;
    expect(openEncryptedPush({ ...push, ...sealed })).toEqual({ ok: true, message: 'm' });
    expect(openEncryptedPush({ ...push, ...sealed, token: 'u' })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(openEncryptedPush({ ...push, ...sealed, nonce: '3' })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });
});
