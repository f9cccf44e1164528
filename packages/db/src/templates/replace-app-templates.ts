import type { Database } from '../create-database.js';
import { query } from '../sql-pool.js';
import type { StoredTemplate } from './template-registry.js';

// One statement, so that a reader sees the old set or the new one, never a mix: the templates no
// longer listed go, the listed ones are written, and the app's sync is marked successful.
const STATEMENT = `WITH incoming AS (
    SELECT * FROM jsonb_to_recordset($2::jsonb)
      AS t(template_id text, title text, subscribe_type text, keys jsonb)
  ),
  removed AS (
    DELETE FROM subscribe_templates s
    WHERE s.app_id = $1 AND NOT EXISTS (SELECT 1 FROM incoming i WHERE i.template_id = s.template_id)
  ),
  written AS (
    INSERT INTO subscribe_templates (app_id, template_id, title, subscribe_type, keys, synced_at)
    SELECT $1, i.template_id, i.title, i.subscribe_type, i.keys, $3 FROM incoming i
    ON CONFLICT (app_id, template_id) DO UPDATE SET
      title = EXCLUDED.title, subscribe_type = EXCLUDED.subscribe_type,
      keys = EXCLUDED.keys, synced_at = EXCLUDED.synced_at
  )
  INSERT INTO template_syncs (app_id, synced_at) VALUES ($1, $3)
  ON CONFLICT (app_id) DO UPDATE SET synced_at = EXCLUDED.synced_at`;

/**
 * Replaces an app's stored templates with the list WeChat just answered (templates deleted in
 * WeChat's console disappear) and records the sync as successful at `syncedAt`.
 */
export async function replaceAppTemplates(
  db: Database,
  appId: string,
  templates: readonly StoredTemplate[],
  syncedAt: Date,
): Promise<void> {
  const rows = templates.map((template) => ({
    template_id: template.templateId,
    title: template.title,
    subscribe_type: template.subscribeType,
    keys: template.keys,
  }));
  await query(db, STATEMENT, [appId, JSON.stringify(rows), syncedAt]);
}
