import { z } from 'zod';
import { appIdSchema } from '../app-id.js';
import { defineQueueCatalog, FINISHED_JOB_HISTORY } from '../job-catalog.js';
import { noControlCharacters } from '../no-control-characters.js';
import { cappedRetries } from '../retry-policy.js';

/** Most credits one accepted request may carry (the HTTP API allows 100 formIds). */
export const MAX_CREDITS_PER_BATCH = 100;

export const creditToStoreSchema = z.object({
  kind: z.enum(['form_id', 'prepay_id', 'subscribe']),
  formId: z.string().min(1).max(256).check(noControlCharacters).optional(),
  templateId: z.string().min(1).max(128).check(noControlCharacters).optional(),
  usesLeft: z.number().int().min(1).max(3),
  capturedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().nullable(),
});

export const persistCreditBatchSchema = z.object({
  batchId: z.uuid(),
  appId: appIdSchema,
  openid: z.string().min(1).max(128).check(noControlCharacters),
  unionid: z.string().min(1).max(128).check(noControlCharacters).optional(),
  seenAt: z.iso.datetime(),
  credits: z.array(creditToStoreSchema).max(MAX_CREDITS_PER_BATCH),
});
export type PersistCreditBatchPayload = z.infer<typeof persistCreditBatchSchema>;

export const recordUserSchema = z.object({
  appId: appIdSchema,
  openid: z.string().min(1).max(128).check(noControlCharacters),
  unionid: z.string().min(1).max(128).check(noControlCharacters).optional(),
  seenAt: z.iso.datetime(),
});
export type RecordUserPayload = z.infer<typeof recordUserSchema>;

/** One push event WeChat delivered, stored in Postgres (wechat_push_events), to apply to the ledger. */
export const applyPushEventSchema = z.object({
  /** wechat_push_events.id, in decimal (a bigint) */
  eventId: z.string().regex(/^[1-9]\d{0,18}$/, 'eventId is the decimal id of a stored push event'),
});
export type ApplyPushEventPayload = z.infer<typeof applyPushEventSchema>;

/** How often the sweep looks for push events left unapplied, and how old they must be. */
export const PUSH_EVENT_SWEEP_INTERVAL_MS = 60_000;

/** The job scheduler that adds a `sweep-push-events` job every PUSH_EVENT_SWEEP_INTERVAL_MS. */
export const PUSH_EVENT_SWEEP_SCHEDULER_ID = 'sweep-push-events';

/** How long an accepted batch is retried before it waits in the failed set for an operator. */
export const CREDIT_INGEST_RETRY_BUDGET_MS = 24 * 60 * 60_000;

const durable = {
  // Postgres may be down for a while; Redis holds the batch until it is back: retried for up to a
  // day, at most an hour apart, then kept in the failed set (never removed) until an operator
  // retries it from Bull Board.
  ...cappedRetries({ baseMs: 1_000, budgetMs: CREDIT_INGEST_RETRY_BUDGET_MS, jitter: 0.5 }),
  removeOnComplete: FINISHED_JOB_HISTORY.removeOnComplete,
  removeOnFail: false,
} as const;

/**
 * What the ingest API accepted and a worker writes to Postgres:
 * - `persist-credit-batch`, `record-user`: what clients reported;
 * - `apply-push-event`: a push event already stored; applying it twice changes the ledger once;
 * - `sweep-push-events`: from a job scheduler, enqueues again the events stored but unapplied for a
 *   while (their job was never added: Redis was down when WeChat pushed). A failed sweep is not
 *   retried: the next tick does its work.
 */
export const creditIngestCatalog = defineQueueCatalog('credit-ingest', {
  'persist-credit-batch': { schema: persistCreditBatchSchema, options: durable },
  'record-user': { schema: recordUserSchema, options: durable },
  'apply-push-event': { schema: applyPushEventSchema, options: durable },
  'sweep-push-events': {
    schema: z.object({}),
    options: { attempts: 1, removeOnComplete: { count: 100, age: 86_400 }, removeOnFail: { count: 100 } },
  },
});
