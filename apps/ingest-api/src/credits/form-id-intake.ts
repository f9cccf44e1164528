/** The fake formId WeChat DevTools produces; it can never be spent. */
export const MOCK_FORM_ID = 'the formId is a mock one';
export const MAX_FORM_IDS_PER_REQUEST = 100;
export const MAX_FORM_ID_LENGTH = 256;
/**
 * What WeChat hands out as formIds and prepay_ids: printable ASCII, no spaces. Anything else
 * (a newline, NUL, a word with spaces) can never be spent, and NUL cannot even be stored.
 */
export const FORM_ID_PATTERN = /^[\x21-\x7e]+$/;
/** formIds and prepay_ids live 7 days from the user's tap or payment. */
export const CREDIT_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

export type RejectionReason = 'mock' | 'duplicate' | 'expired' | 'malformed';

export interface Rejection {
  formId: string | null;
  reason: RejectionReason;
  /** why, in words, for the malformed ones */
  message?: string;
}

export interface AcceptedFormId {
  kind: 'form_id' | 'prepay_id';
  formId: string;
  usesLeft: number;
  capturedAt: Date;
  expiresAt: Date;
}

export interface FormIdIntake {
  accepted: AcceptedFormId[];
  rejected: Rejection[];
}

const USES = { form_id: 1, prepay_id: 3 } as const;
const MOCK_FORM_ID_FOLDED = MOCK_FORM_ID.toLowerCase();

function parseCapturedAt(value: unknown): Date | undefined {
  let date: Date | undefined;
  if (typeof value === 'number') date = new Date(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const text = value.trim();
    date = /^\d+$/.test(text) ? new Date(Number(text)) : new Date(text);
  }
  // a number past Date's range (±8.64e15 ms, e.g. 1e308) gives an invalid date, as NaN does
  return date === undefined || Number.isNaN(date.getTime()) ? undefined : date;
}

function malformed(formId: unknown, message: string): Rejection {
  return {
    formId: typeof formId === 'string' ? formId.slice(0, MAX_FORM_ID_LENGTH) : null,
    reason: 'malformed',
    message,
  };
}

/**
 * Sorts the items of one request into credits to keep and rejections with a reason. A bad item
 * never spoils the good ones. `capturedAt` defaults to now, future values are capped to now,
 * and anything captured more than 7 days ago is expired.
 */
export function takeFormIds(items: readonly unknown[], now: Date): FormIdIntake {
  const accepted: AcceptedFormId[] = [];
  const rejected: Rejection[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const entry = typeof item === 'string' ? { formId: item } : item;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      rejected.push(malformed(item, 'each item is a formId string or {"formId","kind"?,"capturedAt"?}'));
      continue;
    }
    const { formId: rawFormId, kind: rawKind, capturedAt: rawCapturedAt } = entry as Record<string, unknown>;
    if (typeof rawFormId !== 'string' || rawFormId.trim() === '') {
      rejected.push(malformed(rawFormId, 'formId must be a non-empty string'));
      continue;
    }
    const formId = rawFormId.trim();
    if (formId.length > MAX_FORM_ID_LENGTH) {
      rejected.push(malformed(formId, `formId is longer than ${MAX_FORM_ID_LENGTH} characters`));
      continue;
    }
    if (formId.toLowerCase() === MOCK_FORM_ID_FOLDED) {
      rejected.push({ formId, reason: 'mock' });
      continue;
    }
    if (!FORM_ID_PATTERN.test(formId)) {
      rejected.push(malformed(formId, 'formId must be printable ASCII without spaces or control characters'));
      continue;
    }
    const kind = rawKind ?? 'form_id';
    if (kind !== 'form_id' && kind !== 'prepay_id') {
      rejected.push(malformed(formId, 'kind must be "form_id" or "prepay_id"'));
      continue;
    }
    let capturedAt = now;
    if (rawCapturedAt !== undefined && rawCapturedAt !== null) {
      const parsed = parseCapturedAt(rawCapturedAt);
      if (!parsed) {
        rejected.push(malformed(formId, 'capturedAt must be an ISO-8601 date or epoch milliseconds'));
        continue;
      }
      capturedAt = parsed.getTime() > now.getTime() ? now : parsed;
    }
    if (capturedAt.getTime() <= now.getTime() - CREDIT_LIFETIME_MS) {
      rejected.push({ formId, reason: 'expired' });
      continue;
    }
    if (seen.has(formId)) {
      rejected.push({ formId, reason: 'duplicate' });
      continue;
    }
    seen.add(formId);
    accepted.push({
      kind,
      formId,
      usesLeft: USES[kind],
      capturedAt,
      expiresAt: new Date(capturedAt.getTime() + CREDIT_LIFETIME_MS),
    });
  }
  return { accepted, rejected };
}
