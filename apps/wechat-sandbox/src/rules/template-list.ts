import type { SandboxApp, SubscribeTemplateDetails } from '../state/app-state.js';
import { succeed, type WechatOutcome } from '../wechat-errors.js';

/** One template as `GET /wxaapi/newtmpl/gettemplate` lists it. */
export interface ListedTemplate {
  priTmplId: string;
  title: string;
  content: string;
  example: string;
  /** 2: one-time, 3: long-term */
  type: 2 | 3;
  keywordEnumValueList?: { keywordCode: string; enumValueList: string[] }[];
}

function listed(id: string, details: SubscribeTemplateDetails | undefined): ListedTemplate {
  const keys = details?.keys ?? [];
  const enums = Object.entries(details?.enumValues ?? {});
  return {
    priTmplId: id,
    title: details?.title ?? `Sandbox template ${id}`,
    // WeChat's content names each key as {{key.DATA}}, one per line after its label
    content: keys.map((key) => `${key}:{{${key}.DATA}}\n`).join(''),
    example: keys.map((key) => `${key}:${details?.enumValues[key]?.[0] ?? 'example'}\n`).join(''),
    type: details?.subscribeType === 'long_term' ? 3 : 2,
    ...(enums.length === 0
      ? {}
      : {
          keywordEnumValueList: enums.map(([key, values]) => ({
            keywordCode: `{{${key}.DATA}}`,
            enumValueList: values,
          })),
        }),
  };
}

/** The app's subscribe templates, in the order they were registered; legacy templates are not listed. */
export function listTemplates(
  app: SandboxApp,
): WechatOutcome<{ errcode: 0; errmsg: 'ok'; data: ListedTemplate[] }> {
  const data = [...app.templates]
    .filter(([, kind]) => kind === 'subscribe')
    .map(([id]) => listed(id, app.subscribeTemplates.get(id)));
  return succeed({ errcode: 0, errmsg: 'ok', data });
}

/**
 * WeChat's checks of a send against a template with declared keys: each key given, none other,
 * an enum key's value one of its values. The errmsg detail names the field as WeChat does.
 */
export function checkTemplateKeys(
  details: SubscribeTemplateDetails | undefined,
  data: Record<string, unknown>,
): { ok: true } | { ok: false; detail: string } {
  if (!details || details.keys.length === 0) return { ok: true };
  for (const key of details.keys) {
    if (!Object.hasOwn(data, key)) return { ok: false, detail: `data.${key}.value is empty` };
  }
  for (const key of Object.keys(data)) {
    if (!details.keys.includes(key)) return { ok: false, detail: `data.${key}.value invalid` };
    const allowed = details.enumValues[key];
    const entry = data[key] as { value?: unknown } | undefined;
    if (allowed && !allowed.includes(String(entry?.value))) {
      return { ok: false, detail: `data.${key}.value invalid` };
    }
  }
  return { ok: true };
}
