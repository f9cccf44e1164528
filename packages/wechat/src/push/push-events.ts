import { z } from 'zod';
import type { PushFields } from './push-body.js';

/**
 * The subscribe-message events WeChat pushes, in one typed shape whatever the body format:
 * - `subscribe_msg_popup_event`: what the user chose in the `wx.requestSubscribeMessage` dialog;
 * - `subscribe_msg_change_event`: the user changed a template in the settings (WeChat pushes only
 *   turning one off);
 * - `subscribe_msg_sent_event`: the outcome of a delivery.
 * Field names follow WeChat's documentation: XML nests `List` elements in
 * `SubscribeMsgPopupEvent` / `SubscribeMsgChangeEvent` / `SubscribeMsgSentEvent`; JSON puts `List`
 * at the top level, as one object when there is one template and as an array otherwise.
 */
export const PUSH_EVENT_NAMES = {
  popup: 'subscribe_msg_popup_event',
  change: 'subscribe_msg_change_event',
  sent: 'subscribe_msg_sent_event',
} as const;

const XML_CONTAINERS = {
  popup: 'SubscribeMsgPopupEvent',
  change: 'SubscribeMsgChangeEvent',
  sent: 'SubscribeMsgSentEvent',
} as const;

/** Longest id (openid, template id, MsgID) accepted; WeChat's are 28–64 characters. */
export const MAX_PUSH_ID_LENGTH = 128;
/** Most templates one event may list; a dialog offers at most a handful. */
export const MAX_PUSH_EVENT_ITEMS = 50;

/**
 * `SubscribeStatusString` values WeChat documents: `accept`, `reject`, and in the mini-program's own
 * results `ban` and `filter`. Other values pass through as they are (WeChat adds some, e.g. for
 * long-term subscriptions); only the ledger decides what each means.
 */
export const KNOWN_SUBSCRIBE_STATUSES = ['accept', 'reject', 'ban', 'filter'] as const;

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse them
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Text WeChat sends as a string in XML and as a string or a number in JSON. */
const wireText = z
  .union([z.string(), z.number().int()])
  .transform((value) => (typeof value === 'number' ? String(value) : value.trim()));

const id = wireText.pipe(
  z
    .string()
    .min(1)
    .max(MAX_PUSH_ID_LENGTH)
    .refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters'),
);

const integerText = wireText.pipe(z.string().regex(/^-?\d{1,15}$/, 'must be an integer'));

const createTime = integerText.transform(Number).pipe(z.number().int().nonnegative());

const popupItemInput = z
  .object({ TemplateId: id, SubscribeStatusString: id, PopupScene: wireText.optional() })
  .transform((item) => ({
    templateId: item.TemplateId,
    status: item.SubscribeStatusString,
    ...(item.PopupScene === undefined ? {} : { popupScene: item.PopupScene }),
  }));

const changeItemInput = z
  .object({ TemplateId: id, SubscribeStatusString: id })
  .transform((item) => ({ templateId: item.TemplateId, status: item.SubscribeStatusString }));

const sentItemInput = z
  .object({
    TemplateId: id,
    // A JSON number this long would already have lost digits; WeChat sends MsgID as a string.
    MsgID: id,
    ErrorCode: integerText.transform(Number),
    ErrorStatus: wireText.optional(),
  })
  .transform((item) => ({
    templateId: item.TemplateId,
    msgId: item.MsgID,
    errorCode: item.ErrorCode,
    ...(item.ErrorStatus === undefined ? {} : { errorStatus: item.ErrorStatus }),
  }));

const header = {
  toUser: z.string().min(1).max(MAX_PUSH_ID_LENGTH),
  fromUser: z.string().min(1).max(MAX_PUSH_ID_LENGTH),
  createTime: z.number().int().nonnegative(),
};

const subscribeStatus = z.string().min(1).max(MAX_PUSH_ID_LENGTH);

/** The parsed event, as a value that can be stored or queued and validated again on the way out. */
export const pushEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('popup'),
    ...header,
    items: z
      .array(
        z.object({
          templateId: z.string().min(1),
          status: subscribeStatus,
          popupScene: z.string().optional(),
        }),
      )
      .max(MAX_PUSH_EVENT_ITEMS),
  }),
  z.object({
    type: z.literal('change'),
    ...header,
    items: z
      .array(z.object({ templateId: z.string().min(1), status: subscribeStatus }))
      .max(MAX_PUSH_EVENT_ITEMS),
  }),
  z.object({
    type: z.literal('sent'),
    ...header,
    items: z
      .array(
        z.object({
          templateId: z.string().min(1),
          msgId: z.string().min(1),
          errorCode: z.number().int(),
          errorStatus: z.string().optional(),
        }),
      )
      .max(MAX_PUSH_EVENT_ITEMS),
  }),
  z.object({
    type: z.literal('unknown'),
    event: z.string().optional(),
    msgType: z.string().optional(),
  }),
]);

export type PushEvent = z.infer<typeof pushEventSchema>;
export type SubscribePopupEvent = Extract<PushEvent, { type: 'popup' }>;
export type SubscribeChangeEvent = Extract<PushEvent, { type: 'change' }>;
export type SubscribeSentEvent = Extract<PushEvent, { type: 'sent' }>;
export type UnknownPushEvent = Extract<PushEvent, { type: 'unknown' }>;
export type SubscribePopupItem = SubscribePopupEvent['items'][number];
export type SubscribeChangeItem = SubscribeChangeEvent['items'][number];
export type SubscribeSentItem = SubscribeSentEvent['items'][number];

export type PushEventResult =
  | { ok: true; event: PushEvent }
  | { ok: false; reason: 'malformed_event'; event: string; issues: string[] };

type KnownKind = keyof typeof PUSH_EVENT_NAMES;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asList(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (isRecord(value)) return [value];
  return undefined;
}

/**
 * The event's items wherever the format put them: JSON's top-level `List` (object or array), or
 * XML's container with `List` children. JSON bodies seen in the wild also nest the container
 * (`"SubscribeMsgPopupEvent": [...]` or `{"List": …}`); those read the same.
 */
function itemsOf(fields: PushFields, kind: KnownKind): unknown[] {
  const topLevel = asList(fields.List);
  if (topLevel !== undefined) return topLevel;
  const container = fields[XML_CONTAINERS[kind]];
  if (isRecord(container) && 'List' in container) return asList(container.List) ?? [];
  // An empty XML container (`<SubscribeMsgPopupEvent></SubscribeMsgPopupEvent>`) reads as ''.
  return asList(container) ?? [];
}

const inputSchemas = {
  popup: z.array(popupItemInput).max(MAX_PUSH_EVENT_ITEMS),
  change: z.array(changeItemInput).max(MAX_PUSH_EVENT_ITEMS),
  sent: z.array(sentItemInput).max(MAX_PUSH_EVENT_ITEMS),
} as const;

const headerInput = z.object({ ToUserName: id, FromUserName: id, CreateTime: createTime });

function kindOf(eventName: unknown): KnownKind | undefined {
  for (const kind of Object.keys(PUSH_EVENT_NAMES) as KnownKind[]) {
    if (PUSH_EVENT_NAMES[kind] === eventName) return kind;
  }
  return undefined;
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`);
}

/**
 * Turns a push's fields (plaintext body, or the decrypted message) into a {@link PushEvent}.
 * Anything that is not one of the three subscribe events is `unknown`, never an error; a known
 * event whose fields break WeChat's documented shape is `malformed_event` with the issues.
 */
export function toPushEvent(fields: PushFields): PushEventResult {
  const eventName = typeof fields.Event === 'string' ? fields.Event.trim() : undefined;
  const kind = kindOf(eventName);
  if (kind === undefined) {
    const msgType = typeof fields.MsgType === 'string' ? fields.MsgType.trim() : undefined;
    return {
      ok: true,
      event: {
        type: 'unknown',
        ...(eventName === undefined ? {} : { event: eventName }),
        ...(msgType === undefined ? {} : { msgType }),
      },
    };
  }
  const head = headerInput.safeParse(fields);
  const items = inputSchemas[kind].safeParse(itemsOf(fields, kind));
  if (!head.success || !items.success) {
    const issues = [
      ...(head.success ? [] : describeIssues(head.error)),
      ...(items.success ? [] : describeIssues(items.error).map((issue) => `List.${issue}`)),
    ];
    return { ok: false, reason: 'malformed_event', event: PUSH_EVENT_NAMES[kind], issues };
  }
  const event = pushEventSchema.safeParse({
    type: kind,
    toUser: head.data.ToUserName,
    fromUser: head.data.FromUserName,
    createTime: head.data.CreateTime,
    items: items.data,
  });
  if (!event.success) {
    return {
      ok: false,
      reason: 'malformed_event',
      event: PUSH_EVENT_NAMES[kind],
      issues: describeIssues(event.error),
    };
  }
  return { ok: true, event: event.data };
}
