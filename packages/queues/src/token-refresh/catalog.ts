import { z } from 'zod';
import { defineQueueCatalog, FINISHED_JOB_HISTORY } from '../job-catalog.js';

export const refreshIfDueSchema = z.object({ appId: z.string().min(1).max(64) });
export type RefreshIfDuePayload = z.infer<typeof refreshIfDueSchema>;

/**
 * The token refresher's own, lightly loaded queue: one scheduled check per app, and one scheduled
 * reading of the app's daily WeChat quotas. A failed check (WeChat busy, timeout) retries with
 * backoff; the old token keeps working meanwhile. A failed reading is not retried: the next one
 * comes on schedule, and the last good one stays shown until then.
 */
export const tokenRefreshCatalog = defineQueueCatalog('token-refresh', {
  'refresh-if-due': {
    schema: refreshIfDueSchema,
    options: {
      attempts: 6,
      backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
      ...FINISHED_JOB_HISTORY,
    },
  },
  'read-quota': {
    schema: refreshIfDueSchema,
    options: { attempts: 1, ...FINISHED_JOB_HISTORY },
  },
});

/** The job scheduler id of an app's refresh check. */
export const tokenRefreshSchedulerId = (appId: string) => `refresh-token:${appId}`;

/** The job scheduler id of an app's quota reading. */
export const quotaReadSchedulerId = (appId: string) => `read-quota:${appId}`;
