import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** The two body formats the mini-program console offers for message push. */
export type PushFormat = 'xml' | 'json';

/**
 * The longest body read, in characters. WeChat's event pushes are a few hundred bytes; a few
 * templates per popup and the base64 envelope stay far below this.
 */
export const MAX_PUSH_BODY_LENGTH = 64 * 1024;

/** The top-level fields of a push (`ToUserName`, `Event`, `Encrypt`…), as the format gave them. */
export type PushFields = Readonly<Record<string, unknown>>;

/**
 * Why a body could not be read:
 * - `empty_body`, `body_too_large` (over {@link MAX_PUSH_BODY_LENGTH} characters);
 * - `malformed_xml`: not well-formed, not a single `<xml>` root, or it declares a DOCTYPE
 *   (refused outright: WeChat never sends one and entity declarations are an expansion risk);
 * - `malformed_json`: not JSON, or not a JSON object;
 * - `malformed_envelope`: `Encrypt` is present but not a non-empty string.
 */
export type PushBodyRefusal =
  | 'empty_body'
  | 'body_too_large'
  | 'malformed_xml'
  | 'malformed_json'
  | 'malformed_envelope';

export type PushBodyResult =
  | {
      ok: true;
      format: PushFormat;
      fields: PushFields;
      /** The `Encrypt` value of the secure and compatible modes, when the body carries one. */
      encrypt?: string;
    }
  | { ok: false; reason: PushBodyRefusal; detail?: string };

/**
 * The format of a push body: from its content type when that names one, else from its first
 * character (WeChat sends `text/xml` for XML, but proxies and tests do not always keep it).
 */
export function detectPushFormat(body: string, contentType?: string): PushFormat | undefined {
  const type = contentType?.toLowerCase() ?? '';
  if (type.includes('json')) return 'json';
  if (type.includes('xml')) return 'xml';
  const first = body.trimStart()[0];
  if (first === '<') return 'xml';
  if (first === '{') return 'json';
  return undefined;
}

const xmlParser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Values stay strings: MsgID (e.g. 1700827132819554304) is beyond a double's integer precision.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // `List` repeats per template; one template must still read as a list of one.
  isArray: (tagName) => tagName === 'List',
});

const DOCTYPE = /<!DOCTYPE/i;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readXml(body: string): PushBodyResult {
  if (DOCTYPE.test(body)) return { ok: false, reason: 'malformed_xml', detail: 'a DOCTYPE is not accepted' };
  const validation = XMLValidator.validate(body);
  if (validation !== true) {
    return {
      ok: false,
      reason: 'malformed_xml',
      detail: `${validation.err.msg} (line ${validation.err.line})`,
    };
  }
  let document: unknown;
  try {
    document = xmlParser.parse(body);
  } catch (error) {
    return { ok: false, reason: 'malformed_xml', detail: error instanceof Error ? error.message : undefined };
  }
  if (!isRecord(document) || Object.keys(document).length !== 1 || !isRecord(document.xml)) {
    return { ok: false, reason: 'malformed_xml', detail: 'the body must be one <xml>…</xml> element' };
  }
  return withEnvelope('xml', document.xml);
}

function readJson(body: string): PushBodyResult {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch (error) {
    return {
      ok: false,
      reason: 'malformed_json',
      detail: error instanceof Error ? error.message : undefined,
    };
  }
  if (!isRecord(document))
    return { ok: false, reason: 'malformed_json', detail: 'the body must be a JSON object' };
  return withEnvelope('json', document);
}

function withEnvelope(format: PushFormat, fields: Record<string, unknown>): PushBodyResult {
  if (!('Encrypt' in fields)) return { ok: true, format, fields };
  const encrypt = fields.Encrypt;
  if (typeof encrypt !== 'string' || encrypt.length === 0) {
    return { ok: false, reason: 'malformed_envelope', detail: 'Encrypt must be a non-empty string' };
  }
  return { ok: true, format, fields, encrypt };
}

/**
 * Reads a push body (the outer one, or a decrypted message, which has the same format) into its
 * top-level fields. Never throws.
 */
export function parsePushBody(body: string, format: PushFormat): PushBodyResult {
  if (body.trim().length === 0) return { ok: false, reason: 'empty_body' };
  if (body.length > MAX_PUSH_BODY_LENGTH) return { ok: false, reason: 'body_too_large' };
  return format === 'xml' ? readXml(body) : readJson(body);
}
