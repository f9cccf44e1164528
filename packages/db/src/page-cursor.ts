/**
 * The opaque cursors of the listings (GET /v1/broadcasts, GET /v1/messages): the id of the last
 * row of a page, newest first. Ids are uuid v7, ordered by creation time, so the next page is the
 * rows with smaller ids: a keyset, which stays as fast on the thousandth page as on the first and
 * neither skips nor repeats a row when new ones arrive meanwhile. A version byte leads, so that
 * the key can change without misreading an old cursor.
 */
const VERSION = 1;
const CURSOR = /^[A-Za-z0-9_-]{23}$/;

/** A listing cursor that is not one this API gave out (mangled, truncated or from elsewhere). */
export class InvalidPageCursorError extends Error {
  override readonly name = 'InvalidPageCursorError';
  readonly code = 'invalid_cursor';
}

export function encodePageCursor(id: string): string {
  const bytes = Buffer.from(id.replaceAll('-', ''), 'hex');
  return Buffer.concat([Buffer.from([VERSION]), bytes]).toString('base64url');
}

/** The id a cursor carries, or undefined when it is not a cursor of ours. */
export function decodePageCursor(cursor: string): string | undefined {
  if (!CURSOR.test(cursor)) return undefined;
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.length !== 17 || bytes[0] !== VERSION) return undefined;
  // a cursor must round-trip: base64url has several spellings of the last character's spare bits
  if (bytes.toString('base64url') !== cursor) return undefined;
  const hex = bytes.subarray(1).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** One page of a listing, newest first; `nextCursor` is absent on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** The id below which a page starts, from the caller's cursor; throws on a cursor not of ours. */
export function pageStart(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = decodePageCursor(cursor);
  if (id === undefined) throw new InvalidPageCursorError('the cursor is not one this API gave out');
  return id;
}

/** A page from `limit + 1` rows read newest first: the extra row only tells that more follow. */
export function pageOf<T>(rows: T[], limit: number, idOf: (row: T) => string): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return last === undefined ? { items } : { items, nextCursor: encodePageCursor(idOf(last)) };
}
