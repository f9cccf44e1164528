import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, SubscribeRequestFailedError } from '../src/index.js';
import { createDevice, type Device } from './support/clients.js';

let device: Device;

afterEach(() => {
  device?.destroyAll();
});

describe('requestSubscribe', () => {
  it('asks WeChat in the same tick (the tap) and reports the answers to the API', async () => {
    device = createDevice();
    device.wx.subscribeAnswer = {
      results: { errMsg: 'requestSubscribeMessage:ok', 'tmpl-order': 'accept', 'tmpl-promo': 'reject' },
    };
    const client = device.launch();

    const pending = client.requestSubscribe(['tmpl-order', 'tmpl-promo']);
    expect(device.wx.subscribeCalls).toEqual([['tmpl-order', 'tmpl-promo']]);
    const outcome = await pending;

    expect(outcome).toEqual({
      ok: true,
      results: { errMsg: 'requestSubscribeMessage:ok', 'tmpl-order': 'accept', 'tmpl-promo': 'reject' },
      accepted: ['tmpl-order'],
      delivered: true,
      credited: 1,
    });
    const [report] = device.wx.requestsTo('/v1/subscriptions');
    expect(report!.data).toEqual({
      results: { errMsg: 'requestSubscribeMessage:ok', 'tmpl-order': 'accept', 'tmpl-promo': 'reject' },
      batchId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    });
    expect(report!.header.authorization).toBe('Bearer token-1');
    expect(client.status().pendingSubscriptions).toBe(0);
  });

  it('answers the failure when WeChat does not show the dialog, and reports nothing', async () => {
    device = createDevice();
    device.wx.subscribeAnswer = {
      fail: 'requestSubscribeMessage:fail can only be invoked by user TAP gesture.',
      errCode: 10002,
    };
    const client = device.launch();
    const outcome = await client.requestSubscribe(['tmpl-order']);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error).toBeInstanceOf(SubscribeRequestFailedError);
    expect(outcome.error).toMatchObject({ errCode: 10002 });
    expect(device.wx.requests).toEqual([]);
  });

  it('refuses an empty or malformed list of templates without calling WeChat', async () => {
    device = createDevice();
    const client = device.launch();
    for (const templateIds of [[], [''], [42], 'tmpl-order']) {
      const outcome = await client.requestSubscribe(templateIds as never);
      expect(outcome).toMatchObject({ ok: false, error: expect.any(InvalidArgumentError) });
    }
    expect(device.wx.subscribeCalls).toEqual([]);
  });

  it('keeps answers the API did not get, and delivers them with a later flush, across a restart', async () => {
    device = createDevice();
    device.wx.subscribeAnswer = { results: { errMsg: 'requestSubscribeMessage:ok', 'tmpl-order': 'accept' } };
    device.api.answerNext('/v1/subscriptions', { fail: 'request:fail timeout' });
    const first = device.launch();
    const outcome = await first.requestSubscribe(['tmpl-order']);
    expect(outcome).toMatchObject({ ok: true, accepted: ['tmpl-order'], delivered: false });
    expect(first.status().pendingSubscriptions).toBe(1);
    device.kill(first);

    const second = device.launch();
    const report = await second.flush();
    expect(report).toMatchObject({ subscriptionsSent: 1 });
    expect(second.status().pendingSubscriptions).toBe(0);
    const sent = device.wx.requestsTo('/v1/subscriptions').map((r) => r.data as { batchId: string });
    // The retry after the restart carries the same batchId, so the API credits the answers once.
    const batchId = sent[0]?.batchId;
    expect(batchId).toEqual(expect.any(String));
    expect(sent).toEqual([
      { results: { errMsg: 'requestSubscribeMessage:ok', 'tmpl-order': 'accept' }, batchId },
      { results: { errMsg: 'requestSubscribeMessage:ok', 'tmpl-order': 'accept' }, batchId },
    ]);
    expect(await second.flush()).toMatchObject({ subscriptionsSent: 0 });
  });

  it('does not send answers again from a flush that starts while they are being reported', async () => {
    device = createDevice();
    device.wx.subscribeAnswer = { results: { errMsg: 'requestSubscribeMessage:ok', 'tmpl-order': 'accept' } };
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const normal = device.wx.respond;
    device.wx.respond = async (request) => {
      if (request.path === '/v1/subscriptions') await gate;
      return normal(request);
    };
    const client = device.launch();
    const reported = client.requestSubscribe(['tmpl-order']);
    await vi.waitFor(() => expect(device.wx.requestsTo('/v1/subscriptions')).toHaveLength(1));
    const flushed = client.flush();
    release();
    expect(await reported).toMatchObject({ delivered: true, credited: 1 });
    expect(await flushed).toMatchObject({ subscriptionsSent: 0 });
    expect(device.wx.requestsTo('/v1/subscriptions')).toHaveLength(1);
  });

  it('reports the answers of an own wx.requestSubscribeMessage call, leaving out what the API would refuse', async () => {
    device = createDevice();
    const client = device.launch();
    const outcome = await client.reportSubscribeResults({
      errMsg: 'requestSubscribeMessage:ok',
      'tmpl-a': 'accept',
      'tmpl-b': 'ban',
      extra: 'something new',
    });
    expect(outcome).toMatchObject({ ok: true, accepted: ['tmpl-a'], delivered: true, credited: 1 });
    expect(device.wx.requestsTo('/v1/subscriptions')[0]!.data.results).toEqual({
      errMsg: 'requestSubscribeMessage:ok',
      'tmpl-a': 'accept',
      'tmpl-b': 'ban',
    });
  });
});
