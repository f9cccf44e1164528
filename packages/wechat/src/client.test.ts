import { afterEach, describe, expect, it } from 'vitest';
import {
  createWechatClient,
  type WechatClient,
  type WechatClientOptions,
  type WechatRequestEvent,
} from './client.js';
import { CreditDeadError } from './errors/credit-dead-error.js';
import { InvalidClientOptionsError } from './errors/invalid-client-options-error.js';
import { InvalidRequestError } from './errors/invalid-request-error.js';
import { OutcomeUnknownError } from './errors/outcome-unknown-error.js';
import { QuotaExceededError } from './errors/quota-exceeded-error.js';
import { RequestNotSentError } from './errors/request-not-sent-error.js';
import { StaleTokenError } from './errors/stale-token-error.js';
import { UnexpectedHttpStatusError } from './errors/unexpected-http-status-error.js';
import type { WechatError } from './errors/wechat-error.js';
import { WechatMisconfigurationError } from './errors/wechat-misconfiguration-error.js';
import { WechatUnavailableError } from './errors/wechat-unavailable-error.js';
import { MAX_REPLY_BYTES } from './exchange.js';
import {
  answerJson,
  type PeerBehaviour,
  startWechatPeer,
  unusedBaseUrl,
  type WechatPeer,
} from './test-support/wechat-peer.js';

const APP = { appId: 'wx_test_app', secret: 'app-secret-1' };
const TEMPLATE = { touser: 'openid-1', templateId: 'tmpl-1', formId: 'form-1', data: { keyword1: 'hello' } };
const SUBSCRIBE = { touser: 'openid-1', templateId: 'tmpl-2', data: { thing1: 'hello' } };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function peerAndClient(
  behaviour: PeerBehaviour,
  options: Partial<WechatClientOptions> = {},
): Promise<{ peer: WechatPeer; client: WechatClient }> {
  const peer = await startWechatPeer(behaviour);
  cleanups.push(() => peer.close());
  const client = createWechatClient({ baseUrl: peer.baseUrl, timeoutMs: 2000, ...options });
  cleanups.push(() => client.close());
  return { peer, client };
}

function errorOf<T>(result: { ok: true; value: T } | { ok: false; error: WechatError }): WechatError {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('requests and replies', () => {
  it('fetches a classic token with GET and the query WeChat expects', async () => {
    const { peer, client } = await peerAndClient((_, res) =>
      answerJson(res, { access_token: 'TOKEN-1', expires_in: 7200 }),
    );
    const result = await client.fetchClassicToken(APP);
    expect(result).toEqual({ ok: true, value: { accessToken: 'TOKEN-1', expiresInSeconds: 7200 } });
    const [request] = peer.received;
    expect(request?.method).toBe('GET');
    expect(request?.pathname).toBe('/cgi-bin/token');
    expect(Object.fromEntries(request?.query ?? [])).toEqual({
      grant_type: 'client_credential',
      appid: APP.appId,
      secret: APP.secret,
    });
  });

  it('fetches a stable token with a JSON body, force_refresh false unless asked', async () => {
    const { peer, client } = await peerAndClient((_, res) =>
      answerJson(res, { access_token: 'STABLE', expires_in: 3000 }),
    );
    expect(await client.fetchStableToken(APP)).toEqual({
      ok: true,
      value: { accessToken: 'STABLE', expiresInSeconds: 3000 },
    });
    await client.fetchStableToken({ ...APP, forceRefresh: true });
    expect(peer.received.map((r) => [r.method, r.pathname, r.query.toString()])).toEqual([
      ['POST', '/cgi-bin/stable_token', ''],
      ['POST', '/cgi-bin/stable_token', ''],
    ]);
    expect(peer.received.map((r) => JSON.parse(r.body))).toEqual([
      { grant_type: 'client_credential', appid: APP.appId, secret: APP.secret, force_refresh: false },
      { grant_type: 'client_credential', appid: APP.appId, secret: APP.secret, force_refresh: true },
    ]);
  });

  it('exchanges a login code, with and without a unionid', async () => {
    let withUnionid = true;
    const { peer, client } = await peerAndClient((_, res) =>
      answerJson(res, { openid: 'o1', session_key: 'SK', ...(withUnionid ? { unionid: 'u1' } : {}) }),
    );
    expect(await client.code2Session({ ...APP, code: 'CODE-1' })).toEqual({
      ok: true,
      value: { openid: 'o1', sessionKey: 'SK', unionid: 'u1' },
    });
    withUnionid = false;
    const second = await client.code2Session({ ...APP, code: 'CODE-2' });
    expect(second.ok && Object.keys(second.value)).toEqual(['openid', 'sessionKey']);
    expect(peer.received[0]?.pathname).toBe('/sns/jscode2session');
    expect(Object.fromEntries(peer.received[0]?.query ?? [])).toEqual({
      appid: APP.appId,
      secret: APP.secret,
      js_code: 'CODE-1',
      grant_type: 'authorization_code',
    });
  });

  it('sends a template message with the wire body and normalised data', async () => {
    const { peer, client } = await peerAndClient((_, res) => answerJson(res, { errcode: 0, errmsg: 'ok' }));
    const result = await client.sendTemplateMessage('TOKEN-T', {
      ...TEMPLATE,
      page: 'pages/index?x=1',
      data: { keyword1: 'a', keyword2: { value: 12 } },
      emphasisKeyword: 'keyword1.DATA',
    });
    expect(result).toEqual({ ok: true, value: {} });
    const [request] = peer.received;
    expect(request?.pathname).toBe('/cgi-bin/message/wxopen/template/send');
    expect(request?.query.get('access_token')).toBe('TOKEN-T');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      touser: 'openid-1',
      template_id: 'tmpl-1',
      page: 'pages/index?x=1',
      form_id: 'form-1',
      data: { keyword1: { value: 'a' }, keyword2: { value: '12' } },
      emphasis_keyword: 'keyword1.DATA',
    });
  });

  it('sends a subscribe message and keeps a 64-bit msgid exact', async () => {
    const { peer, client } = await peerAndClient((_, res) =>
      answerJson(res, '{"errcode":0,"errmsg":"ok","msgid":1784917297236787201}'),
    );
    const result = await client.sendSubscribeMessage('TOKEN-S', {
      ...SUBSCRIBE,
      miniprogramState: 'trial',
      lang: 'en_US',
    });
    expect(result).toEqual({ ok: true, value: { msgid: '1784917297236787201' } });
    const [request] = peer.received;
    expect(request?.pathname).toBe('/cgi-bin/message/subscribe/send');
    expect(request?.query.get('access_token')).toBe('TOKEN-S');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      touser: 'openid-1',
      template_id: 'tmpl-2',
      data: { thing1: { value: 'hello' } },
      miniprogram_state: 'trial',
      lang: 'en_US',
    });
  });

  it('lists the subscribe templates with their keys, kinds, enum values and subscription type', async () => {
    // WeChat's documented reply of /wxaapi/newtmpl/gettemplate, and a keywordCode in the short form
    const { peer, client } = await peerAndClient((_, res) =>
      answerJson(res, {
        errcode: 0,
        errmsg: 'ok',
        data: [
          {
            priTmplId: '9Aw5ZV1j9xdWTFEkqCpZ7mIBbSC34khK55OtzUPl0rU',
            title: '报名结果通知',
            content: '会议时间:{{date2.DATA}}\n会议地点:{{thing1.DATA}}\n',
            example: '会议时间:2016年8月8日\n会议地点:TIT会议室\n',
            type: 2,
          },
          {
            priTmplId: 'cy_DfOZL7lypxHh3ja3DyAUbn1GYQRGwezuy5LBTFME',
            title: '洗衣机故障提醒',
            content: '完成时间:{{time1.DATA}}\n所在位置:{{enum_string2.DATA}}\n提示:{{phone_number3.DATA}}',
            example: '',
            type: 3,
            keywordEnumValueList: [
              { keywordCode: '{{enum_string2.DATA}}', enumValueList: ['客厅', '卧室'] },
              { keywordCode: 'time1.DATA', enumValueList: [] },
            ],
          },
          { priTmplId: 'other', title: 'x', content: '', type: 7 },
        ],
      }),
    );
    const result = await client.listSubscribeTemplates('TOKEN-9');
    expect(result).toEqual({
      ok: true,
      value: [
        {
          templateId: '9Aw5ZV1j9xdWTFEkqCpZ7mIBbSC34khK55OtzUPl0rU',
          title: '报名结果通知',
          subscribeType: 'one_time',
          keys: [
            { name: 'date2', kind: 'date' },
            { name: 'thing1', kind: 'thing' },
          ],
        },
        {
          templateId: 'cy_DfOZL7lypxHh3ja3DyAUbn1GYQRGwezuy5LBTFME',
          title: '洗衣机故障提醒',
          subscribeType: 'long_term',
          keys: [
            { name: 'time1', kind: 'time' },
            { name: 'enum_string2', kind: 'enum_string', enumValues: ['客厅', '卧室'] },
            { name: 'phone_number3', kind: 'phone_number' },
          ],
        },
        { templateId: 'other', title: 'x', subscribeType: 'unknown', keys: [] },
      ],
    });
    const [request] = peer.received;
    expect(request?.method).toBe('GET');
    expect(request?.pathname).toBe('/wxaapi/newtmpl/gettemplate');
    expect(request?.query.get('access_token')).toBe('TOKEN-9');
  });

  it('answers an errcode of gettemplate as an error, and a stale token as one', async () => {
    const { client } = await peerAndClient((_, res) =>
      answerJson(res, { errcode: 40001, errmsg: 'invalid credential, access_token is TOKEN-9' }),
    );
    const error = errorOf(await client.listSubscribeTemplates('TOKEN-9'));
    expect(error).toBeInstanceOf(StaleTokenError);
    expect(error.endpoint).toBe('template_list');
    expect(error.errmsg).not.toContain('TOKEN-9');
  });

  it("reads an API's daily quota with POST and the cgi_path in the body", async () => {
    const { peer, client } = await peerAndClient((_, res) =>
      answerJson(res, { errcode: 0, errmsg: 'ok', quota: { daily_limit: 100, used: 7, remain: 93 } }),
    );
    const result = await client.getApiQuota('TOKEN-Q', '/cgi-bin/message/subscribe/send');
    expect(result).toEqual({ ok: true, value: { dailyLimit: 100, used: 7, remain: 93 } });
    const [request] = peer.received;
    expect([request?.method, request?.pathname, request?.query.get('access_token')]).toEqual([
      'POST',
      '/cgi-bin/openapi/quota/get',
      'TOKEN-Q',
    ]);
    expect(JSON.parse(request?.body ?? '')).toEqual({ cgi_path: '/cgi-bin/message/subscribe/send' });
  });

  it('keeps a path prefix of the base URL', async () => {
    const peer = await startWechatPeer((_, res) => answerJson(res, { access_token: 'T', expires_in: 7200 }));
    cleanups.push(() => peer.close());
    const client = createWechatClient({ baseUrl: `${peer.baseUrl}/wechat/` });
    cleanups.push(() => client.close());
    expect((await client.fetchClassicToken(APP)).ok).toBe(true);
    expect(peer.received[0]?.pathname).toBe('/wechat/cgi-bin/token');
  });

  it('refuses data it cannot put on the wire without calling WeChat', async () => {
    const { peer, client } = await peerAndClient((_, res) => answerJson(res, { errcode: 0, msgid: 1 }));
    const error = errorOf(
      await client.sendSubscribeMessage('T', { ...SUBSCRIBE, data: { thing1: { value: true } } as never }),
    );
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({
      code: 'invalid_template_data',
      field: 'thing1',
      category: 'unrecoverable',
    });
    expect(peer.received).toHaveLength(0);
  });

  it('throws at creation for options it cannot work with', () => {
    expect(() => createWechatClient({ baseUrl: 'not a url' })).toThrow(InvalidClientOptionsError);
    expect(() => createWechatClient({ baseUrl: 'ftp://x' })).toThrow(/http\(s\)/);
    expect(() => createWechatClient({ baseUrl: 'http://x', timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});

describe('transport outcomes', () => {
  it('reports a refused connection as not sent, retryable', async () => {
    const client = createWechatClient({ baseUrl: await unusedBaseUrl(), timeoutMs: 1000 });
    cleanups.push(() => client.close());
    const error = errorOf(await client.sendSubscribeMessage('T', SUBSCRIBE));
    expect(error).toBeInstanceOf(RequestNotSentError);
    expect(error).toMatchObject({
      category: 'retryable',
      code: 'request_not_sent',
      transportCode: 'ECONNREFUSED',
    });
  });

  it('reports a peer that never answers as outcome unknown once timeoutMs passes', async () => {
    const { peer, client } = await peerAndClient(() => {}, { timeoutMs: 200 });
    const error = errorOf(await client.sendSubscribeMessage('T', SUBSCRIBE));
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(error).toMatchObject({
      category: 'outcome_unknown',
      code: 'reply_timeout',
      transportCode: 'UND_ERR_HEADERS_TIMEOUT',
      safeToResend: false,
    });
    expect(peer.received).toHaveLength(1);
  });

  it('reports a reply body that stalls as outcome unknown', async () => {
    const { client } = await peerAndClient(
      (_, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"errcode":0,');
      },
      { timeoutMs: 200 },
    );
    const error = errorOf(await client.sendTemplateMessage('T', TEMPLATE));
    expect(error).toMatchObject({
      code: 'reply_timeout',
      transportCode: 'UND_ERR_BODY_TIMEOUT',
      safeToResend: true,
    });
  });

  it('reports a socket destroyed after the body was read as outcome unknown', async () => {
    const { peer, client } = await peerAndClient((_, _res, req) => req.socket.destroy());
    const subscribe = errorOf(await client.sendSubscribeMessage('T', SUBSCRIBE));
    expect(subscribe).toBeInstanceOf(OutcomeUnknownError);
    expect(subscribe).toMatchObject({
      code: 'connection_lost',
      transportCode: 'UND_ERR_SOCKET',
      safeToResend: false,
    });
    const template = errorOf(await client.sendTemplateMessage('T', TEMPLATE));
    expect(template).toMatchObject({ category: 'outcome_unknown', safeToResend: true });
    // the peer had each request whole: it may well have acted on it
    expect(peer.received.map((r) => JSON.parse(r.body).template_id)).toEqual(['tmpl-2', 'tmpl-1']);
  });

  it('gives up a request still waiting for a connection, and never sends it later', async () => {
    const { peer, client } = await peerAndClient(() => {}, { timeoutMs: 200, connections: 1 });
    const [first, second] = await Promise.all([
      client.sendSubscribeMessage('T', { ...SUBSCRIBE, templateId: 'first' }),
      client.sendSubscribeMessage('T', { ...SUBSCRIBE, templateId: 'second' }),
    ]);
    expect(errorOf(first)).toMatchObject({ code: 'reply_timeout' });
    expect(errorOf(second)).toMatchObject({ category: 'retryable', transportCode: 'send_deadline_exceeded' });
    // once the first request's socket is gone the pool is free; the given-up request must not go out
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(peer.received.map((r) => JSON.parse(r.body).template_id)).toEqual(['first']);
  });

  it('holds a send back when mayStart says no at the moment of writing, and writes nothing', async () => {
    const { peer, client } = await peerAndClient((_, res) =>
      answerJson(res, { errcode: 0, errmsg: 'ok', msgid: 1 }),
    );
    let asked = 0;
    const held = await client.sendTemplateMessage('TOKEN', TEMPLATE, {
      mayStart: () => {
        asked += 1;
        return false;
      },
    });
    const error = errorOf(held);
    expect(error).toBeInstanceOf(RequestNotSentError);
    expect((error as RequestNotSentError).transportCode).toBe('held_back');
    expect(asked).toBe(1);
    const sent = await client.sendSubscribeMessage('TOKEN', SUBSCRIBE, { mayStart: () => true });
    expect(sent.ok).toBe(true);
    expect(peer.received.map((request) => request.pathname)).toEqual(['/cgi-bin/message/subscribe/send']);
  });

  it('reports HTTP 502 as retryable and HTTP 404 as unrecoverable', async () => {
    let status = 502;
    const { client } = await peerAndClient((_, res) => answerJson(res, 'Bad Gateway', status));
    const busy = errorOf(await client.sendSubscribeMessage('T', SUBSCRIBE));
    expect(busy).toBeInstanceOf(WechatUnavailableError);
    expect(busy).toMatchObject({ category: 'retryable', httpStatus: 502 });
    status = 404;
    const missing = errorOf(await client.fetchClassicToken(APP));
    expect(missing).toBeInstanceOf(UnexpectedHttpStatusError);
    expect(missing).toMatchObject({ category: 'unrecoverable', httpStatus: 404 });
  });

  it('reports a reply that is not JSON, or not the expected shape, as outcome unknown', async () => {
    let reply: string = '<html>oops</html>';
    const { client } = await peerAndClient((_, res) => answerJson(res, reply));
    expect(errorOf(await client.sendSubscribeMessage('T', SUBSCRIBE))).toMatchObject({
      category: 'outcome_unknown',
      code: 'malformed_reply',
    });
    reply = '{"access_token":"LEAKY-TOKEN"}';
    const error = errorOf(await client.fetchClassicToken(APP));
    expect(error).toMatchObject({ code: 'malformed_reply' });
    expect(error.message).toContain('expires_in');
    expect(error.message).not.toContain('LEAKY-TOKEN');
  });

  it('stops reading a reply larger than any WeChat sends, as outcome unknown', async () => {
    const { client } = await peerAndClient((_, res) =>
      answerJson(res, `{"pad":"${'x'.repeat(MAX_REPLY_BYTES)}"}`),
    );
    expect(errorOf(await client.sendTemplateMessage('T', TEMPLATE))).toMatchObject({
      code: 'malformed_reply',
      transportCode: 'reply_too_large',
    });
  });

  it('refuses calls after close() without sending them', async () => {
    const { peer, client } = await peerAndClient((_, res) =>
      answerJson(res, { access_token: 'T', expires_in: 1 }),
    );
    await client.close();
    expect(errorOf(await client.fetchClassicToken(APP))).toMatchObject({ code: 'client_closed' });
    expect(peer.received).toHaveLength(0);
  });

  it('tells the onRequest hook the endpoint, duration and outcome only, and survives it throwing', async () => {
    const events: WechatRequestEvent[] = [];
    let status = 200;
    const { client } = await peerAndClient(
      (_, res) => answerJson(res, { access_token: 'T', expires_in: 60 }, status),
      {
        onRequest: (event) => {
          events.push(event);
          throw new Error('metrics are down');
        },
      },
    );
    expect((await client.fetchClassicToken(APP)).ok).toBe(true);
    status = 503;
    expect((await client.fetchStableToken(APP)).ok).toBe(false);
    expect(events.map((e) => Object.keys(e).sort())).toEqual([
      ['durationMs', 'endpoint', 'outcome'],
      ['durationMs', 'endpoint', 'outcome'],
    ]);
    expect(events.map((e) => [e.endpoint, e.outcome])).toEqual([
      ['token', 'ok'],
      ['stable_token', 'retryable'],
    ]);
    expect(events.every((e) => e.durationMs >= 0)).toBe(true);
  });
});

describe('errcodes over HTTP', () => {
  function answering(body: unknown) {
    return peerAndClient((_, res) => answerJson(res, body), {
      now: () => new Date('2026-03-01T10:20:30.000Z'),
    });
  }

  it('41028 on a template send: the credit is dead', async () => {
    const { client } = await answering({ errcode: 41028, errmsg: 'invalid form id' });
    const error = errorOf(await client.sendTemplateMessage('T', TEMPLATE));
    expect(error).toBeInstanceOf(CreditDeadError);
    expect(error).toMatchObject({ category: 'credit_dead', errcode: 41028, code: 'form_id_invalid' });
  });

  it('40125 on a token fetch: misconfiguration', async () => {
    const { client } = await answering({ errcode: 40125, errmsg: 'invalid appsecret' });
    const error = errorOf(await client.fetchStableToken(APP));
    expect(error).toBeInstanceOf(WechatMisconfigurationError);
    expect(error).toMatchObject({
      category: 'unrecoverable',
      misconfiguration: true,
      endpoint: 'stable_token',
    });
  });

  it('40001 is a wrong secret on a token fetch but a stale token on a send', async () => {
    const { client } = await answering({ errcode: 40001, errmsg: 'invalid credential' });
    const onToken = errorOf(await client.fetchClassicToken(APP));
    expect(onToken).toMatchObject({
      code: 'wrong_secret',
      category: 'unrecoverable',
      misconfiguration: true,
    });
    const onSend = errorOf(await client.sendSubscribeMessage('T', SUBSCRIBE));
    expect(onSend).toBeInstanceOf(StaleTokenError);
    expect(onSend).toMatchObject({ category: 'stale_token', misconfiguration: false });
  });

  it('-1 is retryable', async () => {
    const { client } = await answering({ errcode: -1, errmsg: 'system error' });
    expect(errorOf(await client.code2Session({ ...APP, code: 'C' }))).toMatchObject({
      category: 'retryable',
      errcode: -1,
      code: 'system_busy',
    });
  });

  it('45011 and 45009 carry when to retry', async () => {
    const { client } = await answering({ errcode: 45011, errmsg: 'api minute-quota reach limit' });
    const minute = errorOf(await client.sendSubscribeMessage('T', SUBSCRIBE));
    expect(minute).toBeInstanceOf(QuotaExceededError);
    expect((minute as QuotaExceededError).retryAt.toISOString()).toBe('2026-03-01T10:21:00.000Z');
    const { client: daily } = await answering({ errcode: 45009, errmsg: 'reach max api daily quota limit' });
    const day = errorOf(await daily.sendSubscribeMessage('T', SUBSCRIBE)) as QuotaExceededError;
    expect(day).toMatchObject({ window: 'daily', category: 'quota' });
    expect(day.retryAt.toISOString()).toBe('2026-03-01T16:00:00.000Z');
  });

  it('47003 names the data key WeChat refused', async () => {
    const { client } = await answering({
      errcode: 47003,
      errmsg: 'argument invalid! data.thing1.value invalid',
    });
    expect(errorOf(await client.sendSubscribeMessage('T', SUBSCRIBE))).toMatchObject({
      code: 'invalid_data',
      field: 'thing1',
      templateLevel: true,
    });
  });
});
