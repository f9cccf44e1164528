import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DispatchHarness, LEGACY_TEMPLATE, startDispatchHarness, waitFor } from './harness.js';

let h: DispatchHarness;
beforeAll(async () => {
  // a rate that makes the broadcast last a while: 20,000 messages at 2,000/s
  h = await startDispatchHarness({ sendRatePerSecond: 2_000 });
}, 60_000);
afterAll(() => h.close());

describe('the transactional lane', () => {
  it('sends a single message queued while a 20,000-user broadcast runs before the broadcast completes', async () => {
    await h.seedUsersWithFormIds(20_000);
    // a user of the broadcast too, with a second formId for the order notification
    const { openid } = await h.userWithFormIds(2);
    const created = await h.api<{ id: string }>('POST', '/v1/broadcasts', {
      kind: 'template',
      templateId: LEGACY_TEMPLATE,
      data: { keyword1: 'spring sale' },
      audience: { type: 'all' },
    });
    expect(created.status).toBe(202);
    const broadcastId = created.body.id;
    await waitFor(
      'the broadcast to be sending',
      async () => (await h.api<{ sent: number }>('GET', `/v1/broadcasts/${broadcastId}`)).body.sent >= 1_000,
    );

    const messageId = await h.sendTemplate(openid, { data: { keyword1: 'your order has shipped' } });
    const message = await h.waitUntilFinal(messageId, 60_000);
    expect(message.status).toBe('sent');

    const done = await waitFor(
      'the broadcast to complete',
      async () => {
        const view = (
          await h.api<{ status: string; sent: number; finishedAt?: string }>(
            'GET',
            `/v1/broadcasts/${broadcastId}`,
          )
        ).body;
        return view.status === 'completed' ? view : undefined;
      },
      120_000,
    );
    expect(done.sent).toBe(20_001);
    expect(new Date(message.sentAt ?? 0).getTime()).toBeLessThan(new Date(done.finishedAt ?? 0).getTime());
    const deliveries = await h.deliveries(openid);
    expect(deliveries.map((d) => d.data.keyword1?.value).sort()).toEqual([
      'spring sale',
      'your order has shipped',
    ]);
  }, 240_000);
});
