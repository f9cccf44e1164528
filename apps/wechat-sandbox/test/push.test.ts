import { createDecipheriv, createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openPushMessage } from '@minapush/wechat/push';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_DELIVERY_FAILURE_CODE } from '../src/index.js';
import { type RunningSandbox, SandboxClient, startSandbox, type TestApp } from './sandbox-client.js';

/** Every app of this file lives at this instant, so CreateTime and timestamp are known exactly. */
const FROZEN_MS = Date.parse('2026-03-01T10:00:00.000Z');
const CREATE_TIME = FROZEN_MS / 1000;
const TEMPLATE = 'tpl-push-shipped';
const TOKEN = 'sandboxPushToken1';
const ENCODING_AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

type Mode = 'plaintext' | 'compatible' | 'secure';
type Format = 'xml' | 'json';

interface ReceivedPush {
  query: URLSearchParams;
  contentType: string | undefined;
  body: string;
}

type ReceiverAnswer = { status: number; body: string } | 'hang';

interface Receiver {
  url: string;
  received: ReceivedPush[];
  close: () => Promise<void>;
}

const receivers: Receiver[] = [];

/** A stand-in for the app's push endpoint: records every request and answers as scripted. */
async function startReceiver(
  answer: (index: number) => ReceiverAnswer = () => ({ status: 200, body: 'success' }),
): Promise<Receiver> {
  const received: ReceivedPush[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const index = received.length;
      received.push({
        query: new URL(req.url ?? '/', 'http://receiver').searchParams,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const reply = answer(index);
      if (reply === 'hang') {
        hanging.push(res);
        return;
      }
      res.writeHead(reply.status, { 'content-type': 'text/plain' }).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/wechat/events`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  receivers.push(receiver);
  return receiver;
}

async function waitFor<T>(read: () => T | Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached in 10 s: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** WeChat's signature, computed here independently of the code under test. */
function sha1OfSorted(parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/** WXBizMsgCrypt decryption, written here from WeChat's description rather than taken from our helpers. */
function decrypt(encrypt: string): { message: string; appId: string } {
  const key = Buffer.from(`${ENCODING_AES_KEY}=`, 'base64');
  expect(key).toHaveLength(32);
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
  expect(padded.length % 32).toBe(0);
  const padding = padded[padded.length - 1] ?? 0;
  expect(padding).toBeGreaterThanOrEqual(1);
  expect(padding).toBeLessThanOrEqual(32);
  expect([...padded.subarray(padded.length - padding)].every((byte) => byte === padding)).toBe(true);
  const plain = padded.subarray(0, padded.length - padding);
  const length = plain.readUInt32BE(16);
  return {
    message: plain.subarray(20, 20 + length).toString('utf8'),
    appId: plain.subarray(20 + length).toString('utf8'),
  };
}

function xmlEncryptOf(body: string): string {
  const match = /<Encrypt><!\[CDATA\[([A-Za-z0-9+/=]+)\]\]><\/Encrypt>/.exec(body);
  if (!match?.[1]) throw new Error(`no Encrypt in ${body}`);
  return match[1];
}

/** Checks the signatures of one push and answers the message in the clear (decrypted when encrypted). */
function openReceived(push: ReceivedPush, mode: Mode, format: Format, appId: string): string {
  const timestamp = push.query.get('timestamp') ?? '';
  const nonce = push.query.get('nonce') ?? '';
  expect(timestamp).toBe(String(CREATE_TIME));
  expect(nonce).toMatch(/^\d{6,}$/);
  expect(push.query.get('signature')).toBe(sha1OfSorted([TOKEN, timestamp, nonce]));
  expect(push.contentType).toContain(format === 'xml' ? 'text/xml' : 'application/json');
  if (mode === 'plaintext') {
    expect(push.query.has('encrypt_type')).toBe(false);
    expect(push.query.has('msg_signature')).toBe(false);
    return push.body;
  }
  const encrypt = format === 'xml' ? xmlEncryptOf(push.body) : (JSON.parse(push.body).Encrypt as string);
  expect(push.query.get('encrypt_type')).toBe('aes');
  expect(push.query.get('msg_signature')).toBe(sha1OfSorted([TOKEN, timestamp, nonce, encrypt]));
  const opened = decrypt(encrypt);
  expect(opened.appId).toBe(appId);
  return opened.message;
}

function popupXml(originalId: string, openid: string, status = 'accept'): string {
  return `<xml><ToUserName><![CDATA[${originalId}]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName><CreateTime>${CREATE_TIME}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe_msg_popup_event]]></Event><SubscribeMsgPopupEvent><List><TemplateId><![CDATA[${TEMPLATE}]]></TemplateId><SubscribeStatusString><![CDATA[${status}]]></SubscribeStatusString><PopupScene>0</PopupScene></List></SubscribeMsgPopupEvent></xml>`;
}

function popupJson(originalId: string, openid: string, status = 'accept') {
  return {
    ToUserName: originalId,
    FromUserName: openid,
    CreateTime: CREATE_TIME,
    MsgType: 'event',
    Event: 'subscribe_msg_popup_event',
    List: [{ TemplateId: TEMPLATE, SubscribeStatusString: status, PopupScene: '0' }],
  };
}

const message = (touser: string) => ({
  touser,
  template_id: TEMPLATE,
  data: { thing1: { value: '已发货' } },
});

let running: RunningSandbox;
let client: SandboxClient;

beforeAll(async () => {
  running = await startSandbox({ now: () => FROZEN_MS });
  client = new SandboxClient(running.baseUrl);
});

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

afterAll(async () => {
  await running.close();
});

function put(path: string, body: unknown) {
  return client.get(path, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function appPushingTo(
  receiver: Receiver,
  mode: Mode,
  format: Format,
): Promise<{ app: TestApp; originalId: string }> {
  const app = await client.createApp({ templates: [{ id: TEMPLATE, kind: 'subscribe' }] });
  const settings = { url: receiver.url, token: TOKEN, encodingAesKey: ENCODING_AES_KEY, mode, format };
  const reply = await put(`/__sandbox/apps/${app.appId}/push`, settings);
  expect(reply.status).toBe(200);
  expect(reply.body).toEqual({ url: receiver.url, mode, format, originalId: expect.stringMatching(/^gh_/) });
  return { app, originalId: reply.body.originalId };
}

async function pushesOf(appId: string): Promise<Record<string, unknown>[]> {
  return (await client.get(`/__sandbox/apps/${appId}/pushes`)).body.pushes;
}

describe.each([
  ['plaintext', 'xml'],
  ['plaintext', 'json'],
  ['compatible', 'xml'],
  ['compatible', 'json'],
  ['secure', 'xml'],
  ['secure', 'json'],
] as const)('a user accepts, pushed in the %s mode as %s', (mode, format) => {
  it('reaches the receiver once, signed, with the popup event', async () => {
    const receiver = await startReceiver();
    const { app, originalId } = await appPushingTo(receiver, mode, format);
    const openid = `o-popup-${mode}-${format}`;
    expect(await client.subscribe(app.appId, openid, TEMPLATE)).toBe(1);

    const [push] = await waitFor(
      () => receiver.received,
      (list) => list.length > 0,
    );
    const clear = openReceived(push as ReceivedPush, mode, format, app.appId);
    if (format === 'xml') {
      expect(clear).toBe(popupXml(originalId, openid));
    } else {
      expect(JSON.parse(clear)).toEqual(popupJson(originalId, openid));
    }

    const body = (push as ReceivedPush).body;
    if (mode === 'compatible') {
      // The clear fields and the envelope side by side.
      if (format === 'xml') {
        expect(body).toBe(
          popupXml(originalId, openid).replace(
            '</xml>',
            `<Encrypt><![CDATA[${xmlEncryptOf(body)}]]></Encrypt></xml>`,
          ),
        );
      } else {
        expect(JSON.parse(body)).toEqual({ ...popupJson(originalId, openid), Encrypt: expect.any(String) });
      }
    }
    if (mode === 'secure') {
      if (format === 'xml') {
        expect(body).toBe(
          `<xml><ToUserName><![CDATA[${originalId}]]></ToUserName><Encrypt><![CDATA[${xmlEncryptOf(body)}]]></Encrypt></xml>`,
        );
      } else {
        expect(Object.keys(JSON.parse(body)).sort()).toEqual(['Encrypt', 'ToUserName']);
      }
    }

    // What the ingest API's reader makes of it (the contract between the two).
    const read = openPushMessage({
      app: { appId: app.appId, pushToken: TOKEN, encodingAesKey: ENCODING_AES_KEY },
      query: Object.fromEntries((push as ReceivedPush).query),
      body,
      contentType: (push as ReceivedPush).contentType,
    });
    expect(read).toMatchObject({ ok: true, mode, format, event: { type: 'popup', fromUser: openid } });

    const [record] = await waitFor(
      () => pushesOf(app.appId),
      (list) => list[0]?.status === 'delivered',
    );
    expect(record).toMatchObject({
      event: 'subscribe_msg_popup_event',
      openid,
      templateId: TEMPLATE,
      mode,
      format,
      status: 'delivered',
      attempts: 1,
      lastHttpStatus: 200,
      answeredSuccess: true,
      body,
    });
    expect(receiver.received).toHaveLength(1);
  });
});

describe('the events', () => {
  it('pushes one popup event per tap, and reject without crediting', async () => {
    const receiver = await startReceiver();
    const { app, originalId } = await appPushingTo(receiver, 'plaintext', 'json');
    expect(await client.subscribe(app.appId, 'o-taps', TEMPLATE, 2)).toBe(2);
    const rejected = await client.control(app.appId, '/subscriptions', {
      openid: 'o-taps',
      templateId: TEMPLATE,
      status: 'reject',
    });
    expect(rejected.body).toEqual({ templateId: TEMPLATE, credits: 2 });
    const received = await waitFor(
      () => receiver.received,
      (list) => list.length >= 3,
    );
    expect(received.map((push) => JSON.parse(push.body))).toEqual([
      popupJson(originalId, 'o-taps'),
      popupJson(originalId, 'o-taps'),
      popupJson(originalId, 'o-taps', 'reject'),
    ]);
  });

  it('turning a template off drops the credits, pushes the change event, and the next send answers 43101', async () => {
    const receiver = await startReceiver();
    const { app, originalId } = await appPushingTo(receiver, 'secure', 'json');
    await client.control(app.appId, '/subscriptions', {
      openid: 'o-off',
      templateId: TEMPLATE,
      count: 2,
      push: false,
    });
    const token = await client.accessToken(app);
    const turnedOff = await client.control(app.appId, '/subscriptions/turn-off', {
      openid: 'o-off',
      templateId: TEMPLATE,
    });
    expect(turnedOff.status).toBe(200);
    expect(turnedOff.body).toEqual({ templateId: TEMPLATE, status: 'reject', creditsDropped: 2 });
    expect((await client.subscribeSend(token, message('o-off'))).body.errcode).toBe(43101);

    const [push] = await waitFor(
      () => receiver.received,
      (list) => list.length > 0,
    );
    expect(JSON.parse(openReceived(push as ReceivedPush, 'secure', 'json', app.appId))).toEqual({
      ToUserName: originalId,
      FromUserName: 'o-off',
      CreateTime: CREATE_TIME,
      MsgType: 'event',
      Event: 'subscribe_msg_change_event',
      List: { TemplateId: TEMPLATE, SubscribeStatusString: 'reject' },
    });

    const banned = await client.control(app.appId, '/subscriptions/turn-off', {
      openid: 'o-off',
      templateId: TEMPLATE,
      status: 'ban',
    });
    expect(banned.body.creditsDropped).toBe(0);
    const received = await waitFor(
      () => receiver.received,
      (list) => list.length > 1,
    );
    const second = JSON.parse(openReceived(received[1] as ReceivedPush, 'secure', 'json', app.appId));
    expect(second.List).toEqual({ TemplateId: TEMPLATE, SubscribeStatusString: 'ban' });
  });

  it('a send answering 0 pushes a sent event with its msgid; a subscribe_delivery fault makes it a failure', async () => {
    const receiver = await startReceiver();
    const { app, originalId } = await appPushingTo(receiver, 'plaintext', 'xml');
    await client.control(app.appId, '/subscriptions', {
      openid: 'o-sent',
      templateId: TEMPLATE,
      count: 3,
      push: false,
    });
    const token = await client.accessToken(app);
    const first = await client.subscribeSend(token, message('o-sent'));
    expect(first.body.errcode).toBe(0);

    const [push] = await waitFor(
      () => receiver.received,
      (list) => list.length > 0,
    );
    expect(openReceived(push as ReceivedPush, 'plaintext', 'xml', app.appId)).toBe(
      `<xml><ToUserName><![CDATA[${originalId}]]></ToUserName><FromUserName><![CDATA[o-sent]]></FromUserName><CreateTime>${CREATE_TIME}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe_msg_sent_event]]></Event><SubscribeMsgSentEvent><List><TemplateId><![CDATA[${TEMPLATE}]]></TemplateId><MsgID>${first.body.msgid}</MsgID><ErrorCode>0</ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus></List></SubscribeMsgSentEvent></xml>`,
    );

    const fault = await client.control(app.appId, '/faults', { endpoint: 'subscribe_delivery', times: 1 });
    expect(fault.status).toBe(201);
    const failed = await client.subscribeSend(token, message('o-sent'));
    expect(failed.body.errcode).toBe(0);
    const third = await client.subscribeSend(token, message('o-sent'));
    expect(third.body.errcode).toBe(0);

    const received = await waitFor(
      () => receiver.received,
      (list) => list.length >= 3,
    );
    const codes = received.map((each) => ({
      msgid: /<MsgID>(\d+)<\/MsgID>/.exec(each.body)?.[1],
      errorCode: Number(/<ErrorCode>(-?\d+)<\/ErrorCode>/.exec(each.body)?.[1]),
      errorStatus: /<ErrorStatus><!\[CDATA\[(.*)\]\]><\/ErrorStatus>/.exec(each.body)?.[1],
    }));
    expect(codes[1]).toEqual({
      msgid: String(failed.body.msgid),
      errorCode: SANDBOX_DELIVERY_FAILURE_CODE,
      errorStatus: expect.stringMatching(/^fail: /),
    });
    expect(codes[1]?.errorCode).not.toBe(0);
    expect(codes[2]).toEqual({ msgid: String(third.body.msgid), errorCode: 0, errorStatus: 'success' });
    const deliveries = await client.deliveries(app.appId);
    expect(deliveries[1]).toMatchObject({
      msgid: failed.body.msgid,
      deliveryError: { errorCode: SANDBOX_DELIVERY_FAILURE_CODE },
    });
    expect(deliveries[2]).not.toHaveProperty('deliveryError');
  });

  it('a subscribe_delivery fault reports the errcode it names, and "*" faults leave deliveries alone', async () => {
    const receiver = await startReceiver();
    const { app } = await appPushingTo(receiver, 'plaintext', 'json');
    await client.control(app.appId, '/subscriptions', {
      openid: 'o-code',
      templateId: TEMPLATE,
      count: 2,
      push: false,
    });
    const token = await client.accessToken(app);
    await client.control(app.appId, '/faults', { endpoint: '*', delayMs: 1, times: 5 });
    await client.control(app.appId, '/faults', { endpoint: 'subscribe_delivery', errcode: 43101, times: 1 });
    expect((await client.subscribeSend(token, message('o-code'))).body.errcode).toBe(0);
    expect((await client.subscribeSend(token, message('o-code'))).body.errcode).toBe(0);
    const received = await waitFor(
      () => receiver.received,
      (list) => list.length >= 2,
    );
    expect(received.map((push) => JSON.parse(push.body).List)).toEqual([
      {
        TemplateId: TEMPLATE,
        MsgID: expect.any(String),
        ErrorCode: '43101',
        ErrorStatus: 'fail: user refuse to accept the msg',
      },
      { TemplateId: TEMPLATE, MsgID: expect.any(String), ErrorCode: '0', ErrorStatus: 'success' },
    ]);
  });
});

describe('delivery', () => {
  it('retries a receiver that answers 500, then stops at its success', async () => {
    const receiver = await startReceiver((index) =>
      index === 0 ? { status: 500, body: 'oops' } : { status: 200, body: 'success' },
    );
    const { app } = await appPushingTo(receiver, 'compatible', 'xml');
    await client.subscribe(app.appId, 'o-retry', TEMPLATE);
    const [record] = await waitFor(
      () => pushesOf(app.appId),
      (list) => list[0]?.status === 'delivered',
    );
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]?.body).toBe(receiver.received[0]?.body);
    expect(record).toMatchObject({
      attempts: 2,
      lastHttpStatus: 200,
      lastError: null,
      answeredSuccess: true,
    });
  });

  it('gives up after three attempts in all when the receiver never answers success', async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: 'not ok' }));
    const { app } = await appPushingTo(receiver, 'plaintext', 'xml');
    await client.subscribe(app.appId, 'o-no', TEMPLATE);
    const [record] = await waitFor(
      () => pushesOf(app.appId),
      (list) => list[0]?.status === 'failed',
    );
    expect(record).toMatchObject({
      attempts: 3,
      lastHttpStatus: 200,
      lastError: 'answered: not ok',
      answeredSuccess: false,
    });
    expect(receiver.received).toHaveLength(3);
  });

  it('an empty answer counts as success, as WeChat documents', async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: '' }));
    const { app } = await appPushingTo(receiver, 'plaintext', 'json');
    await client.subscribe(app.appId, 'o-empty', TEMPLATE);
    const [record] = await waitFor(
      () => pushesOf(app.appId),
      (list) => list[0]?.status !== 'queued',
    );
    expect(record).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('pushes nothing for an app without push settings, or when asked not to', async () => {
    const receiver = await startReceiver();
    const app = await client.createApp({ templates: [{ id: TEMPLATE, kind: 'subscribe' }] });
    await client.subscribe(app.appId, 'o-before', TEMPLATE);
    expect(await pushesOf(app.appId)).toEqual([]);
    const settings = { url: receiver.url, token: TOKEN, mode: 'plaintext', format: 'json' };
    expect((await put(`/__sandbox/apps/${app.appId}/push`, settings)).status).toBe(200);
    await client.control(app.appId, '/subscriptions', {
      openid: 'o-silent',
      templateId: TEMPLATE,
      push: false,
    });
    await client.subscribe(app.appId, 'o-after', TEMPLATE);
    await waitFor(
      () => pushesOf(app.appId),
      (list) => list[0]?.status === 'delivered',
    );
    expect(receiver.received.map((push) => JSON.parse(push.body).FromUserName)).toEqual(['o-after']);
    expect(await pushesOf(app.appId)).toHaveLength(1);
  });

  it('queues a bulk accept in the background, and DELETE of the settings cancels what is left', async () => {
    const receiver = await startReceiver(() => 'hang');
    const { app } = await appPushingTo(receiver, 'secure', 'xml');
    const openids = ['o-bulk-0', 'o-bulk-1', 'o-bulk-2'];
    const bulk = await client.control(app.appId, '/subscriptions/bulk', { openids, templateId: TEMPLATE });
    // Answered while the receiver holds the first push unanswered.
    expect(bulk.status).toBe(201);
    await waitFor(
      () => receiver.received,
      (list) => list.length === 1,
    );
    expect((await pushesOf(app.appId)).map((push) => push.status)).toEqual(['queued', 'queued', 'queued']);

    expect((await client.delete(`/__sandbox/apps/${app.appId}/push`)).status).toBe(204);
    const records = await waitFor(
      () => pushesOf(app.appId),
      (list) => list.every((push) => push.status === 'cancelled'),
    );
    expect(records.map((push) => push.openid)).toEqual(openids);
    await client.subscribe(app.appId, 'o-bulk-3', TEMPLATE);
    expect(await pushesOf(app.appId)).toHaveLength(3);
    expect(receiver.received).toHaveLength(1);
    expect((await client.control(app.appId, '')).body.push).toBeNull();
  });

  it('deleting the app stops its pushes', async () => {
    const receiver = await startReceiver(() => 'hang');
    const { app } = await appPushingTo(receiver, 'plaintext', 'xml');
    const state = running.sandbox.state.requireApp(app.appId);
    await client.subscribe(app.appId, 'o-gone', TEMPLATE);
    await client.subscribe(app.appId, 'o-gone-2', TEMPLATE);
    await waitFor(
      () => receiver.received,
      (list) => list.length === 1,
    );
    expect((await client.delete(`/__sandbox/apps/${app.appId}`)).status).toBe(204);
    await waitFor(
      () => state.pushes.list(),
      (list) => list.every((push) => push.status === 'cancelled'),
    );
    expect(receiver.received).toHaveLength(1);
  });
});

describe('timeouts and shutdown', () => {
  let quick: RunningSandbox;
  let quickClient: SandboxClient;

  beforeAll(async () => {
    quick = await startSandbox({ now: () => FROZEN_MS, pushTimeoutMs: 150 });
    quickClient = new SandboxClient(quick.baseUrl);
  });

  afterAll(async () => {
    await quick.close();
  });

  it('counts a receiver that does not answer in time as a failed attempt, three in all', async () => {
    const receiver = await startReceiver(() => 'hang');
    const app = await quickClient.createApp();
    await quickClient.get(`/__sandbox/apps/${app.appId}/push`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, token: TOKEN, mode: 'plaintext', format: 'xml' }),
    });
    await quickClient.subscribe(app.appId, 'o-slow', TEMPLATE);
    const reply = await waitFor(
      () => quickClient.get(`/__sandbox/apps/${app.appId}/pushes`),
      (answer) => answer.body.pushes[0]?.status === 'failed',
    );
    expect(reply.body.pushes[0]).toMatchObject({ attempts: 3, lastHttpStatus: null, lastError: 'timeout' });
    expect(receiver.received).toHaveLength(3);
  });

  it('closing the sandbox cancels a push in flight and leaves nothing running', async () => {
    const own = await startSandbox({ now: () => FROZEN_MS });
    const ownClient = new SandboxClient(own.baseUrl);
    const receiver = await startReceiver(() => 'hang');
    const app = await ownClient.createApp();
    await ownClient.get(`/__sandbox/apps/${app.appId}/push`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, token: TOKEN, mode: 'plaintext', format: 'json' }),
    });
    await ownClient.subscribe(app.appId, 'o-closing', TEMPLATE);
    await waitFor(
      () => receiver.received,
      (list) => list.length === 1,
    );
    const state = own.sandbox.state.requireApp(app.appId);
    await own.close();
    expect(state.pushes.list().map((push) => push.status)).toEqual(['cancelled']);
  });
});

describe('PUT /__sandbox/apps/:appId/push', () => {
  it('refuses bad settings with a 400 naming the field', async () => {
    const app = await client.createApp();
    const path = `/__sandbox/apps/${app.appId}/push`;
    const good = { url: 'http://127.0.0.1:1/events', token: TOKEN, mode: 'plaintext', format: 'xml' };
    const noKey = await put(path, { ...good, mode: 'secure' });
    expect(noKey.status).toBe(400);
    expect(noKey.body.error).toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('body.encodingAesKey'),
    });
    const shortKey = await put(path, { ...good, mode: 'compatible', encodingAesKey: 'abc' });
    expect(shortKey.body.error.message).toContain('body.encodingAesKey');
    const badToken = await put(path, { ...good, token: 'no spaces allowed' });
    expect(badToken.status).toBe(400);
    expect(badToken.body.error.message).toContain('body.token');
    expect(badToken.body.error.message).not.toContain('no spaces allowed');
    const badUrl = await put(path, { ...good, url: 'ftp://example.com/x' });
    expect(badUrl.body.error.message).toContain('body.url');
    const badMode = await put(path, { ...good, mode: 'aes' });
    expect(badMode.body.error.message).toContain('body.mode');
    expect((await put('/__sandbox/apps/wx-never-made/push', good)).status).toBe(404);
  });

  it('never answers the token or the key back', async () => {
    const receiver = await startReceiver();
    const { app } = await appPushingTo(receiver, 'secure', 'json');
    await client.subscribe(app.appId, 'o-secret', TEMPLATE);
    await waitFor(
      () => pushesOf(app.appId),
      (list) => list[0]?.status === 'delivered',
    );
    const described = await client.control(app.appId, '');
    expect(described.body.push).toEqual({
      url: receiver.url,
      mode: 'secure',
      format: 'json',
      queued: 0,
      dropped: 0,
    });
    const seen = JSON.stringify([described.body, await pushesOf(app.appId)]);
    expect(seen).not.toContain(TOKEN);
    expect(seen).not.toContain(ENCODING_AES_KEY);
  });
});
