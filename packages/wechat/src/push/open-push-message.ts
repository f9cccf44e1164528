import { detectPushFormat, type PushBodyRefusal, type PushFormat, parsePushBody } from './push-body.js';
import { openEncryptedPush, type PushCryptoRefusal } from './push-crypto.js';
import { type PushEvent, toPushEvent } from './push-events.js';
import { verifyPushSignature } from './push-signature.js';

/** An app's message-push settings from the mini-program console (`WECHAT_APPS`). */
export interface PushAppSettings {
  appId: string;
  pushToken: string;
  /** Present when the console is set to the compatible or secure mode. */
  encodingAesKey?: string;
}

/** The query WeChat puts on every push. */
export interface PushQuery {
  signature?: string;
  timestamp?: string;
  nonce?: string;
  msg_signature?: string;
  encrypt_type?: string;
}

/**
 * - `plaintext`: the body is the message, signed by `signature`;
 * - `compatible`: the body has the message in clear and in `Encrypt`; the encrypted copy is used;
 * - `secure`: the body has only `Encrypt`, signed by `msg_signature`.
 */
export type PushMode = 'plaintext' | 'compatible' | 'secure';

/**
 * Why a push was refused, besides the body and crypto reasons:
 * - `missing_signature`: `timestamp`, `nonce` or the signature the mode needs is absent;
 * - `unknown_format`: neither the content type nor the body says XML or JSON;
 * - `encryption_not_configured`: the push is encrypted but the app has no encodingAesKey;
 * - `malformed_event`: a subscribe event whose fields break WeChat's documented shape.
 * `bad_signature` (from the crypto reasons) also covers a wrong plaintext `signature`.
 */
export type OpenPushRefusal =
  | PushBodyRefusal
  | PushCryptoRefusal
  | 'missing_signature'
  | 'unknown_format'
  | 'encryption_not_configured'
  | 'malformed_event';

export type OpenPushResult =
  | { ok: true; mode: PushMode; format: PushFormat; event: PushEvent }
  | { ok: false; reason: OpenPushRefusal; detail?: string };

export interface OpenPushMessageInput {
  app: PushAppSettings;
  query: PushQuery;
  body: string;
  contentType?: string;
}

/**
 * Authenticates and reads one POSTed push: the signature its mode calls for, decryption when
 * encrypted, then the event. Pure: checking the timestamp's age and de-duplicating retries need a
 * clock and a store, and are the caller's.
 */
export function openPushMessage(input: OpenPushMessageInput): OpenPushResult {
  const { app, query, body } = input;
  const { timestamp, nonce } = query;
  if (!timestamp || !nonce) {
    return { ok: false, reason: 'missing_signature', detail: 'timestamp and nonce are required' };
  }
  const format = detectPushFormat(body, input.contentType);
  if (format === undefined) return { ok: false, reason: 'unknown_format' };
  const outer = parsePushBody(body, format);
  if (!outer.ok) return outer;

  if (outer.encrypt === undefined) {
    if (!query.signature) return { ok: false, reason: 'missing_signature', detail: 'signature is required' };
    if (!verifyPushSignature({ token: app.pushToken, timestamp, nonce, signature: query.signature })) {
      return { ok: false, reason: 'bad_signature' };
    }
    return withEvent('plaintext', format, toPushEvent(outer.fields));
  }

  if (app.encodingAesKey === undefined) return { ok: false, reason: 'encryption_not_configured' };
  if (!query.msg_signature) {
    return {
      ok: false,
      reason: 'missing_signature',
      detail: 'msg_signature is required for encrypted pushes',
    };
  }
  const opened = openEncryptedPush({
    token: app.pushToken,
    encodingAesKey: app.encodingAesKey,
    appId: app.appId,
    timestamp,
    nonce,
    msgSignature: query.msg_signature,
    encrypt: outer.encrypt,
  });
  if (!opened.ok) return opened;
  // The decrypted message has the body's own format.
  const inner = parsePushBody(opened.message, format);
  if (!inner.ok) return inner;
  const mode: PushMode = 'MsgType' in outer.fields || 'Event' in outer.fields ? 'compatible' : 'secure';
  return withEvent(mode, format, toPushEvent(inner.fields));
}

function withEvent(
  mode: PushMode,
  format: PushFormat,
  result: ReturnType<typeof toPushEvent>,
): OpenPushResult {
  if (!result.ok) return { ok: false, reason: 'malformed_event', detail: result.issues.join('; ') };
  return { ok: true, mode, format, event: result.event };
}
