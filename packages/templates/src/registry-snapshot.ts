import type { StoredTemplate, TemplateRegistry } from '@minapush/db';

/**
 * Whether an app's registry can judge a send:
 * - `synced`: the last sync succeeded, so the stored list is WeChat's;
 * - `never_synced`: no sync has succeeded yet, so an absent template proves nothing;
 * - `unreadable`: the last sync failed (after any success), so the list may be out of date.
 */
export type RegistryState = 'synced' | 'never_synced' | 'unreadable';

/** An app's registry as one check sees it. */
export interface RegistrySnapshot {
  state: RegistryState;
  templates: ReadonlyMap<string, StoredTemplate>;
  /** the last successful sync */
  syncedAt?: Date | undefined;
}

/** The state of a registry read from the database. */
export function registrySnapshot(registry: TemplateRegistry): RegistrySnapshot {
  const { syncedAt, failedAt } = registry.sync;
  const state: RegistryState =
    syncedAt === null ? 'never_synced' : failedAt !== null && failedAt >= syncedAt ? 'unreadable' : 'synced';
  return {
    state,
    templates: new Map(registry.templates.map((template) => [template.templateId, template])),
    ...(syncedAt === null ? {} : { syncedAt }),
  };
}
