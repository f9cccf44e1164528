import {
  dispatcherMaintenanceCatalog,
  HOUSEKEEPING_TIMEZONE,
  TEMPLATE_SYNC_SCHEDULER_ID,
} from '@minapush/queues';
import { Job, Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { type DispatchHarness, SUBSCRIBE_TEMPLATE, startDispatchHarness, waitFor } from './harness.js';

let h: DispatchHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface TemplateList {
  items: { templateId: string; keys: string[] }[];
  registry: string;
}

describe('the template registry, synced by the dispatcher', () => {
  it('syncs at start and on its schedule, so that sends are checked against what WeChat lists', async () => {
    h = await startDispatchHarness({ dispatcher: false, templateSyncCron: '*/10 * * * *' });
    const harness = h;
    const appId = harness.app.appId;
    // the token-refresher's part: the central token exists before the dispatcher starts
    expect((await harness.tokens.getToken(appId)).ok).toBe(true);
    const dispatcher = harness.startDispatcher();
    await dispatcher.scheduled;

    const synced = await waitFor('the start-up sync', async () => {
      const list = await harness.api<TemplateList>('GET', `/v1/apps/${appId}/templates`);
      return list.body.registry === 'synced' ? list.body : undefined;
    });
    expect(synced.items).toEqual([expect.objectContaining({ templateId: SUBSCRIBE_TEMPLATE, keys: [] })]);

    const maintenance = new Queue(dispatcherMaintenanceCatalog.queue, {
      connection: harness.redis,
      prefix: harness.prefix,
    });
    try {
      const scheduler = await maintenance.getJobScheduler(TEMPLATE_SYNC_SCHEDULER_ID);
      expect(scheduler).toMatchObject({ pattern: '*/10 * * * *', tz: HOUSEKEEPING_TIMEZONE });

      // a template added in the console is listed after the next tick, with its keys
      await harness.control('POST', `/apps/${appId}/templates`, {
        id: 'tmpl-added',
        kind: 'subscribe',
        keys: ['thing1', 'phrase2'],
        enumValues: { phrase2: ['已发货'] },
      });
      const tick = await maintenance.add(
        'template-sync',
        {},
        dispatcherMaintenanceCatalog.jobs['template-sync'].options,
      );
      const state = await waitFor('the template-sync tick', async () => {
        const current = await tick.getState();
        return current === 'completed' || current === 'failed' ? current : undefined;
      });
      expect(state).toBe('completed');
      expect((await Job.fromId(maintenance, tick.id ?? ''))?.returnvalue).toEqual({ synced: 1, apps: 1 });
      const listed = await harness.api<TemplateList>('GET', `/v1/apps/${appId}/templates`);
      expect(listed.body.items.map((item) => [item.templateId, item.keys])).toEqual([
        ['tmpl-added', ['thing1', 'phrase2']],
        [SUBSCRIBE_TEMPLATE, []],
      ]);
      const metrics = await harness.metrics.registry.metrics();
      expect(metrics).toContain(`minapush_template_syncs_total{app="${appId}",outcome="ok"} 2`);
      expect(metrics).toContain(`minapush_template_registry_unreadable{app="${appId}"} 0`);

      // checked before it is queued: a value outside the enum is refused, a good one is sent
      const refused = await harness.api<{ error: { code: string } }>('POST', '/v1/messages', {
        appId,
        openid: 'o-someone',
        kind: 'subscribe',
        templateId: 'tmpl-added',
        data: { thing1: 'Parcel', phrase2: '丢失' },
      });
      expect(refused.status).toBe(422);
      expect(refused.body.error.code).toBe('invalid_template_value');
    } finally {
      await maintenance.close();
    }
  });
});
