import { setTimeout as sleep } from 'node:timers/promises';
import type { WechatAppConfig } from '@minapush/config';
import type { Redis, RedisKeys } from '@minapush/queues';
import type { QuotaWindow } from '@minapush/wechat';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { bulkPermitChunk, effectiveSendRate, type SendRateSlowdown, slowDown } from './send-rate.js';

/** A single message is an order notification: it goes before a broadcast's batch. */
export type SendLane = 'transactional' | 'bulk';

export type GateAnswer =
  | { ok: true; granted: number }
  /** WeChat's quota paused the app until `untilMs` */
  | { ok: false; reason: 'paused'; untilMs: number }
  /** the caller stopped waiting (its job is shutting down) */
  | { ok: false; reason: 'aborted' };

export interface SendGateOptions {
  redis: Redis;
  keys: RedisKeys;
  apps: readonly WechatAppConfig[];
  /** after a 45011 halves an app's rate, the time it takes to climb back */
  recoveryMs: number;
  now?: () => number;
}

/** How long a process trusts the slowdown it read before reading it again. */
const SLOWDOWN_CACHE_MS = 250;
/** How often the bulk lane looks again while a single message of the app waits for budget. */
const YIELD_MS = 10;
/** The limiter's window: one second of the clock. */
const WINDOW_MS = 1_000;

/**
 * The one place that says when an app may send: WeChat's quota pauses and `sendRatePerSecond`,
 * counted in messages across every dispatcher process and both lanes by rate-limiter-flexible's
 * Redis limiter. Its windows are the seconds of the clock (the second is part of the key), not
 * seconds from a window's first send: a sender that wakes late, on a loaded machine, still finds
 * its second's whole budget, so late wake-ups do not stretch the windows and slow the app below
 * its rate. Within a second the sends are paced (the k-th goes k/rate into it). While a single
 * message waits for the next second, the bulk lane yields until it has had its turn. A quota pause is a key of its own, read in the same round trip as the yield
 * check. A 45011 halves the app's rate (it climbs back over `recoveryMs`).
 */
export function createSendGate(options: SendGateOptions) {
  const { redis, keys } = options;
  const now = options.now ?? Date.now;
  const configured = new Map(options.apps.map((app) => [app.appId, app.sendRatePerSecond]));
  const limiters = new Map<number, RateLimiterRedis>();
  const slowdowns = new Map<string, { value: SendRateSlowdown | undefined; readAt: number }>();

  const limiterFor = (points: number) => {
    let limiter = limiters.get(points);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: keys.sendRateWindow,
        points,
        // a second's key outlives its second: the limiter never restarts it while it is current
        duration: 2,
      });
      limiters.set(points, limiter);
    }
    return limiter;
  };

  const configuredRate = (appId: string) => {
    const rate = configured.get(appId);
    if (rate === undefined) throw new Error(`${appId} is not one of the configured apps`);
    return rate;
  };

  async function slowdownOf(appId: string, fresh = false): Promise<SendRateSlowdown | undefined> {
    const cached = slowdowns.get(appId);
    if (!fresh && cached && now() - cached.readAt < SLOWDOWN_CACHE_MS) return cached.value;
    const raw = await redis.get(keys.sendRateSlowdown(appId));
    const value = raw ? (JSON.parse(raw) as SendRateSlowdown) : undefined;
    slowdowns.set(appId, { value, readAt: now() });
    return value;
  }

  async function currentRate(appId: string): Promise<number> {
    return effectiveSendRate(configuredRate(appId), await slowdownOf(appId), now(), options.recoveryMs);
  }

  return {
    currentRate,

    /**
     * Waits until sends may go now and counts them: `want`, or fewer (a bulk run is given a small
     * chunk at a time), at least one. Answers at once when the app is paused, and when `signal`
     * aborts.
     */
    async take(appId: string, want: number, lane: SendLane, signal?: AbortSignal): Promise<GateAnswer> {
      for (;;) {
        if (signal?.aborted) return { ok: false, reason: 'aborted' };
        try {
          // one round trip: a pause of the app, and (bulk lane) a single message waiting
          const checks = redis.pipeline().pttl(keys.sendPause(appId));
          if (lane === 'bulk') checks.exists(keys.transactionalWaiting(appId));
          const [pause, waiting] = (await checks.exec()) ?? [];
          const pauseLeftMs = Number(pause?.[1] ?? -2);
          if (pauseLeftMs > 0) return { ok: false, reason: 'paused', untilMs: now() + pauseLeftMs };
          if (waiting && Number(waiting[1]) === 1) {
            await sleep(YIELD_MS, undefined, { signal });
            continue;
          }
          const rate = await currentRate(appId);
          const asked = Math.max(1, Math.min(want, lane === 'bulk' ? bulkPermitChunk(rate) : rate));
          // the rate is real time, whatever clock the pauses follow
          const second = Math.floor(Date.now() / WINDOW_MS);
          try {
            const counted = await limiterFor(rate).consume(`${appId}@${second}`, asked);
            // Paced through the second: the k-th send of a second goes k/rate into it, so that a
            // second's budget is spread over it rather than spent at its start.
            const slotAt = second * WINDOW_MS + ((counted.consumedPoints - asked) * WINDOW_MS) / rate;
            const early = slotAt - Date.now();
            if (early >= 1) await sleep(early, undefined, { signal });
            return { ok: true, granted: asked };
          } catch (error) {
            if (!(error instanceof RateLimiterRes)) throw error;
            const waitMs = Math.max(1, (second + 1) * WINDOW_MS - Date.now());
            if (lane === 'transactional') {
              await redis.set(keys.transactionalWaiting(appId), '1', 'PX', waitMs + 20);
            }
            await sleep(waitMs, undefined, { signal });
          }
        } catch (error) {
          if (signal?.aborted) return { ok: false, reason: 'aborted' };
          throw error;
        }
      }
    },

    /**
     * WeChat answered 45011 or 45009: every process stops sending for the app until `untilMs`
     * (the pause key lives until then), and a 45011 also halves its rate.
     */
    async pause(appId: string, untilMs: number, window: QuotaWindow): Promise<void> {
      const pauseMs = Math.max(1, Math.ceil(untilMs - now()));
      await redis.set(keys.sendPause(appId), String(untilMs), 'PX', pauseMs);
      if (window !== 'per_minute') return;
      const previous = await slowdownOf(appId, true);
      const slowdown = slowDown(configuredRate(appId), previous, now(), untilMs, options.recoveryMs);
      if (slowdown === previous) return;
      await redis.set(
        keys.sendRateSlowdown(appId),
        JSON.stringify(slowdown),
        'PX',
        options.recoveryMs + pauseMs,
      );
      slowdowns.set(appId, { value: slowdown, readAt: now() });
    },
  };
}

export type SendGate = ReturnType<typeof createSendGate>;
