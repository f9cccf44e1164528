import { createHash, timingSafeEqual } from 'node:crypto';

const SHA1_HEX = /^[0-9a-fA-F]{40}$/;

/**
 * WeChat's push signature: sha1 of the parts sorted as strings and joined without a separator.
 * The URL check signs [token, timestamp, nonce]; the encrypted modes add the `Encrypt` value.
 */
export function computePushSignature(parts: readonly string[]): string {
  // Plain code-unit order, as WeChat's reference code sorts (Arrays.sort / sort()).
  const joined = [...parts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join('');
  return createHash('sha1').update(joined, 'utf8').digest('hex');
}

// Compares digests, not strings, and in constant time, so a caller probing signatures learns
// nothing from how long the refusal took.
function signatureMatches(expectedHex: string, presented: string): boolean {
  if (!SHA1_HEX.test(presented)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(presented, 'hex'));
}

export interface PushSignatureInput {
  token: string;
  timestamp: string;
  nonce: string;
  /** The `signature` query parameter WeChat sent. */
  signature: string;
}

/**
 * Checks the `signature` WeChat puts on the URL verification (GET) and on plaintext pushes:
 * sha1 of the sorted [token, timestamp, nonce].
 */
export function verifyPushSignature(input: PushSignatureInput): boolean {
  return signatureMatches(computePushSignature([input.token, input.timestamp, input.nonce]), input.signature);
}

export interface MessageSignatureParts {
  token: string;
  timestamp: string;
  nonce: string;
  /** The `Encrypt` value of the body, exactly as received (base64). */
  encrypt: string;
}

/** The `msg_signature` of the secure and compatible modes: sha1 of sorted [token, timestamp, nonce, encrypt]. */
export function computeMessageSignature(parts: MessageSignatureParts): string {
  return computePushSignature([parts.token, parts.timestamp, parts.nonce, parts.encrypt]);
}

/** Checks a `msg_signature` in constant time. */
export function verifyMessageSignature(parts: MessageSignatureParts & { msgSignature: string }): boolean {
  return signatureMatches(computeMessageSignature(parts), parts.msgSignature);
}
