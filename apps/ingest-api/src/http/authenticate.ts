import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { SessionTokens } from '../sessions/session-tokens.js';
import { ApiError } from './api-error.js';

/** Who is calling: a mini-program user (through a session) or a backend (through an API key). */
export type Caller = { type: 'session'; appId: string; openid: string } | { type: 'api_key' };

declare global {
  namespace Express {
    interface Request {
      caller?: Caller;
    }
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares in constant time against every key, so timing tells nothing about which one matched. */
export function createApiKeyCheck(apiKeys: readonly string[]) {
  const digests = apiKeys.map(digest);
  return (candidate: string): boolean => {
    const candidateDigest = digest(candidate);
    let match = false;
    for (const known of digests) match = timingSafeEqual(known, candidateDigest) || match;
    return match;
  };
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export interface AuthenticateOptions {
  isApiKey: (candidate: string) => boolean;
  sessions: SessionTokens;
  /** the callers allowed on this route */
  allow: ReadonlyArray<Caller['type']>;
}

export function authenticate(options: AuthenticateOptions): RequestHandler {
  return async (req, _res, next) => {
    const token = bearerToken(req.get('authorization'));
    if (!token) {
      throw new ApiError(
        401,
        'missing_credentials',
        'Send `Authorization: Bearer <token>`: a session token from POST /v1/sessions, or an API key.',
      );
    }
    let caller: Caller;
    if (options.isApiKey(token)) {
      caller = { type: 'api_key' };
    } else {
      const verified = await options.sessions.verify(token);
      if (!verified.ok) {
        throw verified.reason === 'expired'
          ? new ApiError(
              401,
              'session_expired',
              'The session token has expired; log in again with POST /v1/sessions.',
            )
          : new ApiError(
              401,
              'invalid_credentials',
              'The bearer token is neither a valid session token nor an API key.',
            );
      }
      caller = { type: 'session', ...verified.claims };
    }
    if (!options.allow.includes(caller.type)) {
      throw new ApiError(
        403,
        'api_key_required',
        'This endpoint is for backend systems: call it with an API key, not a session token.',
      );
    }
    req.caller = caller;
    next();
  };
}
