import { describe, expect, it } from 'vitest';
import { type PushFormat, parsePushBody } from './push-body.js';
import { pushEventSchema, toPushEvent } from './push-events.js';

/** Hand-written bodies in the shapes of WeChat's documentation of the three subscribe events. */
function read(body: string, format: PushFormat) {
  const parsed = parsePushBody(body, format);
  if (!parsed.ok) throw new Error(`sample does not parse: ${parsed.reason}`);
  return toPushEvent(parsed.fields);
}

const OPENID = 'otFpruAK8D-E6EfStSYonYSBZ8_4';
const TEMPLATE_A = 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc';
const TEMPLATE_B = '9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI';

describe('subscribe_msg_popup_event', () => {
  const expected = {
    type: 'popup',
    toUser: 'gh_123456789abc',
    fromUser: OPENID,
    createTime: 1610969440,
    items: [
      { templateId: TEMPLATE_A, status: 'accept', popupScene: '2' },
      { templateId: TEMPLATE_B, status: 'reject', popupScene: '2' },
    ],
  };

  it('reads XML with several List elements', () => {
    const xml = `<xml>
      <ToUserName><![CDATA[gh_123456789abc]]></ToUserName>
      <FromUserName><![CDATA[${OPENID}]]></FromUserName>
      <CreateTime>1610969440</CreateTime>
      <MsgType><![CDATA[event]]></MsgType>
      <Event><![CDATA[subscribe_msg_popup_event]]></Event>
      <SubscribeMsgPopupEvent>
        <List>
          <TemplateId><![CDATA[${TEMPLATE_A}]]></TemplateId>
          <SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString>
          <PopupScene>2</PopupScene>
        </List>
        <List>
          <TemplateId><![CDATA[${TEMPLATE_B}]]></TemplateId>
          <SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString>
          <PopupScene>2</PopupScene>
        </List>
      </SubscribeMsgPopupEvent>
    </xml>`;
    expect(read(xml, 'xml')).toEqual({ ok: true, event: expected });
  });

  it('reads XML with one List as a list of one', () => {
    const xml = `<xml><ToUserName>gh_123456789abc</ToUserName><FromUserName>${OPENID}</FromUserName><CreateTime>1610969440</CreateTime><MsgType>event</MsgType><Event>subscribe_msg_popup_event</Event><SubscribeMsgPopupEvent><List><TemplateId>${TEMPLATE_A}</TemplateId><SubscribeStatusString>accept</SubscribeStatusString><PopupScene>0</PopupScene></List></SubscribeMsgPopupEvent></xml>`;
    expect(read(xml, 'xml')).toEqual({
      ok: true,
      event: { ...expected, items: [{ templateId: TEMPLATE_A, status: 'accept', popupScene: '0' }] },
    });
  });

  it('reads JSON whose List is an array', () => {
    const json = `{"ToUserName":"gh_123456789abc","FromUserName":"${OPENID}","CreateTime":"1610969440","MsgType":"event","Event":"subscribe_msg_popup_event","List":[{"TemplateId":"${TEMPLATE_A}","SubscribeStatusString":"accept","PopupScene":"2"},{"TemplateId":"${TEMPLATE_B}","SubscribeStatusString":"reject","PopupScene":"2"}]}`;
    expect(read(json, 'json')).toEqual({ ok: true, event: expected });
  });

  it('reads JSON whose List is one object, CreateTime a number', () => {
    const json = `{"ToUserName":"gh_123456789abc","FromUserName":"${OPENID}","CreateTime":1610969440,"MsgType":"event","Event":"subscribe_msg_popup_event","List":{"TemplateId":"${TEMPLATE_A}","SubscribeStatusString":"ban","PopupScene":0}}`;
    expect(read(json, 'json')).toEqual({
      ok: true,
      event: { ...expected, items: [{ templateId: TEMPLATE_A, status: 'ban', popupScene: '0' }] },
    });
  });

  it('reads JSON that nests the items under SubscribeMsgPopupEvent, as some senders do', () => {
    const json = `{"ToUserName":"gh_123456789abc","FromUserName":"${OPENID}","CreateTime":"1610969440","MsgType":"event","Event":"subscribe_msg_popup_event","SubscribeMsgPopupEvent":[{"TemplateId":"${TEMPLATE_A}","SubscribeStatusString":"accept","PopupScene":"2"}]}`;
    const nestedList = `{"ToUserName":"gh_123456789abc","FromUserName":"${OPENID}","CreateTime":"1610969440","Event":"subscribe_msg_popup_event","SubscribeMsgPopupEvent":{"List":{"TemplateId":"${TEMPLATE_A}","SubscribeStatusString":"accept","PopupScene":"2"}}}`;
    const one = { ...expected, items: [{ templateId: TEMPLATE_A, status: 'accept', popupScene: '2' }] };
    expect(read(json, 'json')).toEqual({ ok: true, event: one });
    expect(read(nestedList, 'json')).toEqual({ ok: true, event: one });
  });
});

describe('subscribe_msg_change_event', () => {
  it('reads XML', () => {
    const xml = `<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName><FromUserName><![CDATA[${OPENID}]]></FromUserName><CreateTime>1610969468</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe_msg_change_event]]></Event><SubscribeMsgChangeEvent><List><TemplateId><![CDATA[${TEMPLATE_A}]]></TemplateId><SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString></List></SubscribeMsgChangeEvent></xml>`;
    expect(read(xml, 'xml')).toEqual({
      ok: true,
      event: {
        type: 'change',
        toUser: 'gh_123456789abc',
        fromUser: OPENID,
        createTime: 1610969468,
        items: [{ templateId: TEMPLATE_A, status: 'reject' }],
      },
    });
  });

  it('reads JSON with List as one object and as an array (WeChat sends both)', () => {
    const head = `"ToUserName":"gh_1","FromUserName":"${OPENID}","CreateTime":1625575518,"MsgType":"event","Event":"subscribe_msg_change_event"`;
    const one = `{${head},"List":{"SubscribeStatusString":"reject","TemplateId":"${TEMPLATE_A}"}}`;
    const many = `{${head},"List":[{"SubscribeStatusString":"reject","TemplateId":"${TEMPLATE_A}"},{"SubscribeStatusString":"reject","TemplateId":"${TEMPLATE_B}"}]}`;
    const base = { type: 'change', toUser: 'gh_1', fromUser: OPENID, createTime: 1625575518 };
    expect(read(one, 'json')).toEqual({
      ok: true,
      event: { ...base, items: [{ templateId: TEMPLATE_A, status: 'reject' }] },
    });
    expect(read(many, 'json')).toEqual({
      ok: true,
      event: {
        ...base,
        items: [
          { templateId: TEMPLATE_A, status: 'reject' },
          { templateId: TEMPLATE_B, status: 'reject' },
        ],
      },
    });
  });
});

describe('subscribe_msg_sent_event', () => {
  const base = { type: 'sent', toUser: 'gh_123456789abc', fromUser: OPENID, createTime: 1620963428 };

  it('reads XML, keeping a MsgID beyond double precision exact', () => {
    const xml = `<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName><FromUserName><![CDATA[${OPENID}]]></FromUserName><CreateTime>1620963428</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe_msg_sent_event]]></Event><SubscribeMsgSentEvent><List><TemplateId><![CDATA[${TEMPLATE_A}]]></TemplateId><MsgID>1700827132819554304</MsgID><ErrorCode>0</ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus></List></SubscribeMsgSentEvent></xml>`;
    expect(read(xml, 'xml')).toEqual({
      ok: true,
      event: {
        ...base,
        items: [
          { templateId: TEMPLATE_A, msgId: '1700827132819554304', errorCode: 0, errorStatus: 'success' },
        ],
      },
    });
  });

  it('reads JSON with a failed delivery, List as an object and as an array', () => {
    const item = `{"TemplateId":"${TEMPLATE_A}","MsgID":"1864323726461255680","ErrorCode":"10005","ErrorStatus":"fail: user refuse to accept the msg"}`;
    const head = `"ToUserName":"gh_123456789abc","FromUserName":"${OPENID}","CreateTime":"1620963428","MsgType":"event","Event":"subscribe_msg_sent_event"`;
    const items = [
      {
        templateId: TEMPLATE_A,
        msgId: '1864323726461255680',
        errorCode: 10005,
        errorStatus: 'fail: user refuse to accept the msg',
      },
    ];
    expect(read(`{${head},"List":${item}}`, 'json')).toEqual({ ok: true, event: { ...base, items } });
    expect(read(`{${head},"List":[${item}]}`, 'json')).toEqual({ ok: true, event: { ...base, items } });
  });
});

describe('other pushes', () => {
  it('reads any other event or message as unknown, never as an error', () => {
    expect(
      read(
        '<xml><ToUserName>gh_1</ToUserName><MsgType>event</MsgType><Event>user_info_modified</Event></xml>',
        'xml',
      ),
    ).toEqual({ ok: true, event: { type: 'unknown', event: 'user_info_modified', msgType: 'event' } });
    expect(read('{"MsgType":"text","Content":"hi"}', 'json')).toEqual({
      ok: true,
      event: { type: 'unknown', msgType: 'text' },
    });
    expect(read('{}', 'json')).toEqual({ ok: true, event: { type: 'unknown' } });
  });

  it('refuses a subscribe event that breaks the documented shape, naming what is wrong', () => {
    const missingTemplate = read(
      `{"ToUserName":"gh_1","FromUserName":"${OPENID}","CreateTime":"1","Event":"subscribe_msg_popup_event","List":{"SubscribeStatusString":"accept"}}`,
      'json',
    );
    expect(missingTemplate).toMatchObject({
      ok: false,
      reason: 'malformed_event',
      event: 'subscribe_msg_popup_event',
    });
    expect(!missingTemplate.ok && missingTemplate.issues.join()).toContain('TemplateId');

    const noUser = read(`{"CreateTime":"1","Event":"subscribe_msg_change_event","List":[]}`, 'json');
    expect(!noUser.ok && noUser.issues.join()).toContain('FromUserName');

    const lossyMsgId = read(
      `{"ToUserName":"gh_1","FromUserName":"${OPENID}","CreateTime":"1","Event":"subscribe_msg_sent_event","List":{"TemplateId":"t","MsgID":1700827132819554304,"ErrorCode":0}}`,
      'json',
    );
    expect(lossyMsgId).toMatchObject({ ok: false, reason: 'malformed_event' });

    const controlCharacter = read(
      `{"ToUserName":"gh_1","FromUserName":"a\\u0000b","CreateTime":"1","Event":"subscribe_msg_change_event","List":[]}`,
      'json',
    );
    expect(controlCharacter).toMatchObject({ ok: false, reason: 'malformed_event' });
  });

  it('produces values that pushEventSchema accepts again (for storing and queueing)', () => {
    const result = read(
      `{"ToUserName":"gh_1","FromUserName":"${OPENID}","CreateTime":"5","Event":"subscribe_msg_popup_event","List":{"TemplateId":"t","SubscribeStatusString":"accept"}}`,
      'json',
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(pushEventSchema.parse(JSON.parse(JSON.stringify(result.event)))).toEqual(result.event);
    expect(result.event).toEqual({
      type: 'popup',
      toUser: 'gh_1',
      fromUser: OPENID,
      createTime: 5,
      items: [{ templateId: 't', status: 'accept' }],
    });
  });
});
