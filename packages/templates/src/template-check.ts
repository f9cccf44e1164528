import type { StoredTemplate } from '@minapush/db';
import { SUBSCRIBE_VALUE_RULES, type SubscribeKeyPrefix, type WireTemplateData } from '@minapush/wechat';
import type { RegistrySnapshot } from './registry-snapshot.js';

/** The subscribe message a check looks at: its template and its data in WeChat's wire shape. */
export interface SubscribeRequestToCheck {
  templateId: string;
  data: WireTemplateData;
}

export type TemplateRefusalReason =
  | 'unknown_template'
  | 'missing_template_keys'
  | 'unknown_template_keys'
  | 'invalid_template_value';

export type TemplateCheck =
  /** `validated` false: the registry could not judge (never synced, or its last sync failed) */
  | { ok: true; validated: boolean }
  | { ok: false; reason: TemplateRefusalReason; message: string; details: Record<string, unknown> };

/** How many known template ids an unknown_template refusal lists. */
const LISTED_TEMPLATE_IDS = 20;

function list(names: readonly string[]): string {
  return names.join(', ');
}

function isKnownKind(kind: string): kind is SubscribeKeyPrefix {
  return Object.hasOwn(SUBSCRIBE_VALUE_RULES, kind);
}

function checkValues(template: StoredTemplate, data: WireTemplateData): TemplateCheck {
  for (const key of template.keys) {
    const value = data[key.name]?.value;
    if (value === undefined) continue;
    if (key.enumValues !== undefined && key.enumValues.length > 0 && !key.enumValues.includes(value)) {
      const rule = `one of ${list(key.enumValues)}`;
      return {
        ok: false,
        reason: 'invalid_template_value',
        message: `data.${key.name}.value is not one of the values template ${template.templateId} allows for ${key.name}; use one of: ${list(key.enumValues)}.`,
        details: {
          templateId: template.templateId,
          key: key.name,
          rule,
          enumValues: key.enumValues,
          fix: `set data.${key.name} to one of the listed values`,
        },
      };
    }
    if (isKnownKind(key.kind)) {
      const { rule, accepts } = SUBSCRIBE_VALUE_RULES[key.kind];
      if (!accepts(value)) {
        return {
          ok: false,
          reason: 'invalid_template_value',
          message: `data.${key.name}.value breaks the rule of its kind (${key.kind}): it must be ${rule}.`,
          details: {
            templateId: template.templateId,
            key: key.name,
            rule,
            fix: `make data.${key.name} ${rule}`,
          },
        };
      }
    }
  }
  return { ok: true, validated: true };
}

/**
 * Judges a subscribe message by its app's template registry, as WeChat would before sending it:
 * the template must be listed, the data must carry exactly the template's keys, and each value
 * must be one of its key's enum values (when WeChat lists them) and keep its kind's rule. A
 * registry that never synced or whose last sync failed cannot judge: the message passes
 * unvalidated. A template listed without keys is checked for existence only.
 */
export function checkSubscribeRequest(
  snapshot: RegistrySnapshot,
  request: SubscribeRequestToCheck,
): TemplateCheck {
  if (snapshot.state !== 'synced') return { ok: true, validated: false };
  const template = snapshot.templates.get(request.templateId);
  if (!template) {
    const known = [...snapshot.templates.keys()].sort();
    const listed = known.slice(0, LISTED_TEMPLATE_IDS);
    return {
      ok: false,
      reason: 'unknown_template',
      message:
        known.length === 0
          ? `Template ${request.templateId} is not a subscribe template of this app: WeChat lists none. Add the template in the mini-program's console (订阅消息), then send again.`
          : `Template ${request.templateId} is not a subscribe template of this app; use one WeChat lists (GET /v1/apps/:appId/templates), or add it in the mini-program's console.`,
      details: {
        templateId: request.templateId,
        knownTemplateIds: listed,
        ...(known.length > listed.length ? { moreTemplates: known.length - listed.length } : {}),
      },
    };
  }
  if (template.keys.length === 0) return { ok: true, validated: true };
  const templateKeys = template.keys.map((key) => key.name);
  const given = Object.keys(request.data);
  const unknown = given.filter((key) => !templateKeys.includes(key));
  const missing = templateKeys.filter((key) => !Object.hasOwn(request.data, key));
  if (unknown.length > 0) {
    return {
      ok: false,
      reason: 'unknown_template_keys',
      message: `data has ${unknown.length === 1 ? 'a key' : 'keys'} template ${template.templateId} does not have: ${list(unknown)}; its keys are ${list(templateKeys)}.`,
      details: { templateId: template.templateId, keys: unknown, missingKeys: missing, templateKeys },
    };
  }
  if (missing.length > 0) {
    return {
      ok: false,
      reason: 'missing_template_keys',
      message: `data lacks ${missing.length === 1 ? 'a key' : 'keys'} of template ${template.templateId}: ${list(missing)}; give a value for each of ${list(templateKeys)}.`,
      details: { templateId: template.templateId, keys: missing, templateKeys },
    };
  }
  return checkValues(template, request.data);
}
