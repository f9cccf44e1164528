import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, SandboxClient, startSandbox, type TestApp } from './sandbox-client.js';

const TEMPLATE = 'tpl-fault';

let running: RunningSandbox;
let client: SandboxClient;

beforeAll(async () => {
  running = await startSandbox();
  client = new SandboxClient(running.baseUrl);
});

afterAll(async () => {
  await running.close();
});

async function appWithCredits(credits: number): Promise<{ app: TestApp; token: string }> {
  const app = await client.createApp({ templates: [{ id: TEMPLATE, kind: 'subscribe' }] });
  await client.subscribe(app.appId, 'o-fault', TEMPLATE, credits);
  return { app, token: await client.accessToken(app) };
}

const message = { touser: 'o-fault', template_id: TEMPLATE, data: { thing1: { value: '提醒' } } };

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('condition not reached in 2 s');
}

describe('faults', () => {
  it('errcode answers that code for `times` calls with no side effect', async () => {
    const app = await client.createApp();
    const added = await client.control(app.appId, '/faults', { endpoint: 'token', errcode: -1, times: 2 });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ id: expect.any(String) });
    expect((await client.classicToken(app)).body).toEqual({ errcode: -1, errmsg: 'system error' });
    expect((await client.classicToken(app)).body.errcode).toBe(-1);
    expect((await client.control(app.appId, '/token-fetches')).body.fetches).toEqual([]);
    expect((await client.classicToken(app)).body.access_token).toEqual(expect.any(String));
    expect((await client.control(app.appId, '/token-fetches')).body.fetches).toHaveLength(1);
  });

  it('errcode on a send does not spend the credit', async () => {
    const { app, token } = await appWithCredits(1);
    await client.control(app.appId, '/faults', { endpoint: 'subscribe_send', errcode: 45011, times: 1 });
    expect((await client.subscribeSend(token, message)).body.errcode).toBe(45011);
    expect(await client.deliveries(app.appId)).toEqual([]);
    expect((await client.subscribeSend(token, message)).body.errcode).toBe(0);
  });

  it('httpStatus answers that status and only targets its endpoint', async () => {
    const { app, token } = await appWithCredits(1);
    await client.control(app.appId, '/faults', { endpoint: 'subscribe_send', httpStatus: 502 });
    const reply = await client.subscribeSend(token, message);
    expect(reply.status).toBe(502);
    expect(reply.body).toContain('502 Bad Gateway');
    expect((await client.classicToken(app)).status).toBe(200);
    expect(await client.deliveries(app.appId)).toEqual([]);

    expect((await client.delete(`/__sandbox/apps/${app.appId}/faults`)).status).toBe(204);
    expect((await client.subscribeSend(token, message)).body.errcode).toBe(0);
  });

  it('dropReply delivers and spends the credit, then closes the connection without answering', async () => {
    const { app, token } = await appWithCredits(1);
    await client.control(app.appId, '/faults', { endpoint: 'subscribe_send', dropReply: true, times: 1 });
    await expect(client.subscribeSend(token, message)).rejects.toThrow();
    const deliveries = await client.deliveries(app.appId);
    expect(deliveries).toHaveLength(1);
    expect((await client.subscribeSend(token, message)).body.errcode).toBe(43101);
  });

  it('dropReply on a token fetch issues the token the caller never sees', async () => {
    const app = await client.createApp();
    await client.control(app.appId, '/faults', { endpoint: '*', dropReply: true, times: 1 });
    await expect(client.classicToken(app)).rejects.toThrow();
    expect((await client.control(app.appId, '/token-fetches')).body.fetches).toHaveLength(1);
  });

  it('delayMs waits before answering', async () => {
    const { app, token } = await appWithCredits(2);
    await client.control(app.appId, '/faults', { endpoint: 'subscribe_send', delayMs: 300, times: 1 });
    const started = performance.now();
    const slow = await client.subscribeSend(token, message);
    expect(slow.body.errcode).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect((await client.subscribeSend(token, message)).body.errcode).toBe(0);
    expect(await client.deliveries(app.appId)).toHaveLength(2);
  });

  it('a caller that times out during delayMs does not know, but the message is delivered', async () => {
    const { app, token } = await appWithCredits(1);
    await client.control(app.appId, '/faults', { endpoint: 'subscribe_send', delayMs: 400, times: 1 });
    const sending = client.post(`/cgi-bin/message/subscribe/send?access_token=${token}`, message, {
      signal: AbortSignal.timeout(50),
    });
    await expect(sending).rejects.toThrow();
    expect(await client.deliveries(app.appId)).toHaveLength(0);
    const deliveries = await waitFor(
      () => client.deliveries(app.appId),
      (list) => list.length > 0,
    );
    expect(deliveries).toHaveLength(1);
  });

  it('rejects a fault without an effect or with conflicting effects', async () => {
    const app = await client.createApp();
    const empty = await client.control(app.appId, '/faults', { endpoint: 'token' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('invalid_request');
    expect(empty.body.error.message).toContain('at least one effect');
    const both = await client.control(app.appId, '/faults', {
      endpoint: 'token',
      errcode: -1,
      dropReply: true,
    });
    expect(both.status).toBe(400);
    const badEndpoint = await client.control(app.appId, '/faults', { endpoint: 'sms', errcode: -1 });
    expect(badEndpoint.status).toBe(400);
    expect(badEndpoint.body.error.message).toContain('body.endpoint');
    const badProbability = await client.control(app.appId, '/faults', {
      endpoint: 'token',
      errcode: -1,
      probability: 2,
    });
    expect(badProbability.status).toBe(400);
  });
});

describe('faults with a probability', () => {
  let dice: RunningSandbox;
  let diceClient: SandboxClient;
  const rolls = [0.9, 0.2, 0.6, 0.1];

  beforeAll(async () => {
    let index = 0;
    dice = await startSandbox({ random: () => rolls[index++ % rolls.length] ?? 0 });
    diceClient = new SandboxClient(dice.baseUrl);
  });

  afterAll(async () => {
    await dice.close();
  });

  it('fires only when the roll falls under the probability', async () => {
    const app = await diceClient.createApp();
    await diceClient.control(app.appId, '/faults', { endpoint: 'token', errcode: -1, probability: 0.5 });
    const answers: unknown[] = [];
    for (let call = 0; call < 4; call += 1) {
      const reply = await diceClient.classicToken(app);
      answers.push(reply.body.errcode ?? 'token');
    }
    expect(answers).toEqual(['token', -1, 'token', -1]);
  });
});
