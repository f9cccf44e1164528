import { describe, expect, it } from 'vitest';
import {
  type MessageRequest,
  messageRequestHash,
  messageRequestSchema,
  normaliseMessageRequest,
} from './message-request.js';

const APP = 'wx-default';

function normalise(request: MessageRequest) {
  const parsed = messageRequestSchema.parse(request);
  const result = normaliseMessageRequest(parsed, APP);
  if (!result.ok) throw new Error(`expected a valid request, got ${result.message}`);
  return result.message;
}

const subscribe: MessageRequest = {
  openid: 'o-1',
  kind: 'subscribe',
  templateId: 'tmpl-1',
  data: { thing1: { value: 'Order shipped' }, number2: { value: '12' } },
};

describe('normaliseMessageRequest', () => {
  it('puts flat data into the wire shape and resolves the default app', () => {
    expect(
      normalise({ openid: 'o-1', kind: 'template', templateId: 't', data: { keyword1: 'x', keyword2: 7 } }),
    ).toEqual({
      appId: APP,
      openid: 'o-1',
      kind: 'template',
      templateId: 't',
      data: { keyword1: { value: 'x' }, keyword2: { value: '7' } },
    });
  });

  it('names the subscribe value WeChat would refuse, with the rule', () => {
    const parsed = messageRequestSchema.parse({ ...subscribe, data: { thing1: 'x'.repeat(21) } });
    expect(normaliseMessageRequest(parsed, APP)).toEqual({
      ok: false,
      field: 'data.thing1.value',
      message: expect.stringContaining('at most 20 characters'),
    });
    // a line separator is no control character to the schema, but WeChat refuses it as one
    const newline = messageRequestSchema.parse({ ...subscribe, data: { thing1: 'a\u2028b' } });
    expect(normaliseMessageRequest(newline, APP)).toMatchObject({
      ok: false,
      field: 'data.thing1.value',
      message: expect.stringContaining('control characters'),
    });
  });

  it('leaves template message values to WeChat, within the general limits', () => {
    const long = messageRequestSchema.parse({
      ...subscribe,
      kind: 'template',
      data: { thing1: 'x'.repeat(25) },
    });
    expect(normaliseMessageRequest(long, APP).ok).toBe(true);
    const huge = messageRequestSchema.parse({
      ...subscribe,
      kind: 'template',
      data: { thing1: 'x'.repeat(1001) },
    });
    expect(normaliseMessageRequest(huge, APP)).toMatchObject({ ok: false, field: 'data.thing1' });
    const empty = messageRequestSchema.parse({ ...subscribe, kind: 'template', data: {} });
    expect(normaliseMessageRequest(empty, APP)).toMatchObject({ ok: false, field: 'data' });
  });
});

describe('messageRequestSchema', () => {
  it('refuses options of the other kind and unknown fields, naming them', () => {
    const wrongKind = messageRequestSchema.safeParse({ ...subscribe, emphasisKeyword: 'thing1.DATA' });
    expect(wrongKind.error?.issues.map((issue) => issue.path)).toEqual([['emphasisKeyword']]);
    const template = messageRequestSchema.safeParse({ ...subscribe, kind: 'template', lang: 'en_US' });
    expect(template.error?.issues.map((issue) => issue.path)).toEqual([['lang']]);
    const misspelt = messageRequestSchema.safeParse({ ...subscribe, miniprogram_state: 'trial' });
    expect(misspelt.error?.issues[0]?.code).toBe('unrecognized_keys');
  });

  it.each([
    ['openid', { openid: 'o\u0000' }],
    ['templateId', { templateId: 't\u0007' }],
    ['idempotencyKey', { idempotencyKey: 'k\n' }],
    ['page', { page: 'pages/a?b=\u009f' }],
    ['appId', { appId: 'wx\ud800' }],
    ['data.thing1.value', { data: { thing1: { value: 'a\u0000b' } } }],
    ['data.thing1', { data: { thing1: 'a\tb' } }],
    ['data.thing\u0000', { data: { 'thing\u0000': 'a' } }],
  ])('refuses a control character or unpaired surrogate in %s, naming it', (path, change) => {
    const result = messageRequestSchema.safeParse({ ...subscribe, ...change });
    expect(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      [path, expect.stringMatching(/control characters/)],
    ]);
  });
});

describe('messageRequestHash', () => {
  it('is the same for flat and wire data, any key order, numbers as strings and the default app named', () => {
    const wire = messageRequestHash(normalise(subscribe));
    const flat = messageRequestHash(
      normalise({
        templateId: 'tmpl-1',
        data: { number2: 12, thing1: 'Order shipped' },
        kind: 'subscribe',
        openid: 'o-1',
        appId: APP,
      }),
    );
    expect(flat).toBe(wire);
    expect(wire).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when anything that reaches WeChat differs', () => {
    const base = messageRequestHash(normalise(subscribe));
    const variants: MessageRequest[] = [
      { ...subscribe, openid: 'o-2' },
      { ...subscribe, templateId: 'tmpl-2' },
      { ...subscribe, data: { thing1: 'Order shipped', number2: '13' } },
      { ...subscribe, page: 'pages/order?id=1' },
      { ...subscribe, lang: 'en_US' },
      { ...subscribe, miniprogramState: 'trial' },
      { ...subscribe, appId: 'wx-other' },
    ];
    const hashes = variants.map((variant) => messageRequestHash(normalise(variant)));
    expect(new Set([base, ...hashes]).size).toBe(variants.length + 1);
  });

  it('ignores the idempotencyKey itself', () => {
    expect(messageRequestHash(normalise({ ...subscribe, idempotencyKey: 'k-1' }))).toBe(
      messageRequestHash(normalise(subscribe)),
    );
  });
});
