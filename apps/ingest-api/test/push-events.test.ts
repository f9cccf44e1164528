import { createCipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { createLogger } from '@minapush/logger';
import { createRedisConnection, creditIngestCatalog } from '@minapush/queues';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCreditIngestWorker, createMetrics } from '../src/index.js';
import {
  OFFICIAL_ACCOUNT_SAMPLE,
  OFFICIAL_ACCOUNT_SAMPLE_BODY,
  WXJAVA_FIXED_RANDOM,
} from './fixtures/published-push-vectors.js';
import { DATABASE_URL, eventually, type Harness, REDIS_URL, startHarness } from './harness.js';

// Every push here is written by hand and signed and encrypted by this file, with node:crypto, as
// WeChat documents it: nothing of @minapush/wechat/push builds what the endpoint is given.

const PUSH_TOKEN = 'pushT0kenForTests';
// 32 random bytes in base64 are 44 characters ending in one `=`; the console shows the other 43.
const ENCODING_AES_KEY = randomBytes(32).toString('base64').slice(0, 43);

function sha1Signature(...parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(''))
    .digest('hex');
}

/** WeChat's AES-256-CBC envelope: random(16) + length(4, big-endian) + message + appId, PKCS#7 to 32. */
function encryptForWechat(message: string, encodingAesKey: string, appId: string, random = randomBytes(16)) {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const plain = Buffer.concat([random, length, body, Buffer.from(appId, 'utf8')]);
  const pad = 32 - (plain.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([
    cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])),
    cipher.final(),
  ]).toString('base64');
}

type Format = 'xml' | 'json';
type Mode = 'plaintext' | 'compatible' | 'secure';

interface Item {
  [field: string]: string | number;
}

interface HandWrittenEvent {
  openid: string;
  createTime: number;
  event: 'subscribe_msg_popup_event' | 'subscribe_msg_change_event' | 'subscribe_msg_sent_event' | string;
  items: Item[];
  /** JSON only: one item as an object (WeChat's shape for one template) rather than an array */
  listAsObject?: boolean;
}

const CONTAINERS: Record<string, string> = {
  subscribe_msg_popup_event: 'SubscribeMsgPopupEvent',
  subscribe_msg_change_event: 'SubscribeMsgChangeEvent',
  subscribe_msg_sent_event: 'SubscribeMsgSentEvent',
};

const cdata = (value: string | number) =>
  typeof value === 'number' ? String(value) : `<![CDATA[${value}]]>`;

/** The event's fields as WeChat writes them (without the `<xml>` root, so an Encrypt can be added). */
function xmlFields(event: HandWrittenEvent): string {
  const container = CONTAINERS[event.event];
  const list = event.items
    .map(
      (item) =>
        `<List>${Object.entries(item)
          .map(([field, value]) => `<${field}>${cdata(value)}</${field}>`)
          .join('')}</List>`,
    )
    .join('');
  return `<ToUserName><![CDATA[gh_123456789abc]]></ToUserName><FromUserName><![CDATA[${event.openid}]]></FromUserName><CreateTime>${event.createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event.event}]]></Event>${container ? `<${container}>${list}</${container}>` : ''}`;
}

function jsonFields(event: HandWrittenEvent): Record<string, unknown> {
  return {
    ToUserName: 'gh_123456789abc',
    FromUserName: event.openid,
    CreateTime: event.createTime,
    MsgType: 'event',
    Event: event.event,
    ...(CONTAINERS[event.event]
      ? { List: event.listAsObject && event.items.length === 1 ? event.items[0] : event.items }
      : {}),
  };
}

interface PushRequest {
  query: Record<string, string>;
  body: string;
  contentType: string;
}

/** The request WeChat would make for this event in this mode and format. */
function buildPush(
  event: HandWrittenEvent,
  options: { mode: Mode; format: Format; appId: string; timestamp?: number; token?: string },
): PushRequest {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = String(Math.floor(Math.random() * 1e9));
  const token = options.token ?? PUSH_TOKEN;
  const signature = sha1Signature(token, timestamp, nonce);
  const contentType = options.format === 'xml' ? 'text/xml' : 'application/json';
  const plainBody =
    options.format === 'xml' ? `<xml>${xmlFields(event)}</xml>` : JSON.stringify(jsonFields(event));
  if (options.mode === 'plaintext')
    return { query: { signature, timestamp, nonce }, body: plainBody, contentType };
  const encrypt = encryptForWechat(plainBody, ENCODING_AES_KEY, options.appId);
  const query = {
    signature,
    timestamp,
    nonce,
    encrypt_type: 'aes',
    msg_signature: sha1Signature(token, timestamp, nonce, encrypt),
  };
  let body: string;
  if (options.format === 'xml') {
    body =
      options.mode === 'compatible'
        ? `<xml>${xmlFields(event)}<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`
        : `<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
  } else {
    body = JSON.stringify(
      options.mode === 'compatible'
        ? { ...jsonFields(event), Encrypt: encrypt }
        : { ToUserName: 'gh_123456789abc', Encrypt: encrypt },
    );
  }
  return { query, body, contentType };
}

async function send(baseUrl: string, appId: string, request: PushRequest) {
  const response = await fetch(
    `${baseUrl}/v1/apps/${appId}/wechat/events?${new URLSearchParams(request.query).toString()}`,
    { method: 'POST', headers: { 'content-type': request.contentType }, body: request.body },
  );
  return { status: response.status, text: await response.text() };
}

function popup(
  openid: string,
  templates: Record<string, string>,
  createTime = nowSeconds(),
): HandWrittenEvent {
  return {
    openid,
    createTime,
    event: 'subscribe_msg_popup_event',
    items: Object.entries(templates).map(([templateId, status]) => ({
      TemplateId: templateId,
      SubscribeStatusString: status,
      PopupScene: '0',
    })),
  };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

async function metricValue(baseUrl: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text
    .split('\n')
    .find(
      (candidate) => candidate.startsWith(`${name}{`) && wanted.every((label) => candidate.includes(label)),
    );
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

let h: Harness;
beforeAll(async () => {
  // retries a few hundred ms apart: a sent event that comes before its message is tried again soon
  h = await startHarness({
    push: { pushToken: PUSH_TOKEN, encodingAesKey: ENCODING_AES_KEY },
    maxRetryDelayMs: 200,
  });
});
afterAll(async () => {
  await h?.close();
});

const push = (
  event: HandWrittenEvent,
  mode: Mode = 'plaintext',
  format: Format = 'xml',
  timestamp?: number,
) =>
  send(
    h.url,
    h.appId,
    buildPush(event, { mode, format, appId: h.appId, ...(timestamp ? { timestamp } : {}) }),
  );

/** The client's report of a tap, as the mini-program's backend would hand it over. */
async function report(openid: string, templateId: string, batchId: string = randomUUID()) {
  const response = await fetch(`${h.url}/v1/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${h.apiKey}` },
    body: JSON.stringify({ openid, results: { [templateId]: 'accept' }, batchId }),
  });
  expect(response.status).toBe(202);
  return batchId;
}

function creditsOf(openid: string, templateId?: string) {
  return h.db.sendCredit.findMany({
    where: { appId: h.appId, openid, kind: 'subscribe', ...(templateId ? { templateId } : {}) },
    orderBy: { id: 'asc' },
  });
}

/** Waits until the credit-ingest queue has nothing left to do and every event of the user is applied. */
async function settled(openid: string) {
  await eventually(async () => {
    const counts = await h.creditQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    const pending = Object.values(counts).reduce((sum, count) => sum + count, 0);
    const unapplied = await h.db.wechatPushEvent.count({
      where: { appId: h.appId, openid, processedAt: null },
    });
    return pending === 0 && unapplied === 0 ? true : undefined;
  });
}

/** Waits until the user has `count` credits of the template with both a report and an event. */
function paired(openid: string, templateId: string, count = 1) {
  return eventually(async () => {
    const credits = await creditsOf(openid, templateId);
    return credits.filter((c) => c.sourceBatchId !== null && c.pushEventId !== null).length === count
      ? credits
      : undefined;
  });
}

describe('POST /v1/apps/:appId/wechat/events', () => {
  const combinations = (['plaintext', 'compatible', 'secure'] as const).flatMap((mode) =>
    (['xml', 'json'] as const).map((format) => [mode, format] as const),
  );

  it.each(combinations)('takes a %s %s popup accept and credits the user once', async (mode, format) => {
    const openid = `o-${mode}-${format}-${randomUUID()}`;
    const templateId = `T-${randomUUID()}`;
    const answer = await push(popup(openid, { [templateId]: 'accept' }), mode, format);
    expect(answer).toEqual({ status: 200, text: 'success' });
    const credits = await eventually(async () => {
      const found = await creditsOf(openid, templateId);
      return found.length > 0 ? found : undefined;
    });
    await settled(openid);
    expect(await creditsOf(openid)).toHaveLength(1);
    expect(credits[0]).toMatchObject({ state: 'available', usesLeft: 1, sourceBatchId: null });
    expect(credits[0]?.pushEventId).not.toBeNull();
  });

  it("reads JSON's List as one object and as an array", async () => {
    const openid = `o-json-list-${randomUUID()}`;
    const [one, two, three] = [`T1-${randomUUID()}`, `T2-${randomUUID()}`, `T3-${randomUUID()}`];
    const single = { ...popup(openid, { [one]: 'accept' }), listAsObject: true };
    // the object shape is what is sent: the body has no array
    expect(JSON.stringify(jsonFields(single))).not.toContain('[');
    expect(await push(single, 'plaintext', 'json')).toEqual({ status: 200, text: 'success' });
    const several = popup(
      openid,
      { [two]: 'accept', [three]: 'accept', [`T4-${randomUUID()}`]: 'reject' },
      nowSeconds() - 5,
    );
    expect(await push(several, 'plaintext', 'json')).toEqual({ status: 200, text: 'success' });
    await eventually(async () => ((await creditsOf(openid)).length === 3 ? true : undefined));
    await settled(openid);
    expect((await creditsOf(openid)).map((c) => c.templateId).sort()).toEqual([one, two, three].sort());
  });

  it('refuses a wrong signature and a replayed (10-minute-old) push, and the ledger does not change', async () => {
    const openid = `o-refused-${randomUUID()}`;
    const event = popup(openid, { [`T-${randomUUID()}`]: 'accept' });
    const refusedBefore = await metricValue(h.url, 'minapush_wechat_push_refused_total', {
      app: h.appId,
      reason: 'bad_signature',
    });

    const forged = buildPush(event, {
      mode: 'plaintext',
      format: 'xml',
      appId: h.appId,
      token: 'notTheToken',
    });
    const wrong = await send(h.url, h.appId, forged);
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text)).toMatchObject({ error: { code: 'bad_signature' } });

    const unsigned = buildPush(event, { mode: 'plaintext', format: 'xml', appId: h.appId });
    const { signature: _dropped, ...withoutSignature } = unsigned.query;
    const missing = await send(h.url, h.appId, { ...unsigned, query: withoutSignature });
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.text)).toMatchObject({ error: { code: 'bad_signature' } });

    // a request recorded 10 minutes ago, correctly signed then, replayed now
    for (const mode of ['plaintext', 'secure'] as const) {
      const replay = await push(event, mode, 'xml', nowSeconds() - 600);
      expect(replay.status).toBe(401);
      expect(JSON.parse(replay.text)).toMatchObject({ error: { code: 'stale_timestamp' } });
    }
    // an encrypted body whose msg_signature is not the token's
    const tampered = buildPush(event, { mode: 'secure', format: 'json', appId: h.appId });
    const badMsgSignature = await send(h.url, h.appId, {
      ...tampered,
      query: { ...tampered.query, msg_signature: sha1Signature('other', 'parts') },
    });
    expect(badMsgSignature.status).toBe(401);

    expect(await h.db.wechatPushEvent.count({ where: { appId: h.appId, openid } })).toBe(0);
    expect(await creditsOf(openid)).toHaveLength(0);
    expect(
      await metricValue(h.url, 'minapush_wechat_push_refused_total', {
        app: h.appId,
        reason: 'bad_signature',
      }),
    ).toBe(refusedBefore + 2);
    expect(
      await metricValue(h.url, 'minapush_wechat_push_refused_total', {
        app: h.appId,
        reason: 'stale_timestamp',
      }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('stores and credits an event WeChat delivers 3 times once', async () => {
    const openid = `o-thrice-${randomUUID()}`;
    const templateId = `T-${randomUUID()}`;
    const event = popup(openid, { [templateId]: 'accept' });
    const duplicatesBefore = await metricValue(h.url, 'minapush_wechat_push_events_total', {
      app: h.appId,
      event: 'duplicate',
    });
    // each retry is a new request (new nonce), in another mode even: the event is the same
    for (const mode of ['plaintext', 'secure', 'compatible'] as const) {
      expect(await push(event, mode, 'xml')).toEqual({ status: 200, text: 'success' });
    }
    await eventually(async () => ((await creditsOf(openid)).length > 0 ? true : undefined));
    await settled(openid);
    expect(await creditsOf(openid)).toHaveLength(1);
    expect(await h.db.wechatPushEvent.count({ where: { appId: h.appId, openid } })).toBe(1);
    expect(
      await metricValue(h.url, 'minapush_wechat_push_events_total', { app: h.appId, event: 'duplicate' }),
    ).toBe(duplicatesBefore + 2);
  });
});

describe('a popup event and the client report of the same tap', () => {
  it('event first, then the report: one credit', async () => {
    const openid = `o-event-first-${randomUUID()}`;
    const templateId = `T-${randomUUID()}`;
    await push(popup(openid, { [templateId]: 'accept' }));
    await eventually(async () => ((await creditsOf(openid)).length === 1 ? true : undefined));
    await report(openid, templateId);
    await paired(openid, templateId);
    await settled(openid);
    expect(await creditsOf(openid)).toHaveLength(1);
  });

  it('report first, then the event: one credit', async () => {
    const openid = `o-report-first-${randomUUID()}`;
    const templateId = `T-${randomUUID()}`;
    await report(openid, templateId);
    await eventually(async () => ((await creditsOf(openid)).length === 1 ? true : undefined));
    await push(popup(openid, { [templateId]: 'accept' }));
    await paired(openid, templateId);
    await settled(openid);
    expect(await creditsOf(openid)).toHaveLength(1);
  });

  it('both at once, each retried: one credit', async () => {
    const openid = `o-both-${randomUUID()}`;
    const templateId = `T-${randomUUID()}`;
    const event = popup(openid, { [templateId]: 'accept' });
    const batchId = randomUUID();
    await Promise.all([
      push(event),
      report(openid, templateId, batchId),
      push(event, 'secure', 'json'),
      report(openid, templateId, batchId),
    ]);
    await paired(openid, templateId);
    // and later retries of each change nothing
    await Promise.all([push(event, 'compatible', 'xml'), report(openid, templateId, batchId)]);
    await settled(openid);
    expect(await creditsOf(openid)).toHaveLength(1);
  });

  it('two taps, their events and reports interleaved: two credits', async () => {
    const openid = `o-two-taps-${randomUUID()}`;
    const templateId = `T-${randomUUID()}`;
    await push(popup(openid, { [templateId]: 'accept' }, nowSeconds() - 20));
    await eventually(async () => ((await creditsOf(openid)).length === 1 ? true : undefined));
    await report(openid, templateId);
    await paired(openid, templateId, 1);
    await push(popup(openid, { [templateId]: 'accept' }, nowSeconds() - 10));
    await report(openid, templateId);
    await paired(openid, templateId, 2);
    await settled(openid);
    expect(await creditsOf(openid)).toHaveLength(2);
  });

  it('two taps whose events and reports all arrive at once: two credits', async () => {
    const openid = `o-two-at-once-${randomUUID()}`;
    const templateId = `T-${randomUUID()}`;
    await Promise.all([
      push(popup(openid, { [templateId]: 'accept' }, nowSeconds() - 20)),
      report(openid, templateId),
      push(popup(openid, { [templateId]: 'accept' }, nowSeconds() - 10)),
      report(openid, templateId),
    ]);
    await paired(openid, templateId, 2);
    await settled(openid);
    expect(await creditsOf(openid)).toHaveLength(2);
  });

  it("takes turns on the user's ledger lock: event and report wait for it, then make one credit", async () => {
    const openid = `o-lock-${randomUUID()}`;
    const templateId = `T-${randomUUID()}`;
    // Hold the user's ledger lock, as a slow transaction of one path would.
    const holder = new pg.Client({ connectionString: DATABASE_URL });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [h.appId, openid]);
      await Promise.all([push(popup(openid, { [templateId]: 'accept' })), report(openid, templateId)]);
      // Both jobs are running (the worker runs two at once) and wait: the first for the ledger
      // lock, the second behind the first (it waits for the user's app_users row, which both
      // paths record before they take the ledger lock, in the same order).
      await eventually(async () => {
        const { rows } = await holder.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_locks
            WHERE locktype = 'advisory' AND NOT granted AND classid = hashtext($1)::oid AND objid = hashtext($2)::oid`,
          [h.appId, openid],
        );
        const active = await h.creditQueue.getActiveCount();
        return rows[0]?.waiting === 1 && active === 2 ? true : undefined;
      });
      expect(await creditsOf(openid)).toHaveLength(0);
    } finally {
      await holder.query('COMMIT').catch(() => undefined);
      await holder.end();
    }
    await paired(openid, templateId);
    await settled(openid);
    expect(await creditsOf(openid)).toHaveLength(1);
  });

  it('the event alone: one credit; the report alone: one credit', async () => {
    const eventOnly = `o-event-only-${randomUUID()}`;
    const reportOnly = `o-report-only-${randomUUID()}`;
    const templateId = `T-${randomUUID()}`;
    await push(popup(eventOnly, { [templateId]: 'accept' }));
    await report(reportOnly, templateId);
    await eventually(async () =>
      (await creditsOf(eventOnly)).length === 1 && (await creditsOf(reportOnly)).length === 1
        ? true
        : undefined,
    );
    await settled(eventOnly);
    await settled(reportOnly);
    expect(await creditsOf(eventOnly)).toHaveLength(1);
    expect(await creditsOf(reportOnly)).toHaveLength(1);
  });

  it('a popup reject or ban credits nothing', async () => {
    const openid = `o-popup-reject-${randomUUID()}`;
    await push(popup(openid, { [`T1-${randomUUID()}`]: 'reject', [`T2-${randomUUID()}`]: 'ban' }));
    await eventually(async () =>
      (await h.db.wechatPushEvent.count({
        where: { appId: h.appId, openid, processedAt: { not: null } },
      })) === 1
        ? true
        : undefined,
    );
    expect(await creditsOf(openid)).toHaveLength(0);
  });
});

describe('change and sent events', () => {
  it('a change reject kills the available credits of that template only', async () => {
    const openid = `o-change-${randomUUID()}`;
    const [turnedOff, kept] = [`T-off-${randomUUID()}`, `T-kept-${randomUUID()}`];
    await report(openid, turnedOff);
    await report(openid, turnedOff);
    await report(openid, kept);
    await eventually(async () => ((await creditsOf(openid)).length === 3 ? true : undefined));
    const change: HandWrittenEvent = {
      openid,
      createTime: nowSeconds() + 1,
      event: 'subscribe_msg_change_event',
      items: [{ TemplateId: turnedOff, SubscribeStatusString: 'reject' }],
    };
    expect(await push(change, 'secure', 'json')).toEqual({ status: 200, text: 'success' });
    await eventually(async () =>
      (await creditsOf(openid, turnedOff)).every((credit) => credit.state === 'dead') ? true : undefined,
    );
    await settled(openid);
    expect((await creditsOf(openid, turnedOff)).map((c) => c.state)).toEqual(['dead', 'dead']);
    expect((await creditsOf(openid, kept)).map((c) => c.state)).toEqual(['available']);
  });

  it('a sent event with an ErrorCode marks the message not delivered and counts it', async () => {
    const openid = `o-sent-${randomUUID()}`;
    const templateId = `T-${randomUUID()}`;
    const msgid = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    // the message as the dispatcher leaves it after WeChat took the send
    const message = await h.db.message.create({
      data: {
        appId: h.appId,
        openid,
        kind: 'subscribe',
        templateId,
        data: {},
        status: 'sent',
        msgid,
        sentAt: new Date(),
      },
    });
    const sent: HandWrittenEvent = {
      openid,
      createTime: nowSeconds(),
      event: 'subscribe_msg_sent_event',
      items: [{ TemplateId: templateId, MsgID: msgid, ErrorCode: 10005, ErrorStatus: 'fail' }],
    };
    expect(await push(sent, 'compatible', 'xml')).toEqual({ status: 200, text: 'success' });
    const view = await eventually(async () => {
      const response = await fetch(`${h.url}/v1/messages/${message.id}`, {
        headers: { authorization: `Bearer ${h.apiKey}` },
      });
      const body = (await response.json()) as { delivery?: { status: string; errcode?: number } };
      return body.delivery ? body : undefined;
    });
    expect(view.delivery).toMatchObject({ status: 'not_delivered', errcode: 10005, errmsg: 'fail' });
    await settled(openid);
    expect(
      await metricValue(h.url, 'minapush_wechat_delivery_failures_total', { app: h.appId, errcode: '10005' }),
    ).toBe(1);
    const list = await fetch(`${h.url}/v1/messages?openid=${openid}`, {
      headers: { authorization: `Bearer ${h.apiKey}` },
    });
    expect(
      ((await list.json()) as { items: Array<{ delivery?: unknown }> }).items[0]?.delivery,
    ).toMatchObject({
      status: 'not_delivered',
    });
  });

  it('tries a sent event again until its message has the msgid, and gives up after a few tries', async () => {
    const openid = `o-sent-early-${randomUUID()}`;
    const templateId = `T-${randomUUID()}`;
    const [early, never] = [`${Date.now()}1`, `${Date.now()}2`];
    const sentEvent = (msgid: string): HandWrittenEvent => ({
      openid,
      createTime: nowSeconds() - (msgid === early ? 1 : 0),
      event: 'subscribe_msg_sent_event',
      items: [{ TemplateId: templateId, MsgID: msgid, ErrorCode: 0, ErrorStatus: 'success' }],
    });
    const unmatchedBefore = await metricValue(h.url, 'minapush_wechat_delivery_reports_unmatched_total', {
      app: h.appId,
    });
    // WeChat's event comes before the dispatcher has written the msgid
    expect(await push(sentEvent(early), 'plaintext', 'json')).toEqual({ status: 200, text: 'success' });
    await eventually(async () => {
      const stored = await h.db.wechatPushEvent.findFirst({ where: { appId: h.appId, openid } });
      return stored && stored.attempts >= 1 ? true : undefined;
    });
    const message = await h.db.message.create({
      data: { appId: h.appId, openid, kind: 'subscribe', templateId, data: {}, status: 'sent', msgid: early },
    });
    const delivered = await eventually(async () => {
      const found = await h.db.message.findUnique({ where: { id: message.id } });
      return found?.deliveryStatus ? found : undefined;
    });
    expect(delivered).toMatchObject({ deliveryStatus: 'delivered', deliveryErrcode: 0 });

    // a msgid no message ever has: given up after 5 tries, counted
    expect(await push(sentEvent(never), 'plaintext', 'json')).toEqual({ status: 200, text: 'success' });
    await settled(openid);
    const givenUp = await h.db.wechatPushEvent.findMany({
      where: { appId: h.appId, openid },
      orderBy: { id: 'asc' },
    });
    expect(givenUp[1]).toMatchObject({ attempts: 5 });
    expect(givenUp[1]?.processedAt).not.toBeNull();
    expect(
      await metricValue(h.url, 'minapush_wechat_delivery_reports_unmatched_total', { app: h.appId }),
    ).toBe(unmatchedBefore + 1);
  });

  it('acknowledges an unknown event, counts it and stores nothing', async () => {
    const openid = `o-unknown-${randomUUID()}`;
    const before = await metricValue(h.url, 'minapush_wechat_push_events_total', {
      app: h.appId,
      event: 'unknown',
    });
    const unknown: HandWrittenEvent = {
      openid,
      createTime: nowSeconds(),
      event: 'user_enter_tempsession',
      items: [],
    };
    expect(await push(unknown, 'plaintext', 'xml')).toEqual({ status: 200, text: 'success' });
    expect(await push(unknown, 'secure', 'json')).toEqual({ status: 200, text: 'success' });
    expect(
      await metricValue(h.url, 'minapush_wechat_push_events_total', { app: h.appId, event: 'unknown' }),
    ).toBe(before + 2);
    expect(await h.db.wechatPushEvent.count({ where: { appId: h.appId, openid } })).toBe(0);
  });
});

describe('the endpoint itself', () => {
  it("answers WeChat's URL verification with echostr, and refuses a bad signature", async () => {
    const timestamp = String(nowSeconds());
    const nonce = '123456';
    const verify = (signature: string) =>
      fetch(
        `${h.url}/v1/apps/${h.appId}/wechat/events?${new URLSearchParams({ signature, timestamp, nonce, echostr: 'echo-42' })}`,
      );
    const good = await verify(sha1Signature(PUSH_TOKEN, timestamp, nonce));
    expect(good.status).toBe(200);
    expect(good.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await good.text()).toBe('echo-42');
    const bad = await verify(sha1Signature('wrong', timestamp, nonce));
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: { code: 'bad_signature' } });
  });

  it('refuses an unknown app with 404 and a body over the limit with 413', async () => {
    const unknown = await send(
      h.url,
      'wxunknown',
      buildPush(popup('o', { T: 'accept' }), { mode: 'plaintext', format: 'xml', appId: 'wxunknown' }),
    );
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text)).toMatchObject({ error: { code: 'unknown_app' } });
    const big = buildPush(popup('o-big', { T: 'accept' }), {
      mode: 'plaintext',
      format: 'xml',
      appId: h.appId,
    });
    const tooLarge = await send(h.url, h.appId, { ...big, body: `<xml>${'x'.repeat(70_000)}</xml>` });
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.text)).toMatchObject({ error: { code: 'body_too_large' } });
    const malformed = await send(h.url, h.appId, { ...big, body: '<xml><ToUserName>' });
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.text)).toMatchObject({ error: { code: 'malformed_push' } });
  });

  it('keeps pushToken and encodingAesKey out of logs and metrics', async () => {
    await push(popup(`o-secrets-${randomUUID()}`, { [`T-${randomUUID()}`]: 'accept' }), 'secure', 'xml');
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    for (const secret of [PUSH_TOKEN, ENCODING_AES_KEY]) {
      expect(h.logs.text()).not.toContain(secret);
      expect(metrics).not.toContain(secret);
    }
  });
});

describe('the published WeChat example', () => {
  it('our AES envelope, written in this test, gives the published ciphertext', () => {
    for (const { message, encrypt } of WXJAVA_FIXED_RANDOM.cases) {
      expect(
        encryptForWechat(
          message,
          WXJAVA_FIXED_RANDOM.encodingAesKey,
          WXJAVA_FIXED_RANDOM.appId,
          Buffer.from(WXJAVA_FIXED_RANDOM.random),
        ),
      ).toBe(encrypt);
    }
    const sample = OFFICIAL_ACCOUNT_SAMPLE;
    expect(sha1Signature(sample.token, sample.timestamp, sample.nonce, sample.encrypt)).toBe(
      sample.msgSignature,
    );
  });

  describe('posted to an app configured with its settings', () => {
    let published: Harness;
    beforeAll(async () => {
      const sample = OFFICIAL_ACCOUNT_SAMPLE;
      published = await startHarness({
        worker: false,
        extraApps: [
          {
            appId: sample.appId,
            secret: 'unused',
            pushToken: sample.token,
            encodingAesKey: sample.encodingAesKey,
          },
        ],
        // the example was signed in 2014; a clock of then takes its timestamp as fresh
        now: () => new Date(Number(sample.timestamp) * 1000),
      });
    });
    afterAll(async () => {
      await published?.close();
    });

    it('is decrypted and acknowledged (a text message: an unknown event, counted)', async () => {
      const sample = OFFICIAL_ACCOUNT_SAMPLE;
      const query = {
        signature: sha1Signature(sample.token, sample.timestamp, sample.nonce),
        timestamp: sample.timestamp,
        nonce: sample.nonce,
        encrypt_type: 'aes',
        msg_signature: sample.msgSignature,
      };
      const answer = await send(published.url, sample.appId, {
        query,
        body: OFFICIAL_ACCOUNT_SAMPLE_BODY,
        contentType: 'text/xml',
      });
      expect(answer).toEqual({ status: 200, text: 'success' });
      expect(
        await metricValue(published.url, 'minapush_wechat_push_events_total', {
          app: sample.appId,
          event: 'unknown',
        }),
      ).toBe(1);
      // a msg_signature that is not the token's is refused
      const forged = await send(published.url, sample.appId, {
        query: { ...query, msg_signature: sha1Signature('x') },
        body: OFFICIAL_ACCOUNT_SAMPLE_BODY,
        contentType: 'text/xml',
      });
      expect(forged.status).toBe(401);
    });

    it('answers 404 push_not_configured for an app without pushToken', async () => {
      const answer = await send(published.url, published.appId, {
        query: {},
        body: '<xml></xml>',
        contentType: 'text/xml',
      });
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.text)).toMatchObject({ error: { code: 'push_not_configured' } });
      expect(JSON.parse(answer.text).error.message).toMatch(/pushToken/);
    });
  });
});

describe('when Postgres is down', () => {
  it('answers 503, so that WeChat retries', async () => {
    const down = await startHarness({
      databaseUrl: 'postgresql://postgres@127.0.0.1:1/minapush',
      worker: false,
      push: { pushToken: PUSH_TOKEN },
    });
    try {
      const answer = await send(
        down.url,
        down.appId,
        buildPush(popup('o-down', { T: 'accept' }), { mode: 'plaintext', format: 'xml', appId: down.appId }),
      );
      expect(answer.status).toBe(503);
    } finally {
      await down.close();
    }
  });
});

describe('when Redis is down', () => {
  it('still answers success once the event is stored, and the sweep applies it later', async () => {
    // the API's Redis is down (nothing listens on port 1); the worker's is up
    const down = await startHarness({
      redisUrl: 'redis://127.0.0.1:1',
      worker: false,
      push: { pushToken: PUSH_TOKEN },
    });
    const connection = createRedisConnection(REDIS_URL, 'worker');
    const queue = new Queue(creditIngestCatalog.queue, {
      connection: { url: REDIS_URL },
      prefix: down.prefix,
    });
    const worker = createCreditIngestWorker({
      connection,
      prefix: down.prefix,
      db: down.db,
      logger: createLogger({ name: 'push-sweep-test', level: 'silent' }),
      metrics: createMetrics(),
      queue,
      pushSweepAfterMs: 0,
    });
    try {
      const openid = `o-sweep-${randomUUID()}`;
      const templateId = `T-${randomUUID()}`;
      const answer = await send(
        down.url,
        down.appId,
        buildPush(popup(openid, { [templateId]: 'accept' }), {
          mode: 'plaintext',
          format: 'xml',
          appId: down.appId,
        }),
      );
      expect(answer).toEqual({ status: 200, text: 'success' });
      const stored = await down.db.wechatPushEvent.findMany({ where: { appId: down.appId, openid } });
      expect(stored).toHaveLength(1);
      expect(stored[0]?.processedAt).toBeNull();
      // a tick of the sweep's job scheduler
      await queue.add('sweep-push-events', {});
      const credited = await eventually(async () => {
        const credits = await down.db.sendCredit.findMany({
          where: { appId: down.appId, openid, templateId },
        });
        return credits.length > 0 ? credits : undefined;
      });
      expect(credited).toHaveLength(1);
      expect(credited[0]?.pushEventId).toBe(stored[0]?.id);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      connection.disconnect();
      await down.close();
    }
  });
});
