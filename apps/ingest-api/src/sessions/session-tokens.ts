import { errors, jwtVerify, SignJWT } from 'jose';

const ISSUER = 'minapush';
const AUDIENCE = 'minapush-session';

export interface SessionClaims {
  appId: string;
  openid: string;
}

export interface IssuedSession {
  token: string;
  expiresAt: Date;
}

export type SessionVerification =
  | { ok: true; claims: SessionClaims }
  | { ok: false; reason: 'expired' | 'invalid' };

/**
 * Signs and verifies the session tokens handed to mini-program clients: an HS256 JWT whose
 * subject is the openid and whose `app` claim is the appId. The session_key never enters it.
 */
export function createSessionTokens(options: { secret: string; ttlSeconds: number; now?: () => Date }) {
  const key = new TextEncoder().encode(options.secret);
  const now = options.now ?? (() => new Date());

  async function issue(claims: SessionClaims): Promise<IssuedSession> {
    const issuedAt = Math.floor(now().getTime() / 1000);
    const expiresAtSeconds = issuedAt + options.ttlSeconds;
    const token = await new SignJWT({ app: claims.appId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.openid)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAtSeconds)
      .sign(key);
    return { token, expiresAt: new Date(expiresAtSeconds * 1000) };
  }

  async function verify(token: string): Promise<SessionVerification> {
    try {
      const { payload } = await jwtVerify(token, key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: now(),
      });
      if (typeof payload.sub !== 'string' || typeof payload.app !== 'string')
        return { ok: false, reason: 'invalid' };
      return { ok: true, claims: { appId: payload.app, openid: payload.sub } };
    } catch (error) {
      return { ok: false, reason: error instanceof errors.JWTExpired ? 'expired' : 'invalid' };
    }
  }

  return { issue, verify };
}

export type SessionTokens = ReturnType<typeof createSessionTokens>;
