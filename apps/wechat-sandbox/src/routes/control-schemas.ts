import { z } from 'zod';
import { FAULT_ENDPOINTS } from '../faults.js';

/** Every list and count the control API takes is bounded, so a typo cannot exhaust memory. */
const MAX_LIST = 1000;
const MAX_COUNT = 1000;
const MAX_LIMIT = 1_000_000_000;
/** Users per bulk call: enough to set up a large audience in a handful of calls. */
export const MAX_BULK_OPENIDS = 10_000;
/** Credits per user in a bulk call. */
export const MAX_BULK_COUNT = 100;
/** Credits in all of one bulk call (openids × count), which bounds the answer's size. */
export const MAX_BULK_CREDITS = 100_000;

const appIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "_" and "-" only');
const openidSchema = z.string().min(1).max(128);
const templateIdSchema = z.string().min(1).max(128);
const templateKindSchema = z.enum(['template', 'subscribe']);
const countSchema = z.number().int().min(1).max(MAX_COUNT).default(1);

export const templateSchema = z.strictObject({ id: templateIdSchema, kind: templateKindSchema });

export const newAppSchema = z.strictObject({
  appId: appIdSchema.optional(),
  secret: z.string().min(1).max(256).optional(),
  pages: z.array(z.string().min(1).max(512)).max(MAX_LIST).optional(),
  templates: z.array(templateSchema).max(MAX_LIST).optional(),
  dailyTokenLimit: z.number().int().min(0).max(MAX_LIMIT).optional(),
  dailySendLimit: z.number().int().min(0).max(MAX_LIMIT).optional(),
  perMinuteLimit: z.number().int().min(1).max(MAX_LIMIT).optional(),
  sensitiveWords: z.array(z.string().min(1).max(64)).max(MAX_LIST).optional(),
});

export const newUserSchema = z.strictObject({
  openid: openidSchema.optional(),
  unionid: z.string().min(1).max(128).optional(),
});

export const newFormIdsSchema = z.strictObject({
  openid: openidSchema,
  kind: z.enum(['form_id', 'prepay_id']).default('form_id'),
  count: countSchema,
});

export const newSubscriptionSchema = z.strictObject({
  openid: openidSchema,
  templateId: templateIdSchema,
  count: countSchema,
});

const bulkOpenidsSchema = z.array(openidSchema).min(1).max(MAX_BULK_OPENIDS);
const bulkCountSchema = z.number().int().min(1).max(MAX_BULK_COUNT).default(1);
const withinBulkCredits = (input: { openids: string[]; count: number }) =>
  input.openids.length * input.count <= MAX_BULK_CREDITS;
const bulkCreditsMessage = `openids × count must be at most ${MAX_BULK_CREDITS}: split the users into several calls`;

export const bulkFormIdsSchema = z
  .strictObject({
    openids: bulkOpenidsSchema,
    kind: z.enum(['form_id', 'prepay_id']).default('form_id'),
    count: bulkCountSchema,
  })
  .refine(withinBulkCredits, { message: bulkCreditsMessage, path: ['count'] });

export const bulkSubscriptionsSchema = z
  .strictObject({
    openids: bulkOpenidsSchema,
    templateId: templateIdSchema,
    count: bulkCountSchema,
  })
  .refine(withinBulkCredits, { message: bulkCreditsMessage, path: ['count'] });

export const deliveriesQuerySchema = z.object({
  openid: openidSchema.optional(),
  kind: templateKindSchema.optional(),
});

export const newFaultSchema = z
  .strictObject({
    endpoint: z.enum([...FAULT_ENDPOINTS, '*']),
    errcode: z
      .number()
      .int()
      .refine((code) => code !== 0, 'must not be 0: a fault answers a failure')
      .optional(),
    httpStatus: z.number().int().min(200).max(599).optional(),
    delayMs: z.number().int().min(0).max(120_000).optional(),
    dropReply: z.boolean().optional(),
    times: z.number().int().min(1).max(MAX_LIMIT).optional(),
    probability: z.number().min(0).max(1).optional(),
  })
  .refine(
    (fault) =>
      fault.errcode !== undefined ||
      fault.httpStatus !== undefined ||
      fault.delayMs !== undefined ||
      fault.dropReply,
    'give at least one effect: errcode, httpStatus, delayMs or dropReply',
  )
  .refine(
    (fault) => !(fault.dropReply && (fault.errcode !== undefined || fault.httpStatus !== undefined)),
    'dropReply performs the call, errcode and httpStatus skip it: use one or the other',
  );

export const clockMoveSchema = z
  .strictObject({
    advanceMs: z
      .number()
      .int()
      .min(0)
      .max(10 * 365 * 24 * 3600 * 1000)
      .optional(),
    now: z.iso.datetime({ offset: true }).optional(),
  })
  .refine(
    (move) => (move.advanceMs === undefined) !== (move.now === undefined),
    'give either advanceMs or now',
  );
