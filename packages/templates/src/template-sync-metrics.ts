import type { TemplateSyncOutcome } from './template-registry.js';

/**
 * The two template-sync metrics every process that syncs has (the dispatcher for its schedule,
 * the ingest API on demand), as prom-client's Counter and Gauge take them.
 */
export interface TemplateSyncMetrics {
  templateSyncs: { inc(labels: { app: string; outcome: string }): void };
  templateRegistryUnreadable: { set(labels: { app: string }, value: number): void };
}

/** The registry's `onSync`: counts each sync by outcome and says whether the app's list is unreadable. */
export function countTemplateSyncs(metrics: TemplateSyncMetrics): (outcome: TemplateSyncOutcome) => void {
  return (outcome) => {
    metrics.templateSyncs.inc({ app: outcome.appId, outcome: outcome.ok ? 'ok' : outcome.reason });
    metrics.templateRegistryUnreadable.set({ app: outcome.appId }, outcome.ok ? 0 : 1);
  };
}
