import { describe, expect, it } from 'vitest';
import { detectPushFormat, MAX_PUSH_BODY_LENGTH, parsePushBody } from './push-body.js';

describe('detectPushFormat', () => {
  it('follows the content type, then the first character', () => {
    expect(detectPushFormat('{}', 'text/xml; charset=utf-8')).toBe('xml');
    expect(detectPushFormat('<xml/>', 'application/json')).toBe('json');
    expect(detectPushFormat('  <xml></xml>', 'text/plain')).toBe('xml');
    expect(detectPushFormat('\n{"a":1}')).toBe('json');
    expect(detectPushFormat('success')).toBeUndefined();
  });
});

describe('parsePushBody', () => {
  it('reads XML fields as strings, CDATA or not, with entities decoded', () => {
    const result = parsePushBody(
      '<?xml version="1.0"?><xml><ToUserName><![CDATA[gh_1]]></ToUserName><CreateTime>1700000000</CreateTime><MsgID>1700827132819554304</MsgID><Content>a &amp; b</Content></xml>',
      'xml',
    );
    expect(result).toEqual({
      ok: true,
      format: 'xml',
      fields: {
        ToUserName: 'gh_1',
        CreateTime: '1700000000',
        MsgID: '1700827132819554304',
        Content: 'a & b',
      },
    });
  });

  it('separates the Encrypt envelope, in XML and JSON', () => {
    expect(
      parsePushBody(
        '<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[abc=]]></Encrypt></xml>',
        'xml',
      ),
    ).toMatchObject({ ok: true, encrypt: 'abc=' });
    expect(parsePushBody('{"ToUserName":"gh_1","Encrypt":"abc="}', 'json')).toMatchObject({
      ok: true,
      encrypt: 'abc=',
    });
    expect(parsePushBody('{"ToUserName":"gh_1"}', 'json')).not.toHaveProperty('encrypt');
  });

  it('refuses an Encrypt that is empty or not a string', () => {
    expect(parsePushBody('<xml><Encrypt></Encrypt></xml>', 'xml')).toMatchObject({
      ok: false,
      reason: 'malformed_envelope',
    });
    expect(parsePushBody('{"Encrypt":42}', 'json')).toMatchObject({
      ok: false,
      reason: 'malformed_envelope',
    });
  });

  it('refuses XML that is not well-formed, has another root or more than one, or declares a DOCTYPE', () => {
    for (const body of [
      '<xml><A>1</A>',
      '<xml><A>1</B></xml>',
      '<xml>a & b</xml>',
      '<other><A>1</A></other>',
      '<xml><A>1</A></xml><xml><A>2</A></xml>',
      '<!DOCTYPE xml [<!ENTITY big "aaaa">]><xml><A>&big;</A></xml>',
      '<xml><__proto__>x</__proto__></xml>',
      'plain text',
    ]) {
      expect(parsePushBody(body, 'xml'), body).toMatchObject({ ok: false, reason: 'malformed_xml' });
    }
  });

  it('refuses JSON that does not parse or is not an object', () => {
    for (const body of ['{"a":', '[{"Event":"x"}]', '"text"', 'null']) {
      expect(parsePushBody(body, 'json'), body).toMatchObject({ ok: false, reason: 'malformed_json' });
    }
  });

  it('refuses an empty body and one over the limit', () => {
    expect(parsePushBody('  ', 'xml')).toEqual({ ok: false, reason: 'empty_body' });
    const huge = `{"Content":"${'a'.repeat(MAX_PUSH_BODY_LENGTH)}"}`;
    expect(parsePushBody(huge, 'json')).toEqual({ ok: false, reason: 'body_too_large' });
  });
});
