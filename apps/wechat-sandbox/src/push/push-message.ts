import { computePushSignature, sealEncryptedPush } from '@minapush/wechat/push';

/** How the mini-program console is set to receive message pushes. */
export type PushMode = 'plaintext' | 'compatible' | 'secure';
export type PushFormat = 'xml' | 'json';

/** An app's message-push settings, as entered in the mini-program console. */
export interface PushSettings {
  url: string;
  token: string;
  /** required in the compatible and secure modes */
  encodingAesKey?: string;
  mode: PushMode;
  format: PushFormat;
}

/** The subscribe-message events the sandbox pushes, one template each. */
export type SandboxPushEvent =
  | { type: 'popup'; openid: string; createTime: number; templateId: string; status: 'accept' | 'reject' }
  | { type: 'change'; openid: string; createTime: number; templateId: string; status: 'reject' | 'ban' }
  | {
      type: 'sent';
      openid: string;
      createTime: number;
      templateId: string;
      msgid: number;
      errorCode: number;
      errorStatus: string;
    };

export const PUSH_EVENT_NAMES = {
  popup: 'subscribe_msg_popup_event',
  change: 'subscribe_msg_change_event',
  sent: 'subscribe_msg_sent_event',
} as const;

export type PushEventName = (typeof PUSH_EVENT_NAMES)[keyof typeof PUSH_EVENT_NAMES];

const XML_CONTAINERS = {
  popup: 'SubscribeMsgPopupEvent',
  change: 'SubscribeMsgChangeEvent',
  sent: 'SubscribeMsgSentEvent',
} as const;

/** The dialog was shown inside the mini-program's own page (WeChat's `PopupScene` 0). */
const POPUP_SCENE_IN_PAGE = '0';

type Fields = [name: string, value: string][];

function listItem(event: SandboxPushEvent): Fields {
  switch (event.type) {
    case 'popup':
      return [
        ['TemplateId', event.templateId],
        ['SubscribeStatusString', event.status],
        ['PopupScene', POPUP_SCENE_IN_PAGE],
      ];
    case 'change':
      return [
        ['TemplateId', event.templateId],
        ['SubscribeStatusString', event.status],
      ];
    case 'sent':
      return [
        ['TemplateId', event.templateId],
        // A string: msgids are beyond a double's exact integers in WeChat's own pushes.
        ['MsgID', String(event.msgid)],
        ['ErrorCode', String(event.errorCode)],
        ['ErrorStatus', event.errorStatus],
      ];
  }
}

function header(event: SandboxPushEvent, originalId: string): Fields {
  return [
    ['ToUserName', originalId],
    ['FromUserName', event.openid],
    ['CreateTime', String(event.createTime)],
    ['MsgType', 'event'],
    ['Event', PUSH_EVENT_NAMES[event.type]],
  ];
}

/** Numbers bare, text in CDATA, as WeChat writes its XML; a `]]>` inside text is split across sections. */
function xmlElement(name: string, value: string): string {
  const text = /^-?\d+$/.test(value) ? value : `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
  return `<${name}>${text}</${name}>`;
}

function xmlFields(fields: Fields): string {
  return fields.map(([name, value]) => xmlElement(name, value)).join('');
}

function xmlBody(event: SandboxPushEvent, originalId: string, encrypt?: string): string {
  const list = `<${XML_CONTAINERS[event.type]}><List>${xmlFields(listItem(event))}</List></${XML_CONTAINERS[event.type]}>`;
  const envelope = encrypt === undefined ? '' : xmlElement('Encrypt', encrypt);
  return `<xml>${xmlFields(header(event, originalId))}${list}${envelope}</xml>`;
}

/**
 * JSON as WeChat sends it: the header at the top level, `CreateTime` a number, `List` an array for
 * popup events (WeChat's documented example) and one object for change and sent events (what WeChat
 * sends for a single template), so that receivers meet both shapes.
 */
function jsonBody(event: SandboxPushEvent, originalId: string, encrypt?: string): string {
  const head: Record<string, unknown> = Object.fromEntries(header(event, originalId));
  head.CreateTime = event.createTime;
  const item = Object.fromEntries(listItem(event));
  const body = { ...head, List: event.type === 'popup' ? [item] : item };
  return JSON.stringify(encrypt === undefined ? body : { ...body, Encrypt: encrypt });
}

/** The event in the clear, in the app's format: the plaintext body, and the message that gets encrypted. */
export function renderPushMessage(event: SandboxPushEvent, format: PushFormat, originalId: string): string {
  return format === 'xml' ? xmlBody(event, originalId) : jsonBody(event, originalId);
}

export interface SealPushInput {
  event: SandboxPushEvent;
  settings: PushSettings;
  appId: string;
  originalId: string;
  timestamp: string;
  nonce: string;
}

/** One push as it goes on the wire: the query WeChat signs, the body and its content type. */
export interface SealedPush {
  query: Record<string, string>;
  body: string;
  contentType: string;
}

/** The configured encodingAesKey cannot encrypt (the control API validates it, so this is a bug). */
export class PushSealingError extends Error {
  override readonly name = 'PushSealingError';
  readonly code = 'push_sealing_failed';
}

/**
 * Signs (and in the encrypted modes encrypts) an event the way WeChat's servers do: `signature`
 * over token, timestamp and nonce on every push; in the compatible and secure modes
 * `encrypt_type=aes` and `msg_signature` over those and `Encrypt`. Compatible bodies carry the
 * clear fields and `Encrypt`; secure bodies only `ToUserName` and `Encrypt`.
 */
export function sealPush(input: SealPushInput): SealedPush {
  const { event, settings, originalId, timestamp, nonce } = input;
  const contentType = settings.format === 'xml' ? 'text/xml; charset=utf-8' : 'application/json';
  const signature = computePushSignature([settings.token, timestamp, nonce]);
  const message = renderPushMessage(event, settings.format, originalId);
  if (settings.mode === 'plaintext') {
    return { query: { signature, timestamp, nonce }, body: message, contentType };
  }
  const sealed = sealEncryptedPush({
    encodingAesKey: settings.encodingAesKey ?? '',
    appId: input.appId,
    message,
    token: settings.token,
    timestamp,
    nonce,
  });
  if (!sealed.ok) throw new PushSealingError(`The push could not be sealed: ${sealed.reason}.`);
  const query = { signature, timestamp, nonce, encrypt_type: 'aes', msg_signature: sealed.msgSignature };
  let body: string;
  if (settings.mode === 'compatible') {
    body =
      settings.format === 'xml'
        ? xmlBody(event, originalId, sealed.encrypt)
        : jsonBody(event, originalId, sealed.encrypt);
  } else {
    body =
      settings.format === 'xml'
        ? `<xml>${xmlElement('ToUserName', originalId)}${xmlElement('Encrypt', sealed.encrypt)}</xml>`
        : JSON.stringify({ ToUserName: originalId, Encrypt: sealed.encrypt });
  }
  return { query, body, contentType };
}
