import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DispatchHarness,
  deliveriesPerUser,
  LEGACY_TEMPLATE,
  startDispatchHarness,
  waitFor,
} from './harness.js';
import { exited, spawnDispatcher } from './processes.js';

const USERS = 600;
let h: DispatchHarness;
beforeAll(async () => {
  h = await startDispatchHarness({ dispatcher: false });
}, 60_000);
afterAll(() => h.close());

const sendCalls = async () =>
  (await h.control<{ calls: { template_send: number } }>('GET', `/apps/${h.app.appId}`)).calls.template_send;

describe('a dispatcher frozen (SIGSTOP) past its lease while another takes over', () => {
  it('makes no WeChat call after it wakes, and no user gets a message twice', async () => {
    const openids = await h.seedUsersWithFormIds(USERS);
    // Slow sends, so that the first dispatcher holds leases on messages it has not sent yet.
    await h.fault({ endpoint: 'template_send', delayMs: 30 });
    const env = {
      MESSAGE_LEASE_MS: '3000',
      JOB_LOCK_MS: '2000',
      WECHAT_TIMEOUT_MS: '1000',
      BATCH_SIZE: '100',
      BATCH_SEND_CONCURRENCY: '4',
      BATCH_CONCURRENCY: '2',
    };
    const output: string[] = [];
    const frozen = spawnDispatcher(h, output, env);
    const takeover: string[] = [];
    let second: ReturnType<typeof spawnDispatcher> | undefined;
    try {
      await waitFor('the first dispatcher to start', () => output.join('').includes('dispatcher started'));
      const created = await h.api<{ id: string }>('POST', '/v1/broadcasts', {
        kind: 'template',
        templateId: LEGACY_TEMPLATE,
        data: { keyword1: 'fenced' },
        audience: { type: 'all' },
      });
      expect(created.status).toBe(202);
      const id = created.body.id;
      // frozen in the middle of a batch: some sent, some leased and not yet sent
      await waitFor(
        'some deliveries, with messages still leased',
        async () =>
          (await h.deliveries()).length >= 40 &&
          (await h.db.message.count({ where: { broadcastId: id, status: 'sending' } })) > 0,
      );
      frozen.kill('SIGSTOP');
      const heldWhenFrozen = await h.db.message.count({ where: { broadcastId: id, status: 'sending' } });
      expect(heldWhenFrozen).toBeGreaterThan(0);

      second = spawnDispatcher(h, takeover, env);
      await waitFor(
        'the second dispatcher to finish the broadcast',
        async () =>
          (await h.api<{ status: string }>('GET', `/v1/broadcasts/${id}`)).body.status === 'completed',
        120_000,
      );
      second.kill('SIGTERM');
      expect((await exited(second)).code).toBe(0);

      const callsBeforeWaking = await sendCalls();
      frozen.kill('SIGCONT');
      // The woken dispatcher finds its leases taken: it says so once its runs end.
      await waitFor('the woken dispatcher to find its leases lost', () =>
        output.join('').includes('lease lost: another dispatcher took these messages over'),
      );
      expect(await sendCalls()).toBe(callsBeforeWaking);

      const perUser = deliveriesPerUser(await h.deliveries());
      expect(perUser.size).toBe(USERS);
      expect(Math.max(...perUser.values())).toBe(1);
      for (const openid of openids) expect(perUser.get(openid)).toBe(1);
      const view = (await h.api<Record<string, number>>('GET', `/v1/broadcasts/${id}`)).body;
      expect(view).toMatchObject({ total: USERS, sent: USERS, failed: 0, unknown: 0, pending: 0 });
      console.log('fencing', { heldWhenFrozen, callsBeforeWaking });
    } finally {
      for (const child of [frozen, second]) {
        if (child && child.exitCode === null && child.signalCode === null) {
          child.kill('SIGCONT');
          child.kill('SIGKILL');
          await exited(child);
        }
      }
    }
  }, 240_000);
});
