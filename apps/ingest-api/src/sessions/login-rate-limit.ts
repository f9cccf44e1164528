import { isIPv4, isIPv6 } from 'node:net';
import type { Redis } from '@minapush/queues';
import type { RequestHandler } from 'express';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError } from '../http/api-error.js';

const WINDOW_SECONDS = 60;

/**
 * The rate-limit key of a client address: an IPv4 address itself, an IPv6 address by its /64
 * (one subscriber's network: whoever has one address has the other 2^64 too).
 */
export function clientAddressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const bare = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1]) return mapped[1];
  if (isIPv4(bare) || !isIPv6(bare)) return bare;
  const [head = '', tail] = bare.split('::');
  const hextets = (part: string) => (part === '' ? [] : part.split(':'));
  const left = hextets(head);
  const right = tail === undefined ? [] : hextets(tail);
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

export interface LoginRateLimitOptions {
  redis: Redis;
  /** `redisKeys(prefix).loginRateWindow` */
  keyPrefix: string;
  /** logins per client address per minute; 0 turns the limit off */
  perMinute: number;
}

/**
 * Limits POST /v1/sessions, the one anonymous route that calls WeChat, per client address (see
 * TRUST_PROXY for the address behind a reverse proxy), before its body is read. While Redis is
 * down each process counts on its own instead, so logins go on.
 */
export function createLoginRateLimit(options: LoginRateLimitOptions): RequestHandler {
  if (options.perMinute <= 0) return (_req, _res, next) => next();
  const limiter = new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix: options.keyPrefix,
    points: options.perMinute,
    duration: WINDOW_SECONDS,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ points: options.perMinute, duration: WINDOW_SECONDS }),
  });
  return async (req, _res, next) => {
    try {
      await limiter.consume(clientAddressKey(req.ip));
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const retryAfter = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      throw new ApiError(
        429,
        'rate_limited',
        `More than ${options.perMinute} logins a minute from this address; retry in ${retryAfter} s.`,
        { limitPerMinute: options.perMinute },
        retryAfter,
      );
    }
    next();
  };
}
