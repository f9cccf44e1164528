import { createHash } from 'node:crypto';
import { canonicalJson } from '@minapush/queues';
import type { PushEvent } from '@minapush/wechat/push';

type StoredEvent = Exclude<PushEvent, { type: 'unknown' }>;

/**
 * What names one event across WeChat's retries of it: a retry carries the same user, CreateTime,
 * event and items (but a new nonce and timestamp, so the request itself cannot be the key).
 * Items are compared as canonical JSON, whatever order the body gave their fields in.
 */
export function pushDedupeKey(appId: string, event: StoredEvent): string {
  return createHash('sha256')
    .update(canonicalJson([appId, event.fromUser, event.createTime, event.type, event.items]), 'utf8')
    .digest('hex');
}
