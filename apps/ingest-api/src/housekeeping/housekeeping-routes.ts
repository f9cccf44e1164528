import type { HousekeepingOutcome } from '@minapush/housekeeping';
import type { Redis } from '@minapush/queues';
import { type RequestHandler, Router } from 'express';
import { ApiError } from '../http/api-error.js';

export interface HousekeepingRouteDeps {
  /** API keys only */
  authenticate: RequestHandler;
  /** the producer connection the run's lock is taken on */
  redis: Redis;
  /** one housekeeping run (or the report of the one in progress), as runHousekeeping answers it */
  run: () => Promise<HousekeepingOutcome>;
}

/**
 * POST /v1/housekeeping/run: housekeeping now, for operators and `npx minapush housekeeping run`.
 *
 * The API runs it itself, with the same use case and the same Redis lock as the dispatcher's
 * daily job, rather than adding a job and waiting for a dispatcher to take it: the answer then
 * needs nothing but Postgres and Redis, which this process already uses, where a queued job would
 * need a live dispatcher (and a timeout to tell "none is running" from "it is slow") and a
 * QueueEvents connection to hear the result. The run is the same bounded statements wherever it
 * runs, and the lock keeps it to one at a time across every process: a request that finds a run
 * in progress (the schedule's, another request's) waits for it and answers its report.
 */
export function createHousekeepingRouter(deps: HousekeepingRouteDeps): Router {
  const router = Router();
  router.post('/v1/housekeeping/run', deps.authenticate, async (_req, res) => {
    const redisDown = (detail: string) =>
      new ApiError(
        503,
        'redis_unavailable',
        `Housekeeping takes a lock in Redis, which is unreachable right now; ${detail}, retry later.`,
        undefined,
        5,
      );
    if (deps.redis.status !== 'ready') throw redisDown('nothing was deleted');
    let outcome: HousekeepingOutcome;
    try {
      outcome = await deps.run();
    } catch (error) {
      // Redis went away during the run: what it deleted stays deleted, the next run does the rest
      if (deps.redis.status !== 'ready') {
        const apiError = redisDown('what was deleted stays deleted');
        apiError.cause = error;
        throw apiError;
      }
      throw error;
    }
    if (!outcome.ok) {
      throw new ApiError(
        503,
        'housekeeping_interrupted',
        `Housekeeping stopped part-way (${outcome.reason === 'stopped' ? 'the server is shutting down' : 'a statement outlasted its lock, and another run may have started'}); what it removed stays removed, send the request again to finish.`,
        { removed: outcome.removed },
        5,
      );
    }
    const { removed, startedAt, finishedAt } = outcome.report;
    res.setHeader('Cache-Control', 'no-store');
    res.json({ removed, startedAt, finishedAt });
  });
  return router;
}
