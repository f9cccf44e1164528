import { normaliseTemplateData, validateSubscribeData, type WireTemplateData } from '@minapush/wechat';
import { z } from 'zod';
import { appIdSchema } from '../app-id.js';
import { idempotencyKeySchema, requestHash } from '../idempotency.js';
import { noControlCharacters } from '../no-control-characters.js';

export const MESSAGE_KINDS = ['template', 'subscribe'] as const;
export const MINIPROGRAM_STATES = ['developer', 'trial', 'formal'] as const;
export const SUBSCRIBE_LANGS = ['zh_CN', 'en_US', 'zh_HK', 'zh_TW'] as const;
/** How far ahead a message may be held (`sendAt`): further is refused, not silently kept for months. */
export const MAX_SEND_AT_DAYS = 30;

const dataTextSchema = z.string().check(noControlCharacters);
const dataValueSchema = z.union([
  dataTextSchema,
  z.number(),
  z.strictObject({ value: z.union([dataTextSchema, z.number()]) }),
]);

/**
 * One message to send: the body of `POST /v1/messages`, and what `enqueueMessage` takes.
 * Unknown fields are refused, so a misspelt option (`miniprogram_state`) is not silently dropped.
 */
export const messageRequestSchema = z
  .strictObject({
    openid: z.string().min(1).max(128).check(noControlCharacters).describe('the user to message'),
    kind: z
      .enum(MESSAGE_KINDS)
      .describe('subscribe (needs an accepted template) or template (legacy, needs a formId or prepay_id)'),
    templateId: z.string().min(1).max(128).check(noControlCharacters),
    data: z
      .record(dataTextSchema, dataValueSchema, {
        error: (issue) =>
          issue.code === 'invalid_key'
            ? `keys of data ${issue.issues[0]?.message ?? 'must be letters, digits and _'}`
            : 'data must be an object such as {"thing1":{"value":"…"}} or {"thing1":"…"}',
      })
      .describe('{"thing1":{"value":"…"}} (WeChat\'s shape) or {"thing1":"…"}'),
    page: z
      .string()
      .max(1024)
      .check(noControlCharacters)
      .optional()
      .describe('the mini-program page to open, may carry ?query'),
    emphasisKeyword: z
      .string()
      .min(1)
      .max(64)
      .check(noControlCharacters)
      .optional()
      .describe('template messages only, e.g. keyword1.DATA'),
    miniprogramState: z
      .enum(MINIPROGRAM_STATES)
      .optional()
      .describe('subscribe messages only; default formal'),
    lang: z.enum(SUBSCRIBE_LANGS).optional().describe('subscribe messages only; default zh_CN'),
    appId: appIdSchema.optional().describe('default: the first configured app'),
    idempotencyKey: idempotencyKeySchema.optional(),
    sendAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe(
        `ISO-8601 with its offset (\`2026-12-24T20:00:00+08:00\`): the message is held, \`queued\`, until then; absent or past: now. At most ${MAX_SEND_AT_DAYS} days ahead`,
      ),
  })
  .superRefine((request, context) => {
    if (request.kind === 'subscribe' && request.emphasisKeyword !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['emphasisKeyword'],
        message: 'emphasisKeyword belongs to template messages; remove it from a subscribe message',
      });
    }
    for (const field of ['miniprogramState', 'lang'] as const) {
      if (request.kind === 'template' && request[field] !== undefined) {
        context.addIssue({
          code: 'custom',
          path: [field],
          message: `${field} belongs to subscribe messages; remove it from a template message`,
        });
      }
    }
  });

/** What a caller may pass: `data` flat (`{"thing1":"x"}`) or in WeChat's wire shape. */
export type MessageRequest = z.input<typeof messageRequestSchema>;
export type ParsedMessageRequest = z.output<typeof messageRequestSchema>;

/** The message as it is stored and hashed: the app resolved, `data` in the wire shape. */
export interface NormalisedMessage {
  appId: string;
  openid: string;
  kind: ParsedMessageRequest['kind'];
  templateId: string;
  data: WireTemplateData;
  page?: string;
  emphasisKeyword?: string;
  miniprogramState?: ParsedMessageRequest['miniprogramState'];
  lang?: ParsedMessageRequest['lang'];
  /** the instant it is held until, as ISO-8601 in UTC (the offset it was written with makes no difference) */
  sendAt?: string;
}

export type NormalisedMessageResult =
  | { ok: true; message: NormalisedMessage }
  | { ok: false; field: string; message: string };

/**
 * Resolves the app and puts `data` into the wire shape; a subscribe message's values must also
 * pass WeChat's value rules here, since WeChat would refuse them with 47003 only after a credit
 * was taken. `field` names the value at fault the way WeChat does (`data.thing1.value`).
 */
export function normaliseMessageRequest(
  request: ParsedMessageRequest,
  defaultAppId: string,
): NormalisedMessageResult {
  const data = normaliseTemplateData(request.data);
  if (!data.ok) {
    const field = data.field === undefined ? 'data' : `data.${data.field}`;
    return { ok: false, field, message: `${field} is invalid: ${data.reason}.` };
  }
  if (request.kind === 'subscribe') {
    const verdict = validateSubscribeData(data.data);
    if (!verdict.ok) {
      const field = `data.${verdict.field}.value`;
      return {
        ok: false,
        field,
        message: `${field} is invalid: ${verdict.reason} (WeChat refuses such a value with 47003).`,
      };
    }
  }
  const message: NormalisedMessage = {
    appId: request.appId ?? defaultAppId,
    openid: request.openid,
    kind: request.kind,
    templateId: request.templateId,
    data: data.data,
  };
  if (request.page !== undefined) message.page = request.page;
  if (request.emphasisKeyword !== undefined) message.emphasisKeyword = request.emphasisKeyword;
  if (request.miniprogramState !== undefined) message.miniprogramState = request.miniprogramState;
  if (request.lang !== undefined) message.lang = request.lang;
  if (request.sendAt !== undefined) message.sendAt = new Date(request.sendAt).toISOString();
  return { ok: true, message };
}

/**
 * sha256 (hex) of the normalised message. Two requests with one idempotencyKey are the same
 * message exactly when their hashes are equal: flat and wire `data`, `12` and `"12"`, key order
 * and an omitted default `appId` make no difference.
 */
export function messageRequestHash(message: NormalisedMessage): string {
  return requestHash(message);
}
