/** The fake formId WeChat DevTools produces; it can never be spent. */
export const MOCK_FORM_ID = 'the formId is a mock one';
const MOCK_FORM_ID_FOLDED = MOCK_FORM_ID.toLowerCase();
/** A formId lets the server send one message within 7 days of the user's tap. */
export const FORM_ID_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
/** The API refuses longer ids as malformed. */
export const MAX_FORM_ID_LENGTH = 256;

/** What `collect` accepts: a `<form report-submit>` submit event, or the formId itself. */
export type FormIdSource = string | { detail?: { formId?: unknown } | null } | null | undefined;

/**
 * The spendable formId a source carries, or undefined for none: no id, an empty one, DevTools'
 * mock id, or the `requestFormId:fail …` text some WeChat versions put there when they could
 * not get an id.
 */
export function spendableFormId(source: FormIdSource): string | undefined {
  let raw: unknown;
  if (typeof source === 'string') raw = source;
  else if (source && typeof source === 'object' && source.detail && typeof source.detail === 'object')
    raw = source.detail.formId;
  if (typeof raw !== 'string') return undefined;
  const formId = raw.trim();
  if (formId === '' || formId.length > MAX_FORM_ID_LENGTH) return undefined;
  if (formId.toLowerCase() === MOCK_FORM_ID_FOLDED) return undefined;
  if (formId.indexOf('requestFormId:fail') === 0) return undefined;
  return formId;
}
