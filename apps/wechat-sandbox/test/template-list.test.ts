import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, SandboxClient, startSandbox } from './sandbox-client.js';

let running: RunningSandbox;
let client: SandboxClient;

beforeAll(async () => {
  running = await startSandbox();
  client = new SandboxClient(running.baseUrl);
});

afterAll(async () => {
  await running.close();
});

const MEETING = {
  id: 'tpl-meeting',
  kind: 'subscribe',
  title: '会议提醒',
  keys: ['thing1', 'date2', 'phrase3'],
  enumValues: { phrase3: ['已确认', '已取消'] },
  subscribeType: 'long_term',
};

function gettemplate(token: string | undefined) {
  const query = token === undefined ? '' : `?access_token=${encodeURIComponent(token)}`;
  return client.get(`/wxaapi/newtmpl/gettemplate${query}`);
}

describe('GET /wxaapi/newtmpl/gettemplate', () => {
  it("lists the app's subscribe templates the way WeChat does, legacy templates left out", async () => {
    const app = await client.createApp({
      templates: [
        { id: 'tpl-bare', kind: 'subscribe' },
        { id: 'tpl-legacy', kind: 'template' },
      ],
    });
    expect((await client.control(app.appId, '/templates', MEETING)).status).toBe(201);
    const reply = await gettemplate(await client.accessToken(app));
    expect(reply.body).toEqual({
      errcode: 0,
      errmsg: 'ok',
      data: [
        {
          priTmplId: 'tpl-bare',
          title: 'Sandbox template tpl-bare',
          content: '',
          example: '',
          type: 2,
        },
        {
          priTmplId: 'tpl-meeting',
          title: '会议提醒',
          content: 'thing1:{{thing1.DATA}}\ndate2:{{date2.DATA}}\nphrase3:{{phrase3.DATA}}\n',
          example: 'thing1:example\ndate2:example\nphrase3:已确认\n',
          type: 3,
          keywordEnumValueList: [{ keywordCode: '{{phrase3.DATA}}', enumValueList: ['已确认', '已取消'] }],
        },
      ],
    });
  });

  it('checks the token like every other call, and counts each call, faults included', async () => {
    const app = await client.createApp();
    expect((await gettemplate(undefined)).body.errcode).toBe(41001);
    expect((await gettemplate('not-a-token')).body.errcode).toBe(40001);
    const token = await client.accessToken(app);
    await client.control(app.appId, '/faults', { endpoint: 'template_list', errcode: -1, times: 1 });
    expect((await gettemplate(token)).body.errcode).toBe(-1);
    await client.control(app.appId, '/faults', { endpoint: 'template_list', httpStatus: 502, times: 1 });
    expect((await gettemplate(token)).status).toBe(502);
    expect((await gettemplate(token)).body.errcode).toBe(0);
    expect((await client.control(app.appId, '')).body.templateListCalls).toBe(3);
  });
});

describe('subscribe/send with a template that declares its keys', () => {
  async function meetingApp() {
    const app = await client.createApp();
    await client.control(app.appId, '/templates', MEETING);
    await client.subscribe(app.appId, 'o-meet', MEETING.id, 5);
    return { app, token: await client.accessToken(app) };
  }
  const data = (values: Record<string, string>) =>
    Object.fromEntries(Object.entries(values).map(([key, value]) => [key, { value }]));
  const GOOD = { thing1: '周会', date2: '2026-12-24', phrase3: '已确认' };

  it('answers 47003 naming a missing key, an unknown key or a value outside its enum, spending nothing', async () => {
    const { app, token } = await meetingApp();
    const send = (values: Record<string, string>) =>
      client.subscribeSend(token, { touser: 'o-meet', template_id: MEETING.id, data: data(values) });
    const { phrase3: _dropped, ...missing } = GOOD;
    expect((await send(missing)).body).toEqual({
      errcode: 47003,
      errmsg: 'argument invalid! data.phrase3.value is empty',
    });
    expect((await send({ ...GOOD, thing9: 'x' })).body).toEqual({
      errcode: 47003,
      errmsg: 'argument invalid! data.thing9.value invalid',
    });
    expect((await send({ ...GOOD, phrase3: '进行中' })).body).toEqual({
      errcode: 47003,
      errmsg: 'argument invalid! data.phrase3.value invalid',
    });
    expect(await client.deliveries(app.appId)).toEqual([]);
    expect((await send(GOOD)).body.errcode).toBe(0);
  });

  it('keeps sends to a template registered without keys as they were: any keys pass', async () => {
    const app = await client.createApp({ templates: [{ id: 'tpl-bare', kind: 'subscribe' }] });
    await client.subscribe(app.appId, 'o-bare', 'tpl-bare');
    const token = await client.accessToken(app);
    const reply = await client.subscribeSend(token, {
      touser: 'o-bare',
      template_id: 'tpl-bare',
      data: data({ thing7: 'anything' }),
    });
    expect(reply.body.errcode).toBe(0);
  });

  it('refuses details on a legacy template, and enum values for keys it does not declare', async () => {
    const app = await client.createApp();
    const legacy = await client.control(app.appId, '/templates', {
      id: 't',
      kind: 'template',
      keys: ['thing1'],
    });
    expect(legacy.status).toBe(400);
    const stray = await client.control(app.appId, '/templates', {
      id: 't2',
      kind: 'subscribe',
      keys: ['thing1'],
      enumValues: { phrase2: ['a'] },
    });
    expect(stray.status).toBe(400);
    expect(stray.body.error.message).toContain('enumValues');
  });
});
