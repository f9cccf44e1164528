import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createWechatClient, type WechatClient, type WechatRequestEvent } from './client.js';
import type { WechatError } from './errors/wechat-error.js';
import {
  answerJson,
  type PeerBehaviour,
  startWechatPeer,
  unusedBaseUrl,
} from './test-support/wechat-peer.js';

const SECRET = 'sEcReT-0a1b2c3d';
const TOKEN = "ToKeN+/=with&odd?chars (and 'more')!";
const CODE = 'LoGiNcOdE-9z8y';
const SESSION_KEY = 'SeSsIoNkEy==';
const SECRETS = [
  SECRET,
  TOKEN,
  CODE,
  SESSION_KEY,
  encodeURIComponent(TOKEN),
  new URLSearchParams({ t: TOKEN }).toString().slice(2),
];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Every way an error commonly gets written out. */
function renderings(error: WechatError): string[] {
  return [
    error.message,
    String(error),
    error.stack ?? '',
    JSON.stringify(error),
    inspect(error),
    inspect(error, { showHidden: true, depth: null }),
    JSON.stringify(
      Object.entries(Object.getOwnPropertyDescriptors(error)).map(([k, d]) => [k, String(d.value)]),
    ),
  ];
}

/** Makes every call of a client, each answered the peer's way, and returns the errors. */
async function errorsOfEveryCall(client: WechatClient): Promise<WechatError[]> {
  const app = { appId: 'wx_app', secret: SECRET };
  const results = [
    await client.fetchClassicToken(app),
    await client.fetchStableToken({ ...app, forceRefresh: true }),
    await client.code2Session({ ...app, code: CODE }),
    await client.sendTemplateMessage(TOKEN, {
      touser: 'o',
      templateId: 't',
      formId: 'f',
      data: { keyword1: 'x' },
    }),
    await client.sendSubscribeMessage(TOKEN, { touser: 'o', templateId: 't', data: { thing1: 'x' } }),
  ];
  return results.map((result) => {
    if (result.ok) throw new Error('expected every call to fail');
    return result.error;
  });
}

async function clientFor(behaviour: PeerBehaviour, events: WechatRequestEvent[] = []): Promise<WechatClient> {
  const peer = await startWechatPeer(behaviour);
  cleanups.push(() => peer.close());
  const client = createWechatClient({
    baseUrl: peer.baseUrl,
    timeoutMs: 200,
    onRequest: (e) => events.push(e),
  });
  cleanups.push(() => client.close());
  return client;
}

/** A WeChat that echoes back everything it was sent, in errmsg, raw and encoded. */
const echoingErrmsg =
  (errcode: number): PeerBehaviour =>
  (request, res) => {
    const raw = [...request.query.values()].join(' ');
    answerJson(res, { errcode, errmsg: `you sent ${request.query.toString()} ${raw} ${request.body}` });
  };

const SCENARIOS: [string, PeerBehaviour][] = [
  ['a known errcode echoing the request', echoingErrmsg(40001)],
  ['an unknown errcode echoing the request', echoingErrmsg(77777)],
  ['a quota errcode echoing the request', echoingErrmsg(45009)],
  ['a busy answer echoing the request', echoingErrmsg(-1)],
  [
    'a reply of the wrong shape holding secrets',
    (_, res) =>
      answerJson(res, {
        access_token: TOKEN,
        session_key: SESSION_KEY,
        msgid: { code: CODE },
        expires_in: 'x',
        openid: 5,
      }),
  ],
  [
    'a reply that is not JSON but holds secrets',
    (_, res) => answerJson(res, `<html>${TOKEN} ${SECRET}</html>`),
  ],
  ['HTTP 500 with secrets in the body', (_, res) => answerJson(res, { errmsg: TOKEN }, 500)],
  ['no reply', () => {}],
  ['a dropped connection', (_, _res, req) => req.socket.destroy()],
];

describe('errors never carry a credential', () => {
  it.each(SCENARIOS)('%s', async (_name, behaviour) => {
    const events: WechatRequestEvent[] = [];
    const errors = await errorsOfEveryCall(await clientFor(behaviour, events));
    expect(errors).toHaveLength(5);
    for (const error of errors) {
      expect(error.cause).toBeUndefined();
      for (const text of renderings(error)) {
        for (const secret of SECRETS) expect(text).not.toContain(secret);
      }
    }
    expect(events).toHaveLength(5);
    for (const secret of SECRETS) expect(JSON.stringify(events)).not.toContain(secret);
  });

  it('when nothing listens', async () => {
    const client = createWechatClient({ baseUrl: await unusedBaseUrl(), timeoutMs: 500 });
    cleanups.push(() => client.close());
    for (const error of await errorsOfEveryCall(client)) {
      expect(error.category).toBe('retryable');
      for (const text of renderings(error)) {
        for (const secret of SECRETS) expect(text).not.toContain(secret);
      }
    }
  });

  it('keeps the scrubbed errmsg useful', async () => {
    const [error] = await errorsOfEveryCall(await clientFor(echoingErrmsg(40125)));
    expect(error?.errmsg).toMatch(/^you sent grant_type=client_credential&appid=wx_app&secret=\[redacted\]/);
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      name: 'WechatMisconfigurationError',
      code: 'invalid_secret',
      category: 'unrecoverable',
      endpoint: 'token',
      errcode: 40125,
      misconfiguration: true,
    });
  });
});
