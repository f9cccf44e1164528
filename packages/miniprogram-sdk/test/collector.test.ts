import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, CreditsDroppedError, MOCK_FORM_ID, NetworkError } from '../src/index.js';
import { APP_ID, createDevice, DAY_MS, type Device, START } from './support/clients.js';
import { submitEvent } from './support/fake-wx.js';

let device: Device;

afterEach(() => {
  device?.destroyAll();
  vi.useRealTimers();
});

/** Lets every pending promise chain run (setImmediate is not faked). */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

const ids = (count: number, prefix = 'f') => Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);

describe('collect', () => {
  it('keeps the formId of a submit event with the time of the tap, in wx storage', () => {
    device = createDevice();
    const client = device.launch();
    expect(client.collect(submitEvent('f1'))).toBe(true);
    expect(device.wx.stored('minapush:form-ids')).toEqual({
      v: 1,
      entries: [{ value: 'f1', capturedAt: device.clock }],
    });
    expect(client.status().pendingFormIds).toBe(1);
    expect(device.wx.requests).toEqual([]);
  });

  it("drops DevTools' mock formId, empty ids and anything that is not a formId", () => {
    device = createDevice();
    const client = device.launch();
    const worthless = [
      submitEvent(MOCK_FORM_ID),
      submitEvent('The formId is a mock one'),
      submitEvent(''),
      submitEvent('   '),
      submitEvent('requestFormId:fail timeout'),
      submitEvent('x'.repeat(257)),
      MOCK_FORM_ID,
      '',
      undefined,
      null,
      { detail: {} },
      { detail: { formId: 42 } },
      { detail: null },
    ];
    for (const source of worthless) expect(client.collect(source as never)).toBe(false);
    expect(client.status().pendingFormIds).toBe(0);
    expect(device.wx.stored('minapush:form-ids')).toBeUndefined();

    expect(client.collect(' f-real ')).toBe(true);
    expect(device.wx.stored('minapush:form-ids')).toMatchObject({ entries: [{ value: 'f-real' }] });
  });

  it('keeps each formId once', () => {
    device = createDevice();
    const client = device.launch();
    expect(client.collect(submitEvent('f1'))).toBe(true);
    expect(client.collect(submitEvent('f1'))).toBe(false);
    expect(client.status().pendingFormIds).toBe(1);
  });
});

describe('batches', () => {
  it('uploads as soon as batchSize formIds wait, in one request with their capture times', async () => {
    device = createDevice();
    const client = device.launch({ batchSize: 3 });
    const t1 = device.clock;
    client.collect(submitEvent('f1'));
    device.advance(1000);
    client.collect(submitEvent('f2'));
    expect(device.wx.requests).toEqual([]);
    device.advance(1000);
    client.collect(submitEvent('f3'));

    await vi.waitFor(() => expect(device.api.acceptedBatches).toHaveLength(1));
    const [login, upload] = device.wx.requests;
    expect(login).toMatchObject({
      path: '/v1/sessions',
      method: 'POST',
      data: { code: 'code-1', appId: APP_ID },
    });
    expect(upload).toMatchObject({ path: '/v1/form-ids', method: 'POST' });
    expect(upload!.header.authorization).toBe('Bearer token-1');
    expect(upload!.data).toEqual({
      formIds: [
        { formId: 'f1', capturedAt: t1 },
        { formId: 'f2', capturedAt: t1 + 1000 },
        { formId: 'f3', capturedAt: t1 + 2000 },
      ],
    });
    await vi.waitFor(() => expect(client.status().pendingFormIds).toBe(0));
    expect(device.wx.stored('minapush:form-ids')).toBeUndefined();
  });

  it('uploads in requests of batchSize formIds, never more than the 100 the API takes', async () => {
    device = createDevice();
    const client = device.launch({ batchSize: 500 });
    for (const id of ids(250)) client.collect(id);

    await vi.waitFor(() => expect(device.wx.formIdsSent()).toHaveLength(250));
    expect(device.wx.requestsTo('/v1/form-ids').map((r) => r.data.formIds.length)).toEqual([100, 100, 50]);
    expect(new Set(device.wx.formIdsSent()).size).toBe(250);
  });

  it('uploads on the timer when fewer than batchSize formIds wait', async () => {
    vi.useFakeTimers();
    device = createDevice();
    const client = device.launch({ flushIntervalMs: 30_000 });
    client.collect(submitEvent('f1'));
    await vi.advanceTimersByTimeAsync(29_999);
    expect(device.wx.requestsTo('/v1/form-ids')).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(device.wx.formIdsSent()).toEqual(['f1']);
  });

  it('uploads when the app hides and, after a restart, when it launches', async () => {
    device = createDevice();
    const calls: string[] = [];
    const appOptions = {
      globalData: { theme: 'dark' },
      onLaunch() {
        calls.push('launch');
      },
      onHide(this: { globalData: { theme: string } }) {
        calls.push(`hide:${this.globalData.theme}`);
      },
    };
    const first = device.launch();
    const app = first.attachToApp(appOptions);
    expect(app.minapush).toBe(first);
    expect(app.globalData).toBe(appOptions.globalData);

    first.collect(submitEvent('f1'));
    app.onHide.call(app);
    await vi.waitFor(() => expect(device.wx.formIdsSent()).toEqual(['f1']));

    // Collected, then killed before anything was uploaded.
    first.collect(submitEvent('f2'));
    device.kill(first);
    const second = device.launch();
    const relaunched = second.attachToApp(appOptions);
    relaunched.onLaunch.call(relaunched);
    await vi.waitFor(() => expect(device.wx.formIdsSent()).toEqual(['f1', 'f2']));
    expect(calls).toEqual(['hide:dark', 'launch']);
  });
});

describe('persistence and expiry', () => {
  it('uploads formIds collected before a restart after it, with their original capture times', async () => {
    device = createDevice();
    const first = device.launch();
    const tapped = device.clock;
    first.collect(submitEvent('f1'));
    first.collect(submitEvent('f2'));
    device.kill(first);

    device.advance(3_600_000);
    const second = device.launch();
    expect(second.status().pendingFormIds).toBe(2);
    const report = await second.flush();
    expect(report).toMatchObject({ sent: 2, accepted: 2, pending: 0 });
    expect(device.wx.requestsTo('/v1/form-ids')[0]!.data.formIds).toEqual([
      { formId: 'f1', capturedAt: tapped },
      { formId: 'f2', capturedAt: tapped },
    ]);
  });

  it('sends again, after a restart, a batch whose request was cut off by the app being killed', async () => {
    device = createDevice();
    const normal = device.wx.respond;
    device.wx.respond = (request) => (request.path === '/v1/form-ids' ? { hang: true } : normal(request));
    const first = device.launch();
    first.collect('f1');
    void first.flush();
    await vi.waitFor(() => expect(device.wx.requestsTo('/v1/form-ids')).toHaveLength(1));
    device.kill(first);

    device.wx.respond = normal;
    const second = device.launch();
    expect(await second.flush()).toMatchObject({ sent: 1, pending: 0 });
    // The outcome of the cut-off request is unknown; the API answers a repeat with `duplicate`.
    expect(device.wx.formIdsSent()).toEqual(['f1', 'f1']);
  });

  it('drops formIds older than 7 days instead of uploading them', async () => {
    device = createDevice();
    const first = device.launch();
    first.collect(submitEvent('old'));
    device.advance(2 * DAY_MS);
    first.collect(submitEvent('young'));
    device.kill(first);

    device.advance(5 * DAY_MS);
    const second = device.launch();
    expect(second.status().pendingFormIds).toBe(1);
    const report = await second.flush();
    expect(report).toMatchObject({ sent: 1, pending: 0 });
    expect(device.wx.formIdsSent()).toEqual(['young']);
  });

  it('drops formIds that turn 7 days old while the app runs', async () => {
    device = createDevice();
    const client = device.launch();
    client.collect('f1');
    device.advance(7 * DAY_MS - 1);
    client.collect('f2');
    device.advance(1);
    const report = await client.flush();
    expect(report).toMatchObject({ expired: 1, sent: 1 });
    expect(device.wx.formIdsSent()).toEqual(['f2']);
  });
});

describe('failed uploads', () => {
  it('retries after a 5xx and never uploads those formIds again, even after a restart', async () => {
    device = createDevice();
    device.api.answerNext('/v1/form-ids', {
      status: 503,
      body: { error: { code: 'queue_unavailable', message: 'retry shortly' } },
    });
    const first = device.launch();
    first.collect('f1');
    first.collect('f2');

    const failed = await first.flush();
    expect(failed).toMatchObject({ sent: 0, pending: 2 });
    expect(failed.error).toBeInstanceOf(ApiError);
    expect(device.errors.map((e) => e.message)).toEqual([expect.stringContaining('503 queue_unavailable')]);
    expect(first.status().retryAt).toBeGreaterThan(device.clock);

    expect(await first.flush()).toMatchObject({ sent: 2, accepted: 2, pending: 0 });
    expect(first.status().failures).toBe(0);
    expect(first.collect('f1')).toBe(false);
    expect(await first.flush()).toMatchObject({ sent: 0 });
    device.kill(first);

    const second = device.launch();
    expect(second.collect(submitEvent('f2'))).toBe(false);
    expect(await second.flush()).toMatchObject({ sent: 0 });
    expect(device.wx.formIdsSent()).toEqual(['f1', 'f2', 'f1', 'f2']);
    expect(device.api.acceptedBatches).toEqual([['f1', 'f2']]);
  });

  it('retries after a network failure without sending anything twice once it got through', async () => {
    device = createDevice();
    device.api.answerNext('/v1/form-ids', { fail: 'request:fail timeout' });
    const client = device.launch();
    client.collect('f1');
    const failed = await client.flush();
    expect(failed.error).toBeInstanceOf(NetworkError);
    client.collect('f2');
    expect(await client.flush()).toMatchObject({ sent: 2, pending: 0 });
    expect(await client.flush()).toMatchObject({ sent: 0 });
    expect(device.wx.formIdsSent()).toEqual(['f1', 'f1', 'f2']);
  });

  it('does not send a batch in flight again when another flush starts meanwhile', async () => {
    device = createDevice();
    const normal = device.wx.respond;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    device.wx.respond = async (request) => {
      if (request.path === '/v1/form-ids') await gate;
      return normal(request);
    };
    const client = device.launch();
    client.collect('f1');
    const first = client.flush();
    await vi.waitFor(() => expect(device.wx.requestsTo('/v1/form-ids')).toHaveLength(1));
    client.collect('f2');
    const second = client.flush();
    release();
    await Promise.all([first, second]);
    await client.flush();
    expect(device.wx.formIdsSent()).toEqual(['f1', 'f2']);
    expect(device.wx.requestsTo('/v1/form-ids')).toHaveLength(2);
  });

  it('waits exponentially longer after each failure, up to the cap, before trying by itself', async () => {
    vi.useFakeTimers({ now: START, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    device = createDevice({ clock: 'system' });
    device.wx.respond = (request) =>
      request.path === '/v1/form-ids' ? { status: 502 } : device.api.respond(request);
    const client = device.launch({ batchSize: 2, maxRetryDelayMs: 8_000 });
    const waits: number[] = [];
    client.collect('f1');
    client.collect('f2');
    for (let attempt = 1; attempt <= 6; attempt++) {
      await settled();
      expect(device.wx.requestsTo('/v1/form-ids')).toHaveLength(attempt);
      expect(client.status().failures).toBe(attempt);
      const wait = client.status().retryAt - Date.now();
      waits.push(wait);
      // Nothing is sent before the wait is over, however many formIds arrive.
      client.collect(`more-${attempt}`);
      await vi.advanceTimersByTimeAsync(wait - 1);
      await settled();
      expect(device.wx.requestsTo('/v1/form-ids')).toHaveLength(attempt);
      await vi.advanceTimersByTimeAsync(1);
    }
    const ceilings = [1000, 2000, 4000, 8000, 8000, 8000];
    waits.forEach((wait, i) => {
      expect(wait).toBeGreaterThanOrEqual(ceilings[i]! / 2);
      expect(wait).toBeLessThanOrEqual(ceilings[i]!);
    });
  });

  it('waits at least as long as a 429 Retry-After asks', async () => {
    device = createDevice();
    device.api.answerNext('/v1/form-ids', {
      status: 429,
      header: { 'Retry-After': '120' },
      body: { error: { code: 'rate_limited', message: 'slow down' } },
    });
    const client = device.launch();
    client.collect('f1');
    const report = await client.flush();
    expect(report.pending).toBe(1);
    expect(client.status().retryAt - device.clock).toBe(120_000);
  });

  it('drops a batch the API refuses for good, and says so', async () => {
    device = createDevice();
    device.api.answerNext('/v1/form-ids', {
      status: 422,
      body: { error: { code: 'unknown_app', message: 'no such app' } },
    });
    const client = device.launch();
    client.collect('f1');
    client.collect('f2');
    const report = await client.flush();
    expect(report).toMatchObject({ sent: 0, dropped: 2, pending: 0 });
    expect(report.error).toBeUndefined();
    expect(device.errors).toHaveLength(1);
    expect(device.errors[0]).toBeInstanceOf(CreditsDroppedError);
    expect(device.errors[0]).toMatchObject({ code: 'credits_dropped', count: 2 });
    expect(await client.flush()).toMatchObject({ sent: 0 });
    expect(device.wx.formIdsSent()).toEqual(['f1', 'f2']);
  });

  it('splits a batch the API finds too large', async () => {
    device = createDevice();
    device.api.answerNext('/v1/form-ids', {
      status: 413,
      body: { error: { code: 'body_too_large', message: 'too large' } },
    });
    const client = device.launch({ batchSize: 10 });
    for (const id of ids(4)) client.collect(id);
    expect(await client.flush()).toMatchObject({ sent: 4, pending: 0 });
    expect(device.wx.requestsTo('/v1/form-ids').map((r) => r.data.formIds.length)).toEqual([4, 2, 2]);
    expect(device.api.acceptedBatches.flat()).toEqual(ids(4));
  });
});
