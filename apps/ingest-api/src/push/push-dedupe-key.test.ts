import { describe, expect, it } from 'vitest';
import { pushDedupeKey } from './push-dedupe-key.js';

const event = {
  type: 'popup' as const,
  toUser: 'gh_1',
  fromUser: 'o-1',
  createTime: 1_700_000_000,
  items: [{ templateId: 'T1', status: 'accept', popupScene: '0' }],
};

describe('pushDedupeKey', () => {
  it('is the same for a retry, whatever order its fields came in', () => {
    const retry = { ...event, items: [{ popupScene: '0', status: 'accept', templateId: 'T1' }] };
    expect(pushDedupeKey('wx1', retry)).toBe(pushDedupeKey('wx1', event));
    expect(pushDedupeKey('wx1', event)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs for another app, user, time, kind or items', () => {
    const key = pushDedupeKey('wx1', event);
    expect(pushDedupeKey('wx2', event)).not.toBe(key);
    expect(pushDedupeKey('wx1', { ...event, fromUser: 'o-2' })).not.toBe(key);
    expect(pushDedupeKey('wx1', { ...event, createTime: event.createTime + 1 })).not.toBe(key);
    expect(
      pushDedupeKey('wx1', { ...event, type: 'change', items: [{ templateId: 'T1', status: 'accept' }] }),
    ).not.toBe(key);
    expect(
      pushDedupeKey('wx1', { ...event, items: [{ templateId: 'T1', status: 'reject', popupScene: '0' }] }),
    ).not.toBe(key);
  });
});
