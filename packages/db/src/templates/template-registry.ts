/** One key of a stored template: its name, value kind and, when WeChat lists them, its only values. */
export interface StoredTemplateKey {
  name: string;
  kind: string;
  enumValues?: string[];
}

/** A subscribe-message template of an app, as the last successful sync stored it. */
export interface StoredTemplate {
  templateId: string;
  title: string;
  /** one_time | long_term | unknown */
  subscribeType: string;
  keys: StoredTemplateKey[];
}

/** How an app's template syncs went; null times: never. */
export interface TemplateSyncState {
  syncedAt: Date | null;
  failedAt: Date | null;
  failure: string | null;
}

/** An app's template registry: its templates and how its syncs went. */
export interface TemplateRegistry {
  templates: StoredTemplate[];
  sync: TemplateSyncState;
}
