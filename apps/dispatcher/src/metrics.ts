import { Counter, collectDefaultMetrics, Registry } from 'prom-client';

/** The dispatcher's metrics; labels are appIds, statuses and errcodes, never users or tokens. */
export function createDispatcherMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    messagesFinished: new Counter({
      name: 'minapush_messages_finished_total',
      help: 'messages that reached a final status',
      labelNames: ['app', 'status'] as const,
      registers,
    }),
    sendRetries: new Counter({
      name: 'minapush_message_retries_total',
      help: 'sends put back for a later retry (WeChat unavailable, reply lost, no token)',
      labelNames: ['app'] as const,
      registers,
    }),
    quotaPauses: new Counter({
      name: 'minapush_quota_pauses_total',
      help: 'times an app was paused by WeChat quotas; window="daily" (45009) needs attention',
      labelNames: ['app', 'window'] as const,
      registers,
    }),
    strandedRequeued: new Counter({
      name: 'minapush_stranded_messages_requeued_total',
      help: 'messages whose job was lost or whose worker died, queued again by the sweeper',
      labelNames: ['app'] as const,
      registers,
    }),
  };
}

export type DispatcherMetrics = ReturnType<typeof createDispatcherMetrics>;
