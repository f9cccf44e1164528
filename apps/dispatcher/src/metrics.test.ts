import { describe, expect, it } from 'vitest';
import { ERRCODE_LABELS, errcodeLabel } from './metrics.js';

describe('errcodeLabel', () => {
  it('labels an answer by its errcode from a fixed set, whatever WeChat answers', () => {
    expect(errcodeLabel({ kind: 'sent' })).toBe('0');
    expect(errcodeLabel({ kind: 'stale_token', errcode: 40001, errmsg: '' })).toBe('40001');
    expect(errcodeLabel({ kind: 'credit_dead', errcode: 41029, errmsg: '' })).toBe('41029');
    expect(errcodeLabel({ kind: 'transient', errcode: -1, errmsg: '' })).toBe('-1');
    expect(errcodeLabel({ kind: 'refused', errcode: 99_999, errmsg: '', templateLevel: false })).toBe(
      'other',
    );
    expect(errcodeLabel({ kind: 'transient', errmsg: 'HTTP 502' })).toBe('none');
    expect(errcodeLabel({ kind: 'outcome_unknown', errmsg: 'timeout' })).toBe('none');
    for (const errcode of [0, -1, 40001, 45009, 45011, 123_456_789]) {
      const label = errcodeLabel({ kind: 'refused', errcode, errmsg: '', templateLevel: false });
      expect(ERRCODE_LABELS).toContain(label);
    }
  });
});
