import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Token history keeps no token in plain text. Each fetch is recorded with the token's sha256 (to
 * tell which fetch a token came from) and the token sealed with AES-256-GCM under a key derived
 * (HKDF-SHA256) from the app's secret: every process that fetches or refills an app's token holds
 * that secret, and a copy of the database alone opens nothing. A new secret makes the sealed
 * tokens unreadable, which costs one fetch.
 */

const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;
// public and fixed: it separates this key from any other use of the secret
const KEY_SALT = 'minapush access_token history v1';

export interface SealingApp {
  appId: string;
  secret: string;
}

/** sha256 hex of a token: what token history keeps of it. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function sealingKey(app: SealingApp): Buffer {
  return Buffer.from(hkdfSync('sha256', app.secret, KEY_SALT, `access_token:${app.appId}`, 32));
}

/** The token sealed for the app: version, IV, tag, ciphertext; bound to the appId. */
export function sealToken(token: string, app: SealingApp): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(app), iv);
  cipher.setAAD(Buffer.from(app.appId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_VERSION]), iv, cipher.getAuthTag(), ciphertext]);
}

/**
 * The token a sealed record holds, or undefined when this app cannot open it (another secret,
 * another app, altered or unknown bytes): the caller then fetches a new token.
 */
export function unsealToken(sealed: Uint8Array, app: SealingApp): string | undefined {
  const bytes = Buffer.from(sealed);
  if (bytes.length <= HEADER_BYTES || bytes[0] !== FORMAT_VERSION) return undefined;
  const iv = bytes.subarray(1, 1 + IV_BYTES);
  const tag = bytes.subarray(1 + IV_BYTES, HEADER_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(app), iv);
    decipher.setAAD(Buffer.from(app.appId, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(bytes.subarray(HEADER_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
