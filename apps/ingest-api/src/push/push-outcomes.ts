/** `minapush_wechat_push_events_total{event}`: the event kinds, and retries of stored ones. */
export const PUSH_EVENT_LABELS = ['popup', 'change', 'sent', 'unknown', 'duplicate'] as const;
export type PushEventLabel = (typeof PUSH_EVENT_LABELS)[number];

/** `minapush_wechat_push_refused_total{reason}`: why a push was refused. */
export const PUSH_REFUSAL_REASONS = [
  'missing_signature',
  'bad_signature',
  'stale_timestamp',
  'malformed',
  'body_too_large',
  'encryption_not_configured',
] as const;
export type PushRefusalReason = (typeof PUSH_REFUSAL_REASONS)[number];

/**
 * How far WeChat's `timestamp` may be from our clock, either way, for a push to be taken: a
 * recorded request replayed later carries its old, signed timestamp and is refused.
 */
export const MAX_PUSH_CLOCK_SKEW_S = 300;
