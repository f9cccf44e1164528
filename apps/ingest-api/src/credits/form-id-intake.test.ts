import { describe, expect, it } from 'vitest';
import { CREDIT_LIFETIME_MS, MOCK_FORM_ID, takeFormIds } from './form-id-intake.js';

const now = new Date('2026-11-21T12:00:00.000Z');

describe('takeFormIds', () => {
  it('accepts plain strings as form_id credits valid 7 days from now', () => {
    const { accepted, rejected } = takeFormIds(['a1'], now);
    expect(rejected).toEqual([]);
    expect(accepted).toEqual([
      {
        kind: 'form_id',
        formId: 'a1',
        usesLeft: 1,
        capturedAt: now,
        expiresAt: new Date(now.getTime() + CREDIT_LIFETIME_MS),
      },
    ]);
  });

  it('gives prepay_ids three uses and keeps their capturedAt', () => {
    const capturedAt = '2026-11-20T12:00:00.000Z';
    const { accepted } = takeFormIds([{ formId: 'p1', kind: 'prepay_id', capturedAt }], now);
    expect(accepted[0]).toMatchObject({ kind: 'prepay_id', usesLeft: 3, capturedAt: new Date(capturedAt) });
    expect(accepted[0]?.expiresAt.toISOString()).toBe('2026-11-27T12:00:00.000Z');
  });

  it('accepts epoch milliseconds, as a number or a numeric string', () => {
    const ms = now.getTime() - 1000;
    const { accepted } = takeFormIds(
      [
        { formId: 'n1', capturedAt: ms },
        { formId: 'n2', capturedAt: String(ms) },
      ],
      now,
    );
    expect(accepted.map((c) => c.capturedAt.getTime())).toEqual([ms, ms]);
  });

  it('rejects a capturedAt outside the range of dates as malformed', () => {
    const { accepted, rejected } = takeFormIds(
      [
        { formId: 'a', capturedAt: 1e308 },
        { formId: 'b', capturedAt: -8.64e15 - 1 },
        { formId: 'c', capturedAt: '99999999999999999999' },
      ],
      now,
    );
    expect(accepted).toEqual([]);
    expect(rejected.map((r) => [r.formId, r.reason])).toEqual([
      ['a', 'malformed'],
      ['b', 'malformed'],
      ['c', 'malformed'],
    ]);
  });

  it('caps a capturedAt in the future to now', () => {
    const { accepted } = takeFormIds([{ formId: 'f1', capturedAt: '2027-01-01T00:00:00Z' }], now);
    expect(accepted[0]?.capturedAt).toEqual(now);
  });

  it('rejects what is 7 days old or older as expired', () => {
    const old = new Date(now.getTime() - CREDIT_LIFETIME_MS).toISOString();
    const almost = new Date(now.getTime() - CREDIT_LIFETIME_MS + 60_000).toISOString();
    const { accepted, rejected } = takeFormIds(
      [
        { formId: 'old', capturedAt: old },
        { formId: 'ok', capturedAt: almost },
      ],
      now,
    );
    expect(rejected).toEqual([{ formId: 'old', reason: 'expired' }]);
    expect(accepted.map((c) => c.formId)).toEqual(['ok']);
  });

  it('drops the DevTools mock formId and repeats within the batch', () => {
    const { accepted, rejected } = takeFormIds([MOCK_FORM_ID, 'x', 'x'], now);
    expect(accepted.map((c) => c.formId)).toEqual(['x']);
    expect(rejected).toEqual([
      { formId: MOCK_FORM_ID, reason: 'mock' },
      { formId: 'x', reason: 'duplicate' },
    ]);
  });

  it('rejects malformed items with a reason and keeps the good ones', () => {
    const { accepted, rejected } = takeFormIds(
      [
        42,
        '',
        { formId: 'k', kind: 'coupon' },
        { formId: 'd', capturedAt: 'yesterday' },
        'z'.repeat(300),
        null,
        'good',
      ],
      now,
    );
    expect(accepted.map((c) => c.formId)).toEqual(['good']);
    expect(rejected.map((r) => r.reason)).toEqual(Array(6).fill('malformed'));
    expect(rejected[2]?.message).toMatch(/kind/);
    expect(rejected[3]?.message).toMatch(/capturedAt/);
  });

  it('rejects a formId that is not printable ASCII without spaces as malformed, alone', () => {
    const bad = ['bad form id\n\u0007', 'a\u0000b', 'tab\there', 'é', 'a b', '\ud800x', 'x\u007f', '\u0085'];
    const { accepted, rejected } = takeFormIds([...bad, 'wx20261121ab!~'], now);
    expect(accepted.map((c) => c.formId)).toEqual(['wx20261121ab!~']);
    expect(rejected).toEqual(
      bad.map((formId) => ({
        formId: formId.trim(),
        reason: 'malformed',
        message: expect.stringMatching(/ASCII/),
      })),
    );
  });

  it('takes printable ASCII formIds up to 256 characters, surrounding whitespace trimmed', () => {
    const longest = '!'.repeat(256);
    const { accepted, rejected } = takeFormIds([longest, ' padded\n', `${longest}~`], now);
    expect(accepted.map((c) => c.formId)).toEqual([longest, 'padded']);
    expect(rejected).toMatchObject([{ reason: 'malformed' }]);
  });
});
