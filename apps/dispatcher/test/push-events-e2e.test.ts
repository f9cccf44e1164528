import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type DispatchHarness, SUBSCRIBE_TEMPLATE, startDispatchHarness, waitFor } from './harness.js';

// The whole loop of issue 11 on real parts: the sandbox, as WeChat's message push, posts signed and
// encrypted events to the ingest API's push endpoint; the credit ledger hears from them alone (the
// mini-program's own report never arrives); the dispatcher then sends, or skips, by that ledger.

const PUSH_TOKEN = 'e2ePushToken2026';
// 43 characters of the base64 alphabet, as the mini-program console makes them
const ENCODING_AES_KEY = randomBytes(32).toString('base64').slice(0, 43);

let h: DispatchHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface Credits {
  subscribe: Record<string, number>;
}
interface MessageWithDelivery {
  status: string;
  delivery?: { status: string; errcode?: number };
}
interface SandboxApp {
  calls: { subscribe_send: number };
}

async function subscribeCredits(harness: DispatchHarness, openid: string): Promise<number> {
  const response = await harness.api<Credits>(
    'GET',
    `/v1/apps/${harness.app.appId}/users/${encodeURIComponent(openid)}/credits`,
  );
  expect(response.status).toBe(200);
  return response.body.subscribe[SUBSCRIBE_TEMPLATE] ?? 0;
}

describe.each([
  { mode: 'secure', format: 'xml' },
  { mode: 'plaintext', format: 'json' },
] as const)('WeChat pushes the events ($mode, $format) and the ledger follows them', ({ mode, format }) => {
  it('an accept the client never reported is sent; after a turn-off the next message is skipped without calling WeChat', async () => {
    const harness = await startDispatchHarness({
      push: { pushToken: PUSH_TOKEN, encodingAesKey: ENCODING_AES_KEY },
    });
    h = harness;
    const appId = harness.app.appId;
    await harness.control('PUT', `/apps/${appId}/push`, {
      url: `${harness.ingestUrl}/v1/apps/${appId}/wechat/events`,
      token: PUSH_TOKEN,
      encodingAesKey: ENCODING_AES_KEY,
      mode,
      format,
    });
    const { openid } = await harness.control<{ openid: string }>('POST', `/apps/${appId}/users`, {});

    // the user taps accept; only WeChat's popup event tells minapush (no POST /v1/subscriptions)
    await harness.control('POST', `/apps/${appId}/subscriptions`, { openid, templateId: SUBSCRIBE_TEMPLATE });
    await waitFor(
      'the popup event to credit the user',
      async () => (await subscribeCredits(harness, openid)) === 1,
    );

    const first = await harness.sendSubscribe(openid);
    const sent = await harness.waitUntilFinal(first);
    expect(sent.status).toBe('sent');
    expect(await harness.deliveries(openid)).toHaveLength(1);
    // and WeChat's sent event reports the delivery on the message
    const reported = await waitFor('the sent event to be recorded', async () => {
      const view = (await harness.api<MessageWithDelivery>('GET', `/v1/messages/${first}`)).body;
      return view.delivery ? view : undefined;
    });
    expect(reported.delivery).toMatchObject({ status: 'delivered' });

    // a second tap, then the user turns the template off in the settings: the change event drops it.
    // WeChat's events carry their time in seconds, and two alike in one second are one event
    // retried: the second tap comes a few seconds later on WeChat's clock, as a person's would
    await harness.control('POST', `/apps/${appId}/clock`, { advanceMs: 3_000 });
    await harness.control('POST', `/apps/${appId}/subscriptions`, { openid, templateId: SUBSCRIBE_TEMPLATE });
    await waitFor(
      'the second tap to credit the user',
      async () => (await subscribeCredits(harness, openid)) === 1,
    );
    await harness.control('POST', `/apps/${appId}/subscriptions/turn-off`, {
      openid,
      templateId: SUBSCRIBE_TEMPLATE,
      status: 'reject',
    });
    await waitFor(
      'the change event to drop the credit',
      async () => (await subscribeCredits(harness, openid)) === 0,
    );

    const callsBefore = (await harness.control<SandboxApp>('GET', `/apps/${appId}`)).calls.subscribe_send;
    const second = await harness.sendSubscribe(openid);
    const skipped = await harness.waitUntilFinal(second);
    expect(skipped.status).toBe('skipped');
    const callsAfter = (await harness.control<SandboxApp>('GET', `/apps/${appId}`)).calls.subscribe_send;
    expect(callsAfter).toBe(callsBefore);
    expect(await harness.deliveries(openid)).toHaveLength(1);

    // every push was answered `success`: none refused, none retried
    const pushes = await harness.control<{
      pushes: Array<{ event: string; status: string; attempts: number }>;
    }>('GET', `/apps/${appId}/pushes`);
    expect(pushes.pushes.map((push) => push.event).sort()).toEqual(
      [
        'subscribe_msg_change_event',
        'subscribe_msg_popup_event',
        'subscribe_msg_popup_event',
        'subscribe_msg_sent_event',
      ].sort(),
    );
    for (const push of pushes.pushes) expect(push).toMatchObject({ status: 'delivered', attempts: 1 });
  }, 120_000);
});
