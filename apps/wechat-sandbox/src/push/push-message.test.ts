import { describe, expect, it } from 'vitest';
import { renderPushMessage, sealPush } from './push-message.js';

const popup = {
  type: 'popup',
  openid: 'o-1',
  createTime: 1772359200,
  templateId: 'tpl',
  status: 'accept',
} as const;

describe('renderPushMessage', () => {
  it('writes numbers bare and text in CDATA, splitting a "]]>" inside text', () => {
    const xml = renderPushMessage({ ...popup, openid: 'o]]>x' }, 'xml', 'gh_0123456789ab');
    expect(xml).toContain('<FromUserName><![CDATA[o]]]]><![CDATA[>x]]></FromUserName>');
    expect(xml).toContain('<CreateTime>1772359200</CreateTime>');
    expect(xml).toContain('<PopupScene>0</PopupScene>');
  });

  it('keeps a msgid beyond double precision exact, as a string in JSON', () => {
    const json = renderPushMessage(
      {
        type: 'sent',
        openid: 'o-1',
        createTime: 1,
        templateId: 'tpl',
        msgid: 2_000_000_123_456,
        errorCode: 0,
        errorStatus: 'success',
      },
      'json',
      'gh_0123456789ab',
    );
    expect(JSON.parse(json).List).toEqual({
      TemplateId: 'tpl',
      MsgID: '2000000123456',
      ErrorCode: '0',
      ErrorStatus: 'success',
    });
  });
});

describe('sealPush', () => {
  it('adds encrypt_type and msg_signature only in the encrypted modes', () => {
    const base = { event: popup, appId: 'wx1', originalId: 'gh_1', timestamp: '1', nonce: '2' };
    const settings = { url: 'http://x', token: 'tok', format: 'json' } as const;
    const plain = sealPush({ ...base, settings: { ...settings, mode: 'plaintext' } });
    expect(Object.keys(plain.query)).toEqual(['signature', 'timestamp', 'nonce']);
    const secure = sealPush({
      ...base,
      settings: { ...settings, mode: 'secure', encodingAesKey: 'a'.repeat(43) },
    });
    expect(Object.keys(secure.query)).toEqual([
      'signature',
      'timestamp',
      'nonce',
      'encrypt_type',
      'msg_signature',
    ]);
    expect(Object.keys(JSON.parse(secure.body))).toEqual(['ToUserName', 'Encrypt']);
  });
});
