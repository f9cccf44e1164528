import { describe, expect, it } from 'vitest';
import { WECOM_SAMPLE as WECOM_EXAMPLE } from '../test-support/published-push-vectors.js';
import {
  computeMessageSignature,
  computePushSignature,
  verifyMessageSignature,
  verifyPushSignature,
} from './push-signature.js';

// Worked out with coreutils, not with this code: the sorted parts of
// [token 'minapush-token', timestamp '1733040000', nonce '8675309'] joined are
// '17330400008675309minapush-token', and `printf '%s' … | sha1sum` prints this digest.
const URL_CHECK = {
  token: 'minapush-token',
  timestamp: '1733040000',
  nonce: '8675309',
  signature: 'f30dfdb3db97b0293bb0c4d6c7df95f5798163da',
};

describe('verifyPushSignature (URL verification and plaintext pushes)', () => {
  it('accepts the signature of the sorted token, timestamp and nonce', () => {
    expect(verifyPushSignature(URL_CHECK)).toBe(true);
    expect(computePushSignature([URL_CHECK.token, URL_CHECK.nonce, URL_CHECK.timestamp])).toBe(
      URL_CHECK.signature,
    );
  });

  it('accepts the digest in upper case (hex is hex)', () => {
    expect(verifyPushSignature({ ...URL_CHECK, signature: URL_CHECK.signature.toUpperCase() })).toBe(true);
  });

  it('refuses a signature made with another token, timestamp or nonce', () => {
    expect(verifyPushSignature({ ...URL_CHECK, token: 'other-token' })).toBe(false);
    expect(verifyPushSignature({ ...URL_CHECK, timestamp: '1733040001' })).toBe(false);
    expect(verifyPushSignature({ ...URL_CHECK, nonce: '8675308' })).toBe(false);
  });

  it('refuses a signature that is not a 40-digit hex digest, without throwing', () => {
    for (const signature of [
      '',
      'abc',
      `${URL_CHECK.signature}0`,
      URL_CHECK.signature.slice(1),
      'z'.repeat(40),
    ]) {
      expect(verifyPushSignature({ ...URL_CHECK, signature })).toBe(false);
    }
  });
});

describe('msg_signature (secure and compatible modes)', () => {
  it("matches Tencent's published example", () => {
    expect(computeMessageSignature(WECOM_EXAMPLE)).toBe(WECOM_EXAMPLE.msgSignature);
    expect(verifyMessageSignature(WECOM_EXAMPLE)).toBe(true);
  });

  it('refuses the example with its Encrypt or signature changed', () => {
    expect(
      verifyMessageSignature({ ...WECOM_EXAMPLE, encrypt: `${WECOM_EXAMPLE.encrypt.slice(0, -3)}A==` }),
    ).toBe(false);
    expect(
      verifyMessageSignature({ ...WECOM_EXAMPLE, msgSignature: `0${WECOM_EXAMPLE.msgSignature.slice(1)}` }),
    ).toBe(false);
  });
});
