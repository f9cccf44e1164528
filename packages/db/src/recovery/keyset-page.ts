/** The start of a keyset walk over uuids: every uuid sorts after it. */
export const KEYSET_START = '00000000-0000-0000-0000-000000000000';

/** One page of a keyset walk: the rows, and where the next page starts (undefined: walk done). */
export interface KeysetPage<T> {
  rows: T[];
  next: string | undefined;
}

export function keysetPage<T>(rows: T[], limit: number, key: (row: T) => string): KeysetPage<T> {
  const last = rows.at(-1);
  return { rows, next: rows.length < limit || !last ? undefined : key(last) };
}
