import { Writable } from 'node:stream';
import { createLogger } from '@minapush/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, SandboxClient, startSandbox } from './sandbox-client.js';

const lines: string[] = [];
let running: RunningSandbox;
let client: SandboxClient;

beforeAll(async () => {
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  running = await startSandbox({
    logger: createLogger({ name: 'sandbox-test', level: 'debug', destination }),
  });
  client = new SandboxClient(running.baseUrl);
});

afterAll(async () => {
  await running.close();
});

describe('request logs', () => {
  it('log every call but never a secret, token, code or session_key', async () => {
    const app = await client.createApp({ templates: [{ id: 'tpl-log', kind: 'subscribe' }] });
    const classic = await client.accessToken(app);
    const stable = (await client.stableToken(app)).body.access_token as string;
    const { code } = (await client.control(app.appId, '/codes', { openid: 'o-log' })).body;
    const session = await client.jscode2session(app, code);
    await client.subscribe(app.appId, 'o-log', 'tpl-log');
    const sent = await client.subscribeSend(stable, {
      touser: 'o-log',
      template_id: 'tpl-log',
      data: { thing1: { value: 'x' } },
    });
    expect(sent.body.errcode).toBe(0);

    const text = lines.join('');
    expect(text).toContain('/cgi-bin/token');
    expect(text).toContain('/sns/jscode2session');
    expect(text).toContain(app.appId);
    for (const secret of [app.secret, classic, stable, code, session.body.session_key as string]) {
      expect(text).not.toContain(secret);
    }
  });
});
