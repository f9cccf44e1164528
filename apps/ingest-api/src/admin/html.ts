/**
 * Server-rendered HTML for the admin view without a template engine: `html` is a tagged template
 * that escapes every interpolated value, so an openid, a template id or an error message that
 * holds markup shows as text. Only fragments built by `html` itself (or by `unescaped`, for the
 * few trusted constants) pass through as markup.
 */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text safe in element content and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (character) => ESCAPES[character] ?? character);
}

type Interpolation =
  | SafeHtml
  | string
  | number
  | boolean
  | null
  | undefined
  | Date
  | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value instanceof SafeHtml) return value.text;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (value instanceof Date) return escapeHtml(value.toISOString());
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let text = strings[0] ?? '';
  values.forEach((value, i) => {
    text += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(text);
}

/** Markup that is written in this code, never taken from data (a fixed script or style). */
export function unescaped(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}
