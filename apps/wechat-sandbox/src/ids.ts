import { createHash, randomBytes, randomInt } from 'node:crypto';

/** Random identifiers shaped like WeChat's, so clients' length and charset assumptions get exercised. */

function alphanumeric(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let text = '';
  for (const byte of bytes) text += alphabet[byte % alphabet.length];
  return text;
}

export function newAppId(): string {
  return `wx${randomBytes(8).toString('hex')}`;
}

export function newAppSecret(): string {
  return randomBytes(16).toString('hex');
}

/** WeChat's access_tokens run to about 150 characters of letters, digits, `_` and `-`. */
export function newAccessToken(): string {
  return `${randomBytes(3).toString('hex')}_${randomBytes(108).toString('base64url')}`;
}

export function newOpenid(): string {
  return `o${randomBytes(21).toString('base64url').slice(0, 27)}`;
}

export function newLoginCode(): string {
  return alphanumeric(32);
}

export function newSessionKey(): string {
  return randomBytes(16).toString('base64');
}

export function newFormId(): string {
  return randomBytes(16).toString('hex');
}

export function newPrepayId(): string {
  return `wx${alphanumeric(32)}`;
}

/**
 * The mini-program's original id (`gh_` and 12 hex digits), WeChat's `ToUserName` on pushes. Derived
 * from the appId so that it stays the same for an app across sandbox restarts.
 */
export function originalIdOf(appId: string): string {
  return `gh_${createHash('sha1').update(appId, 'utf8').digest('hex').slice(0, 12)}`;
}

/** WeChat's push nonces are decimal numbers of about ten digits. */
export function newPushNonce(): string {
  return String(randomInt(1_000_000_000, 2 ** 47));
}
