import { randomBytes } from 'node:crypto';

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
