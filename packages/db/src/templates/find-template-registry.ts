import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';
import type { StoredTemplate, StoredTemplateKey, TemplateRegistry } from './template-registry.js';

// The sync row and the templates in one round trip: a row per template, or one row of nulls
// when the app has none (the LEFT JOIN from a one-row select).
const STATEMENT = `SELECT s.synced_at, s.failed_at, s.failure,
    t.template_id, t.title, t.subscribe_type, t.keys
  FROM (SELECT $1::text AS app_id) a
  LEFT JOIN template_syncs s ON s.app_id = a.app_id
  LEFT JOIN subscribe_templates t ON t.app_id = a.app_id
  ORDER BY t.template_id`;

/** An app's template registry: its stored templates (by id) and how its syncs went. */
export async function findTemplateRegistry(db: Database, appId: string): Promise<TemplateRegistry> {
  const rows = await query<{
    synced_at: Date | null;
    failed_at: Date | null;
    failure: string | null;
    template_id: string | null;
    title: string | null;
    subscribe_type: string | null;
    keys: StoredTemplateKey[] | null;
  }>(db, STATEMENT, [appId], 'minapush_find_template_registry');
  const first = rows[0];
  const templates: StoredTemplate[] = [];
  for (const row of rows) {
    if (row.template_id === null) continue;
    templates.push({
      templateId: row.template_id,
      title: row.title ?? '',
      subscribeType: row.subscribe_type ?? 'unknown',
      keys: row.keys ?? [],
    });
  }
  return {
    templates,
    sync: {
      syncedAt: first?.synced_at ?? null,
      failedAt: first?.failed_at ?? null,
      failure: first?.failure ?? null,
    },
  };
}
