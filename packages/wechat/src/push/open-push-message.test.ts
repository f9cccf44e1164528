import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  OFFICIAL_ACCOUNT_SAMPLE,
  OFFICIAL_ACCOUNT_SAMPLE_BODY,
} from '../test-support/published-push-vectors.js';
import { openPushMessage, type PushAppSettings } from './open-push-message.js';
import { encryptPushMessage } from './push-crypto.js';

const APP: PushAppSettings = {
  appId: 'wx0123456789abcdef',
  pushToken: 'push-token-for-tests',
  encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
};
const TIMESTAMP = '1733040000';
const NONCE = '271828';
const OPENID = 'o7esq5OI1Uej6Xixw1lA2H7XDVbc';
const TEMPLATE = 'hD-ixGOhYmUfjOnI8MCzQMPshzGVeux_2vzyvQu7O68';

// Signatures computed here with node:crypto directly, as WeChat's documentation states them, so
// that these tests do not lean on the signing code under test.
function sha1OfSorted(...parts: string[]): string {
  return createHash('sha1').update(parts.sort().join('')).digest('hex');
}

const XML_MESSAGE = `<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName><FromUserName><![CDATA[${OPENID}]]></FromUserName><CreateTime>1733040000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe_msg_popup_event]]></Event><SubscribeMsgPopupEvent><List><TemplateId><![CDATA[${TEMPLATE}]]></TemplateId><SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>0</PopupScene></List></SubscribeMsgPopupEvent></xml>`;
const JSON_MESSAGE = `{"ToUserName":"gh_123456789abc","FromUserName":"${OPENID}","CreateTime":"1733040000","MsgType":"event","Event":"subscribe_msg_popup_event","List":{"TemplateId":"${TEMPLATE}","SubscribeStatusString":"accept","PopupScene":"0"}}`;
const EXPECTED_EVENT = {
  type: 'popup',
  toUser: 'gh_123456789abc',
  fromUser: OPENID,
  createTime: 1733040000,
  items: [{ templateId: TEMPLATE, status: 'accept', popupScene: '0' }],
};

function encrypt(message: string, appId = APP.appId): string {
  const sealed = encryptPushMessage({ encodingAesKey: APP.encodingAesKey!, appId, message });
  if (!sealed.ok) throw new Error(sealed.reason);
  return sealed.encrypt;
}

function bodies(encrypted: string) {
  return {
    xml: {
      compatible: XML_MESSAGE.replace('</xml>', `<Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`),
      secure: `<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`,
    },
    json: {
      compatible: JSON_MESSAGE.replace(/}$/, `,"Encrypt":"${encrypted}"}`),
      secure: `{"ToUserName":"gh_123456789abc","Encrypt":"${encrypted}"}`,
    },
  };
}

const plaintextQuery = {
  timestamp: TIMESTAMP,
  nonce: NONCE,
  signature: sha1OfSorted(APP.pushToken, TIMESTAMP, NONCE),
};

function encryptedQuery(encrypted: string) {
  return {
    ...plaintextQuery,
    encrypt_type: 'aes',
    msg_signature: sha1OfSorted(APP.pushToken, TIMESTAMP, NONCE, encrypted),
  };
}

describe('openPushMessage: every mode and format', () => {
  for (const [format, message] of [
    ['xml', XML_MESSAGE],
    ['json', JSON_MESSAGE],
  ] as const) {
    it(`plaintext ${format}`, () => {
      expect(openPushMessage({ app: APP, query: plaintextQuery, body: message })).toEqual({
        ok: true,
        mode: 'plaintext',
        format,
        event: EXPECTED_EVENT,
      });
    });

    for (const mode of ['compatible', 'secure'] as const) {
      it(`${mode} ${format}`, () => {
        const encrypted = encrypt(message);
        const body = bodies(encrypted)[format][mode];
        expect(openPushMessage({ app: APP, query: encryptedQuery(encrypted), body })).toEqual({
          ok: true,
          mode,
          format,
          event: EXPECTED_EVENT,
        });
      });
    }
  }

  it("opens WeChat's published compatible-mode sample as a (for us unknown) text message", () => {
    const sample = OFFICIAL_ACCOUNT_SAMPLE;
    const result = openPushMessage({
      app: { appId: sample.appId, pushToken: sample.token, encodingAesKey: sample.encodingAesKey },
      query: {
        timestamp: sample.timestamp,
        nonce: sample.nonce,
        msg_signature: sample.msgSignature,
        encrypt_type: 'aes',
      },
      body: OFFICIAL_ACCOUNT_SAMPLE_BODY,
      contentType: 'text/xml',
    });
    expect(result).toEqual({
      ok: true,
      mode: 'compatible',
      format: 'xml',
      event: { type: 'unknown', msgType: 'text' },
    });
  });
});

describe('openPushMessage refusals', () => {
  it('refuses a plaintext push with a wrong or missing signature', () => {
    expect(
      openPushMessage({
        app: APP,
        query: { ...plaintextQuery, signature: sha1OfSorted('x', TIMESTAMP, NONCE) },
        body: XML_MESSAGE,
      }),
    ).toEqual({ ok: false, reason: 'bad_signature' });
    expect(
      openPushMessage({ app: APP, query: { timestamp: TIMESTAMP, nonce: NONCE }, body: XML_MESSAGE }),
    ).toMatchObject({
      ok: false,
      reason: 'missing_signature',
    });
    expect(
      openPushMessage({ app: APP, query: { signature: plaintextQuery.signature }, body: XML_MESSAGE }),
    ).toMatchObject({
      ok: false,
      reason: 'missing_signature',
    });
  });

  it('refuses an encrypted push whose msg_signature is wrong or missing, even with a valid plain signature', () => {
    const encrypted = encrypt(JSON_MESSAGE);
    const body = bodies(encrypted).json.secure;
    expect(
      openPushMessage({
        app: APP,
        query: { ...encryptedQuery(encrypted), msg_signature: plaintextQuery.signature },
        body,
      }),
    ).toEqual({ ok: false, reason: 'bad_signature' });
    expect(openPushMessage({ app: APP, query: plaintextQuery, body })).toMatchObject({
      ok: false,
      reason: 'missing_signature',
    });
  });

  it('refuses an encrypted push to an app without an encodingAesKey', () => {
    const encrypted = encrypt(XML_MESSAGE);
    const { encodingAesKey: _, ...withoutKey } = APP;
    expect(
      openPushMessage({
        app: withoutKey,
        query: encryptedQuery(encrypted),
        body: bodies(encrypted).xml.secure,
      }),
    ).toEqual({ ok: false, reason: 'encryption_not_configured' });
  });

  it("refuses a push encrypted for another app, even correctly signed with this app's token", () => {
    const encrypted = encrypt(XML_MESSAGE, 'wxffffffffffffffff');
    expect(
      openPushMessage({ app: APP, query: encryptedQuery(encrypted), body: bodies(encrypted).xml.secure }),
    ).toEqual({ ok: false, reason: 'app_id_mismatch' });
  });

  it('refuses a body in no known format, and passes body refusals through', () => {
    expect(openPushMessage({ app: APP, query: plaintextQuery, body: 'success' })).toEqual({
      ok: false,
      reason: 'unknown_format',
    });
    expect(openPushMessage({ app: APP, query: plaintextQuery, body: '<xml><A></xml>' })).toMatchObject({
      ok: false,
      reason: 'malformed_xml',
    });
  });

  it('refuses a signed subscribe event that breaks the documented shape', () => {
    const body = JSON_MESSAGE.replace(`"TemplateId":"${TEMPLATE}",`, '');
    expect(openPushMessage({ app: APP, query: plaintextQuery, body })).toMatchObject({
      ok: false,
      reason: 'malformed_event',
    });
  });
});
