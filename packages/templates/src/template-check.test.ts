import type { StoredTemplate, TemplateRegistry } from '@minapush/db';
import { describe, expect, it } from 'vitest';
import { registrySnapshot } from './registry-snapshot.js';
import { checkSubscribeRequest } from './template-check.js';

const MEETING: StoredTemplate = {
  templateId: 'tmpl-meeting',
  title: '会议提醒',
  subscribeType: 'one_time',
  keys: [
    { name: 'date2', kind: 'date' },
    { name: 'thing1', kind: 'thing' },
    { name: 'phrase3', kind: 'phrase', enumValues: ['已确认', '已取消'] },
  ],
};
const BARE: StoredTemplate = { templateId: 'tmpl-bare', title: '', subscribeType: 'unknown', keys: [] };

const T0 = new Date('2026-12-01T00:00:00Z');
const T1 = new Date('2026-12-01T00:10:00Z');

function registry(sync: Partial<TemplateRegistry['sync']>, templates = [MEETING, BARE]): TemplateRegistry {
  return { templates, sync: { syncedAt: null, failedAt: null, failure: null, ...sync } };
}

const synced = registrySnapshot(registry({ syncedAt: T0 }));
const wire = (data: Record<string, string>) =>
  Object.fromEntries(Object.entries(data).map(([key, value]) => [key, { value }]));
const GOOD = { date2: '2026-12-24', thing1: 'Room 5', phrase3: '已确认' };

describe('registrySnapshot', () => {
  it('is synced after a success, unreadable after a later failure, never_synced before any success', () => {
    expect(synced.state).toBe('synced');
    expect(registrySnapshot(registry({ syncedAt: T0, failedAt: T1 })).state).toBe('unreadable');
    expect(registrySnapshot(registry({ syncedAt: T1, failedAt: T0 })).state).toBe('synced');
    expect(registrySnapshot(registry({ failedAt: T0 })).state).toBe('never_synced');
    expect(registrySnapshot(registry({})).state).toBe('never_synced');
  });
});

describe('checkSubscribeRequest', () => {
  it('accepts data with exactly the template keys and good values', () => {
    expect(checkSubscribeRequest(synced, { templateId: 'tmpl-meeting', data: wire(GOOD) })).toEqual({
      ok: true,
      validated: true,
    });
  });

  it('refuses a template the registry does not list, naming it', () => {
    const verdict = checkSubscribeRequest(synced, { templateId: 'tmpl-nope', data: wire(GOOD) });
    expect(verdict).toMatchObject({
      ok: false,
      reason: 'unknown_template',
      details: { templateId: 'tmpl-nope', knownTemplateIds: ['tmpl-bare', 'tmpl-meeting'] },
    });
  });

  it('refuses missing keys and lists them', () => {
    const { thing1: _dropped, ...data } = GOOD;
    const verdict = checkSubscribeRequest(synced, { templateId: 'tmpl-meeting', data: wire(data) });
    expect(verdict).toMatchObject({
      ok: false,
      reason: 'missing_template_keys',
      details: { keys: ['thing1'], templateKeys: ['date2', 'thing1', 'phrase3'] },
    });
    if (!verdict.ok) expect(verdict.message).toContain('thing1');
  });

  it('refuses keys the template does not have, and tells which are missing too', () => {
    const { thing1: _dropped, ...rest } = GOOD;
    const verdict = checkSubscribeRequest(synced, {
      templateId: 'tmpl-meeting',
      data: wire({ ...rest, thing9: 'typo' }),
    });
    expect(verdict).toMatchObject({
      ok: false,
      reason: 'unknown_template_keys',
      details: { keys: ['thing9'], missingKeys: ['thing1'] },
    });
  });

  it('refuses a value outside the enum WeChat lists, with the allowed values', () => {
    const verdict = checkSubscribeRequest(synced, {
      templateId: 'tmpl-meeting',
      data: wire({ ...GOOD, phrase3: '进行中' }),
    });
    expect(verdict).toMatchObject({
      ok: false,
      reason: 'invalid_template_value',
      details: { key: 'phrase3', enumValues: ['已确认', '已取消'] },
    });
  });

  it("refuses a value that breaks its key kind's rule, quoting the rule", () => {
    const verdict = checkSubscribeRequest(synced, {
      templateId: 'tmpl-meeting',
      data: wire({ ...GOOD, date2: 'next tuesday' }),
    });
    expect(verdict).toMatchObject({ ok: false, reason: 'invalid_template_value', details: { key: 'date2' } });
    if (!verdict.ok) expect(String(verdict.details.rule)).toContain('2026-01-01');
  });

  it('checks a template listed without keys for existence only', () => {
    expect(
      checkSubscribeRequest(synced, { templateId: 'tmpl-bare', data: wire({ anything7: 'x' }) }),
    ).toEqual({
      ok: true,
      validated: true,
    });
  });

  it('lets everything pass unvalidated while the registry never synced or its last sync failed', () => {
    for (const sync of [{}, { failedAt: T0 }, { syncedAt: T0, failedAt: T1 }]) {
      const snapshot = registrySnapshot(registry(sync));
      expect(checkSubscribeRequest(snapshot, { templateId: 'tmpl-nope', data: wire({ x1: 'y' }) })).toEqual({
        ok: true,
        validated: false,
      });
    }
  });
});
