import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { computeMessageSignature, verifyMessageSignature } from './push-signature.js';

/**
 * WeChat's message-push encryption (WXBizMsgCrypt), used by the secure and compatible modes:
 * AES-256-CBC, key = base64(encodingAesKey + '='), IV = the key's first 16 bytes, PKCS#7 padding
 * to a multiple of 32 bytes (not AES's 16), plaintext = 16 random bytes, the message's byte length
 * as 4 bytes big-endian, the message, then the receiving appId.
 */

/** WeChat pads to multiples of 32 bytes; node's automatic PKCS#7 would pad to 16. */
export const PUSH_PADDING_BLOCK = 32;
export const PUSH_RANDOM_LENGTH = 16;
const LENGTH_FIELD = 4;
const HEADER_LENGTH = PUSH_RANDOM_LENGTH + LENGTH_FIELD;
const KEY_LENGTH = 32;

// The console generates 43 letters and digits; base64's own alphabet is accepted too.
const ENCODING_AES_KEY = /^[A-Za-z0-9+/]{43}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Why a push could not be opened or sealed:
 * - `invalid_encoding_aes_key`: the configured key is not 43 base64 characters;
 * - `malformed_ciphertext`: `Encrypt` is not canonical base64 of a whole number of 32-byte blocks;
 * - `bad_padding`: the decrypted padding is not PKCS#7 to 32 bytes (wrong key, or altered data);
 * - `truncated`: the plaintext is shorter than its header or its declared message length;
 * - `app_id_mismatch`: the message was encrypted for another appId;
 * - `invalid_utf8`: the message is not UTF-8 text;
 * - `invalid_random`: the injected random prefix is not 16 bytes (sealing only);
 * - `bad_signature`: `msg_signature` does not match token, timestamp, nonce and `Encrypt`.
 */
export type PushCryptoRefusal =
  | 'invalid_encoding_aes_key'
  | 'malformed_ciphertext'
  | 'bad_padding'
  | 'truncated'
  | 'app_id_mismatch'
  | 'invalid_utf8'
  | 'invalid_random'
  | 'bad_signature';

export type PushDecryptResult = { ok: true; message: string } | { ok: false; reason: PushCryptoRefusal };
export type PushEncryptResult = { ok: true; encrypt: string } | { ok: false; reason: PushCryptoRefusal };

/** The 32-byte AES key an encodingAesKey stands for, or undefined when it is not one. */
export function decodeEncodingAesKey(encodingAesKey: string): Buffer | undefined {
  if (!ENCODING_AES_KEY.test(encodingAesKey)) return undefined;
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  return key.length === KEY_LENGTH ? key : undefined;
}

function pad(data: Buffer): Buffer {
  const count = PUSH_PADDING_BLOCK - (data.length % PUSH_PADDING_BLOCK);
  return Buffer.concat([data, Buffer.alloc(count, count)]);
}

function unpad(data: Buffer): Buffer | undefined {
  const count = data[data.length - 1];
  if (count === undefined || count < 1 || count > PUSH_PADDING_BLOCK || count > data.length) return undefined;
  for (let index = data.length - count; index < data.length; index += 1) {
    if (data[index] !== count) return undefined;
  }
  return data.subarray(0, data.length - count);
}

function decodeCiphertext(encrypt: string): Buffer | undefined {
  if (encrypt.length === 0 || !BASE64.test(encrypt)) return undefined;
  const bytes = Buffer.from(encrypt, 'base64');
  // Canonical only: a base64 text whose unused bits differ decodes to the same bytes, so it would
  // pass decryption while being a different string from the one that was signed.
  if (bytes.toString('base64') !== encrypt) return undefined;
  if (bytes.length === 0 || bytes.length % PUSH_PADDING_BLOCK !== 0) return undefined;
  return bytes;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface DecryptPushMessageInput {
  encodingAesKey: string;
  /** The app the push is addressed to; the plaintext must end with it. */
  appId: string;
  /** The body's `Encrypt` value (base64). */
  encrypt: string;
}

/** Decrypts an `Encrypt` value. Never throws: bad input is `{ ok: false, reason }`. */
export function decryptPushMessage(input: DecryptPushMessageInput): PushDecryptResult {
  const key = decodeEncodingAesKey(input.encodingAesKey);
  if (key === undefined) return { ok: false, reason: 'invalid_encoding_aes_key' };
  const ciphertext = decodeCiphertext(input.encrypt);
  if (ciphertext === undefined) return { ok: false, reason: 'malformed_ciphertext' };

  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  const plaintext = unpad(padded);
  if (plaintext === undefined) return { ok: false, reason: 'bad_padding' };
  if (plaintext.length < HEADER_LENGTH) return { ok: false, reason: 'truncated' };

  const messageLength = plaintext.readUInt32BE(PUSH_RANDOM_LENGTH);
  const messageEnd = HEADER_LENGTH + messageLength;
  if (messageEnd > plaintext.length) return { ok: false, reason: 'truncated' };
  const receiver = plaintext.subarray(messageEnd);
  if (!receiver.equals(Buffer.from(input.appId, 'utf8'))) return { ok: false, reason: 'app_id_mismatch' };

  try {
    return { ok: true, message: utf8.decode(plaintext.subarray(HEADER_LENGTH, messageEnd)) };
  } catch {
    return { ok: false, reason: 'invalid_utf8' };
  }
}

export interface EncryptPushMessageInput {
  encodingAesKey: string;
  appId: string;
  message: string;
  /** The 16-byte random prefix; fixed only in tests, fresh from node:crypto otherwise. */
  random?: Uint8Array;
}

/** Encrypts a message as WeChat would push it (for the sandbox and for tests). */
export function encryptPushMessage(input: EncryptPushMessageInput): PushEncryptResult {
  const key = decodeEncodingAesKey(input.encodingAesKey);
  if (key === undefined) return { ok: false, reason: 'invalid_encoding_aes_key' };
  const random = input.random === undefined ? randomBytes(PUSH_RANDOM_LENGTH) : Buffer.from(input.random);
  if (random.length !== PUSH_RANDOM_LENGTH) return { ok: false, reason: 'invalid_random' };

  const message = Buffer.from(input.message, 'utf8');
  const length = Buffer.alloc(LENGTH_FIELD);
  length.writeUInt32BE(message.length);
  const plaintext = pad(Buffer.concat([random, length, message, Buffer.from(input.appId, 'utf8')]));

  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return { ok: true, encrypt: Buffer.concat([cipher.update(plaintext), cipher.final()]).toString('base64') };
}

export interface OpenEncryptedPushInput extends DecryptPushMessageInput {
  token: string;
  timestamp: string;
  nonce: string;
  /** The `msg_signature` query parameter. */
  msgSignature: string;
}

/**
 * Checks `msg_signature` and then decrypts. The cipher alone authenticates nothing (CBC lets an
 * altered block through as altered text): only the signature over `Encrypt` makes a tampered push
 * a refusal, so this is the function a receiver should call.
 */
export function openEncryptedPush(input: OpenEncryptedPushInput): PushDecryptResult {
  if (!verifyMessageSignature(input)) return { ok: false, reason: 'bad_signature' };
  return decryptPushMessage(input);
}

export interface SealEncryptedPushInput extends EncryptPushMessageInput {
  token: string;
  timestamp: string;
  nonce: string;
}

export type SealEncryptedPushResult =
  | { ok: true; encrypt: string; msgSignature: string }
  | { ok: false; reason: PushCryptoRefusal };

/** Encrypts and signs a push as WeChat's servers would (for the sandbox and for tests). */
export function sealEncryptedPush(input: SealEncryptedPushInput): SealEncryptedPushResult {
  const sealed = encryptPushMessage(input);
  if (!sealed.ok) return sealed;
  return {
    ok: true,
    encrypt: sealed.encrypt,
    msgSignature: computeMessageSignature({ ...input, encrypt: sealed.encrypt }),
  };
}
