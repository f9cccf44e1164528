import { describe, expect, it } from 'vitest';
import { decodePageCursor, encodePageCursor, pageOf } from './page-cursor.js';

describe('page cursors', () => {
  const id = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

  it('carry an id and give it back', () => {
    const cursor = encodePageCursor(id);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]{23}$/);
    expect(decodePageCursor(cursor)).toBe(id);
  });

  it('refuse what this API did not give out', () => {
    const cursor = encodePageCursor(id);
    for (const bad of ['', 'abc', id, `${cursor}A`, cursor.slice(1), '!'.repeat(23)]) {
      expect(decodePageCursor(bad)).toBeUndefined();
    }
    // another version byte
    const other = Buffer.from(cursor, 'base64url');
    other[0] = 2;
    expect(decodePageCursor(other.toString('base64url'))).toBeUndefined();
  });

  it('give a next cursor only when a row beyond the page was read', () => {
    const rows = [{ id: 'c' }, { id: 'b' }, { id: 'a' }].map((row) => ({
      id: id.replace('0193', row.id.repeat(4)),
    }));
    expect(pageOf(rows.slice(0, 2), 2, (row) => row.id)).toEqual({ items: rows.slice(0, 2) });
    const page = pageOf(rows, 2, (row) => row.id);
    expect(page.items).toEqual(rows.slice(0, 2));
    expect(decodePageCursor(page.nextCursor ?? '')).toBe(rows[1]?.id);
  });
});
