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

const templateKeySchema = z
  .string()
  .regex(/^[a-z_]+\d+$/, 'a key is a kind and a number, such as thing1 or phone_number3');

export const templateSchema = z
  .strictObject({
    id: templateIdSchema,
    kind: templateKindSchema,
    title: z.string().min(1).max(256).optional(),
    keys: z.array(templateKeySchema).max(50).optional(),
    enumValues: z.record(templateKeySchema, z.array(z.string().min(1).max(64)).min(1).max(100)).optional(),
    subscribeType: z.enum(['one_time', 'long_term']).optional(),
  })
  .refine(
    (template) =>
      template.kind === 'subscribe' ||
      (template.title === undefined &&
        template.keys === undefined &&
        template.enumValues === undefined &&
        template.subscribeType === undefined),
    'title, keys, enumValues and subscribeType describe subscribe templates only',
  )
  .refine((template) => Object.keys(template.enumValues ?? {}).every((key) => template.keys?.includes(key)), {
    message: 'every key of enumValues must be one of keys',
    path: ['enumValues'],
  });

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

/** false: change the credits without pushing the event (e.g. to test a client-report-only path) */
const pushFlagSchema = z.boolean().default(true);

export const newSubscriptionSchema = z.strictObject({
  openid: openidSchema,
  templateId: templateIdSchema,
  count: countSchema,
  status: z.enum(['accept', 'reject']).default('accept'),
  push: pushFlagSchema,
});

export const subscriptionTurnOffSchema = z.strictObject({
  openid: openidSchema,
  templateId: templateIdSchema,
  status: z.enum(['reject', 'ban']).default('reject'),
  push: pushFlagSchema,
});

/** The console's rules: a Token of 3–32 letters and digits, an EncodingAESKey of 43. */
export const pushSettingsSchema = z
  .strictObject({
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(2048),
    token: z
      .string()
      .regex(/^[A-Za-z0-9]{3,32}$/, 'must be 3–32 letters and digits, as the mini-program console requires'),
    encodingAesKey: z
      .string()
      .regex(/^[A-Za-z0-9+/]{43}$/, 'must be 43 letters and digits, as the mini-program console generates')
      .optional(),
    mode: z.enum(['plaintext', 'compatible', 'secure']),
    format: z.enum(['xml', 'json']),
  })
  .refine((settings) => settings.mode === 'plaintext' || settings.encodingAesKey !== undefined, {
    message: 'is required in the compatible and secure modes',
    path: ['encodingAesKey'],
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
    push: pushFlagSchema,
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
      fault.endpoint === 'subscribe_delivery' ||
      fault.errcode !== undefined ||
      fault.httpStatus !== undefined ||
      fault.delayMs !== undefined ||
      fault.dropReply,
    'give at least one effect: errcode, httpStatus, delayMs or dropReply',
  )
  .refine(
    (fault) =>
      fault.endpoint !== 'subscribe_delivery' ||
      (fault.httpStatus === undefined && fault.delayMs === undefined && fault.dropReply === undefined),
    'subscribe_delivery takes only errcode (the ErrorCode of the sent event), times and probability',
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
