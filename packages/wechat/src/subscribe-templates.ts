import { z } from 'zod';

/** How long a user's accept lasts: one message (type 2), or long-term (type 3). */
export type SubscribeType = 'one_time' | 'long_term' | 'unknown';

/** One key of a template's content, `{{thing1.DATA}}`: its name and its value kind (the prefix). */
export interface SubscribeTemplateKey {
  name: string;
  /** the letters before the number (`phone_number3` → `phone_number`); the whole name if it has none */
  kind: string;
  /** the only values WeChat accepts for this key, when it lists them (`keywordEnumValueList`) */
  enumValues?: string[];
}

/** A private subscribe-message template of the app, as `/wxaapi/newtmpl/gettemplate` lists it. */
export interface SubscribeTemplate {
  templateId: string;
  title: string;
  subscribeType: SubscribeType;
  keys: SubscribeTemplateKey[];
}

// Lenient on what this client does not use: a template that lacks its example or sends `type` as
// a string (as some of WeChat's own samples do) is still listed.
const templateSchema = z.object({
  priTmplId: z.string().min(1),
  title: z.string().default(''),
  content: z.string().default(''),
  type: z.union([z.number(), z.string()]).optional(),
  keywordEnumValueList: z
    .array(z.object({ keywordCode: z.string(), enumValueList: z.array(z.string()) }))
    .optional(),
});

export const templateListReplySchema = z.object({ data: z.array(templateSchema) });

const CONTENT_KEY = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\.DATA\s*\}\}/g;
const KEY_KIND = /^([A-Za-z_]+)(\d+)$/;

function subscribeTypeOf(type: number | string | undefined): SubscribeType {
  const code = Number(type);
  return code === 2 ? 'one_time' : code === 3 ? 'long_term' : 'unknown';
}

/** `{{thing2.DATA}}`, `thing2.DATA` and `thing2` all name the key `thing2`. */
function keyNamedBy(keywordCode: string): string {
  return keywordCode
    .replace(/^\s*\{\{\s*/, '')
    .replace(/\s*\}\}\s*$/, '')
    .replace(/\.DATA$/, '');
}

/** The value kind of a key: its prefix, `thing` of `thing1`, `phone_number` of `phone_number3`. */
export function templateKeyKind(name: string): string {
  return KEY_KIND.exec(name)?.[1] ?? name;
}

/** The templates of a gettemplate reply: keys in the order the content names them, each once. */
export function toSubscribeTemplates(reply: z.infer<typeof templateListReplySchema>): SubscribeTemplate[] {
  return reply.data.map((template) => {
    const enums = new Map<string, string[]>();
    for (const entry of template.keywordEnumValueList ?? []) {
      enums.set(keyNamedBy(entry.keywordCode), entry.enumValueList);
    }
    const names = [
      ...new Set([...template.content.matchAll(CONTENT_KEY)].map((match) => match[1] as string)),
    ];
    const keys = names.map((name): SubscribeTemplateKey => {
      const enumValues = enums.get(name);
      const key: SubscribeTemplateKey = { name, kind: templateKeyKind(name) };
      if (enumValues !== undefined && enumValues.length > 0) key.enumValues = enumValues;
      return key;
    });
    return {
      templateId: template.priTmplId,
      title: template.title,
      subscribeType: subscribeTypeOf(template.type),
      keys,
    };
  });
}
