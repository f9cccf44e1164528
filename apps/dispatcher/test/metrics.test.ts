import { bulkQueueName, messageQueueName } from '@minapush/queues';
import { afterEach, describe, expect, it } from 'vitest';
import { ERRCODE_LABELS } from '../src/index.js';
import {
  type DispatchHarness,
  LEGACY_TEMPLATE,
  pausableClock,
  startDispatchHarness,
  waitFor,
} from './harness.js';
import { exited, freePort, spawnDispatcher } from './processes.js';

const HOUR = 3_600_000;
const WAIT_MS = 30_000;

/** The value of one series of a Prometheus text exposition, or undefined when it is not there. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    const wanted = Object.entries(labels);
    if (wanted.length !== Object.keys(found).length) continue;
    if (wanted.every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

const scrape = (h: DispatchHarness) => h.metrics.registry.metrics();

/**
 * Every message sent was answered 0, or (its reply lost, say on a machine too loaded for the
 * client's timeout) proven delivered by the 41029 of its retry with the same formId.
 */
function expectSendsAnswered(text: string, app: string) {
  const answered = (errcode: string) => sample(text, 'minapush_wechat_answers_total', { app, errcode }) ?? 0;
  const sent = (lane: string) =>
    sample(text, 'minapush_messages_finished_total', { app, lane, status: 'sent' }) ?? 0;
  expect(answered('0') + answered('41029')).toBe(sent('transactional') + sent('bulk'));
}

async function broadcastTo(h: DispatchHarness, extra: Record<string, unknown> = {}): Promise<string> {
  const response = await h.api<{ id: string }>('POST', '/v1/broadcasts', {
    kind: 'template',
    templateId: LEGACY_TEMPLATE,
    data: { keyword1: 'metrics' },
    audience: { type: 'all' },
    ...extra,
  });
  expect(response.status).toBe(202);
  return response.body.id;
}

async function broadcastView(h: DispatchHarness, id: string) {
  return (await h.api<{ status: string; sent: number; waitingUntil?: string }>('GET', `/v1/broadcasts/${id}`))
    .body;
}

describe('metrics', () => {
  let h: DispatchHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a fresh dispatcher process exposes every counter at 0, and the gauges', async () => {
    h = await startDispatchHarness({ dispatcher: false });
    const app = h.app.appId;
    const port = await freePort();
    const output: string[] = [];
    const child = spawnDispatcher(h, output, { DISPATCHER_PORT: String(port) });
    try {
      const text = await waitFor(
        'the process to serve /metrics',
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
          return response?.ok ? response.text() : undefined;
        },
        WAIT_MS,
      );
      for (const lane of ['transactional', 'bulk']) {
        for (const status of ['sent', 'failed', 'skipped', 'unknown', 'cancelled']) {
          expect(sample(text, 'minapush_messages_finished_total', { app, lane, status })).toBe(0);
        }
        expect(sample(text, 'minapush_message_retries_total', { app, lane })).toBe(0);
        expect(sample(text, 'minapush_send_latency_seconds_count', { app, lane })).toBe(0);
        expect(sample(text, 'minapush_send_latency_seconds_bucket', { app, lane, le: '1' })).toBe(0);
      }
      for (const errcode of ERRCODE_LABELS) {
        expect(sample(text, 'minapush_wechat_answers_total', { app, errcode }), errcode).toBe(0);
      }
      for (const errcode of ['0', '-1', '40001', '41028', '45009', '45011', 'other', 'none']) {
        expect(ERRCODE_LABELS).toContain(errcode);
      }
      for (const window of ['per_minute', 'daily']) {
        expect(sample(text, 'minapush_quota_pauses_total', { app, window })).toBe(0);
      }
      expect(sample(text, 'minapush_leases_lost_total', { app })).toBe(0);
      for (const queue of [
        messageQueueName(app),
        bulkQueueName(app),
        'broadcast-fanout',
        'dispatcher-maintenance',
      ]) {
        expect(sample(text, 'minapush_jobs_dead_lettered_total', { queue }), queue).toBe(0);
      }
      // re-queues of this app's work (the fan-outs and completions the reconciler counts may be
      // other suites' in this shared database, so those are only required to exist)
      for (const kind of ['singleMessages', 'batches', 'expiredLeases']) {
        expect(sample(text, 'minapush_reconciled_total', { kind }), kind).toBe(0);
      }
      for (const kind of ['fanOuts', 'completedBroadcasts']) {
        expect(sample(text, 'minapush_reconciled_total', { kind }), kind).toBeGreaterThanOrEqual(0);
      }
      for (const status of ['scheduled', 'running', 'paused', 'completed', 'cancelled']) {
        expect(sample(text, 'minapush_broadcasts', { app, status })).toBe(0);
      }
      expect(sample(text, 'minapush_broadcast_messages', { app, state: 'total' })).toBe(0);
      expect(sample(text, 'minapush_broadcast_messages', { app, state: 'pending' })).toBe(0);
      expect(sample(text, 'minapush_broadcasts_waiting_quiet_hours', { app })).toBe(0);
      for (const [queue, lane] of [
        [messageQueueName(app), 'transactional'],
        [bulkQueueName(app), 'bulk'],
        ['broadcast-fanout', 'none'],
      ] as const) {
        for (const state of ['waiting', 'prioritized', 'active', 'delayed', 'failed']) {
          expect(
            sample(text, 'minapush_queue_depth', { queue, lane, state }),
            `${queue} ${state}`,
          ).toBeTypeOf('number');
        }
      }
      expect(
        sample(text, 'minapush_queue_depth', {
          queue: messageQueueName(app),
          lane: 'transactional',
          state: 'waiting',
        }),
      ).toBe(0);
      // no label carries anything but the fixed sets: no openid, token or message id (the
      // housekeeping counter's table label access_token_fetches names a table, not a token)
      expect(text).not.toMatch(/openid|access_token(?!_fetches)|[0-9a-f]{8}-[0-9a-f]{4}-/);
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
  });

  it('count sends, their latency and every WeChat answer by errcode; the transactional queue depth rises and drains', async () => {
    h = await startDispatchHarness({ dispatcher: false });
    const app = h.app.appId;
    const transactional = { queue: messageQueueName(app), lane: 'transactional', state: 'waiting' };
    const users = [];
    for (let i = 0; i < 8; i += 1) users.push((await h.userWithFormIds(1)).openid);
    const [a, b, c, d, ...broadcastUsers] = users;
    if (!a || !b || !c || !d) throw new Error('users not made');

    // no dispatcher yet: three single messages wait in the app's transactional queue
    await h.fault({ endpoint: 'template_send', errcode: 40003, times: 1 });
    const refused = await h.sendTemplate(a);
    await h.fault({ endpoint: 'template_send', errcode: 99_999, times: 1 });
    const undocumented = await h.sendTemplate(b);
    const plain = await h.sendTemplate(c);
    expect(sample(await scrape(h), 'minapush_queue_depth', transactional)).toBe(3);

    h.startDispatcher();
    const views = await Promise.all([refused, undocumented, plain].map((id) => h!.waitUntilFinal(id)));
    // the faults answer the first calls, whichever messages they carry
    expect(views.map((view) => view.status).sort()).toEqual(['failed', 'failed', 'sent']);
    expect(views.map((view) => view.errcode).sort()).toEqual([40003, 99_999, undefined]);
    let text = await scrape(h);
    expect(sample(text, 'minapush_queue_depth', transactional)).toBe(0);
    expect(sample(text, 'minapush_wechat_answers_total', { app, errcode: '40003' })).toBe(1);
    expect(sample(text, 'minapush_wechat_answers_total', { app, errcode: 'other' })).toBe(1);
    expectSendsAnswered(text, app);
    expect(
      sample(text, 'minapush_messages_finished_total', { app, lane: 'transactional', status: 'failed' }),
    ).toBe(2);
    expect(sample(text, 'minapush_send_latency_seconds_count', { app, lane: 'transactional' })).toBe(1);
    expect(
      sample(text, 'minapush_messages_finished_total', { app, lane: 'transactional', status: 'sent' }),
    ).toBe(1);

    // a reply lost: no errcode; the retry's 41029 proves the first call delivered. To a user of its
    // own: which of a, b and c spent their one formId above depends on which call came first
    await h.fault({ endpoint: 'template_send', dropReply: true, times: 1 });
    const lost = await h.waitUntilFinal(await h.sendTemplate(d), 30_000);
    expect(lost.status).toBe('sent');
    text = await scrape(h);
    expect(sample(text, 'minapush_wechat_answers_total', { app, errcode: 'none' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'minapush_wechat_answers_total', { app, errcode: '41029' })).toBeGreaterThanOrEqual(
      1,
    );
    expectSendsAnswered(text, app);

    const id = await broadcastTo(h, { audience: { type: 'openids', openids: broadcastUsers } });
    await waitFor(
      'the broadcast to complete',
      async () => (await broadcastView(h!, id)).status === 'completed' || undefined,
      WAIT_MS,
    );
    text = await scrape(h);
    const bulkSent = sample(text, 'minapush_messages_finished_total', { app, lane: 'bulk', status: 'sent' });
    expect(bulkSent).toBe(broadcastUsers.length);
    // one latency per message sent, in each lane
    expect(sample(text, 'minapush_send_latency_seconds_count', { app, lane: 'bulk' })).toBe(bulkSent);
    expect(sample(text, 'minapush_send_latency_seconds_bucket', { app, lane: 'bulk', le: '+Inf' })).toBe(
      bulkSent,
    );
    expect(sample(text, 'minapush_send_latency_seconds_sum', { app, lane: 'bulk' })).toBeGreaterThan(0);
    expect(sample(text, 'minapush_send_latency_seconds_count', { app, lane: 'transactional' })).toBe(
      sample(text, 'minapush_messages_finished_total', { app, lane: 'transactional', status: 'sent' }),
    );
    expectSendsAnswered(text, app);
    expect(sample(text, 'minapush_broadcasts', { app, status: 'completed' })).toBe(1);
  });

  it('broadcasts by status, their progress and the quiet-hours wait, the bulk queue depth and the re-queues', async () => {
    const clock = pausableClock();
    const day = 24 * HOUR;
    const chinaNow = Date.now() + 8 * HOUR;
    let eleven = Math.floor(chinaNow / day) * day + 23 * HOUR;
    if (eleven <= chinaNow) eleven += day;
    const elevenPm = eleven - 8 * HOUR;
    clock.standAt(elevenPm);
    h = await startDispatchHarness({ now: clock.now, batchSize: 2 });
    const app = h.app.appId;
    for (let i = 0; i < 4; i += 1) await h.userWithFormIds(1);

    const id = await broadcastTo(h, { quietHours: { start: '22:00', end: '08:00' } });
    const delayed = { queue: bulkQueueName(app), lane: 'bulk', state: 'delayed' };
    await waitFor(
      'both batches to wait for the window',
      async () => sample(await scrape(h!), 'minapush_queue_depth', delayed) === 2 || undefined,
      WAIT_MS,
    );
    let text = await scrape(h);
    expect(sample(text, 'minapush_broadcasts', { app, status: 'running' })).toBe(1);
    expect(sample(text, 'minapush_broadcast_messages', { app, state: 'total' })).toBe(4);
    expect(sample(text, 'minapush_broadcast_messages', { app, state: 'pending' })).toBe(4);
    expect(sample(text, 'minapush_broadcasts_waiting_quiet_hours', { app })).toBe(1);
    expect(sample(text, 'minapush_reconciled_total', { kind: 'batches' })).toBe(0);

    // Redis loses both jobs: the reconciler re-queues them, once each
    for (const job of await h.bulkQueue.getJobs(['delayed'])) await job.remove();
    text = await waitFor(
      'the reconciler to re-queue both batches',
      async () => {
        const current = await scrape(h!);
        return sample(current, 'minapush_reconciled_total', { kind: 'batches' }) === 2 ? current : undefined;
      },
      WAIT_MS,
    );
    expect(sample(text, 'minapush_queue_depth', delayed)).toBe(2);

    clock.runOnAt(elevenPm + 9 * HOUR);
    await h.bulkQueue.promoteJobs();
    await waitFor(
      'the broadcast to complete',
      async () => (await broadcastView(h!, id)).status === 'completed' || undefined,
      WAIT_MS,
    );
    text = await scrape(h);
    expect(sample(text, 'minapush_broadcasts', { app, status: 'running' })).toBe(0);
    expect(sample(text, 'minapush_broadcasts', { app, status: 'completed' })).toBe(1);
    expect(sample(text, 'minapush_broadcast_messages', { app, state: 'total' })).toBe(0);
    expect(sample(text, 'minapush_broadcasts_waiting_quiet_hours', { app })).toBe(0);
    expect(sample(text, 'minapush_queue_depth', delayed)).toBe(0);
    expect(sample(text, 'minapush_reconciled_total', { kind: 'batches' })).toBe(2);
  });
});
