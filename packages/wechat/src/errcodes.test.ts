import { describe, expect, it } from 'vitest';
import type { WechatEndpoint } from './endpoints.js';
import { describeErrcode, errorForErrcode, WECHAT_ERRCODES } from './errcodes.js';
import {
  isCreditDead,
  isMisconfiguration,
  isOutcomeUnknown,
  isQuotaExceeded,
  isRetryable,
  isStaleToken,
  isUnrecoverable,
  isWechatError,
} from './error-predicates.js';
import { ApiRetiredError } from './errors/api-retired-error.js';
import { CreditDeadError } from './errors/credit-dead-error.js';
import { InvalidLoginCodeError } from './errors/invalid-login-code-error.js';
import { InvalidRequestError } from './errors/invalid-request-error.js';
import { OutcomeUnknownError } from './errors/outcome-unknown-error.js';
import { QuotaExceededError } from './errors/quota-exceeded-error.js';
import { RequestNotSentError } from './errors/request-not-sent-error.js';
import { SendingBannedError } from './errors/sending-banned-error.js';
import { StaleTokenError } from './errors/stale-token-error.js';
import { UnknownErrcodeError } from './errors/unknown-errcode-error.js';
import type { WechatErrorCategory } from './errors/wechat-error.js';
import { WechatMisconfigurationError } from './errors/wechat-misconfiguration-error.js';
import { WechatUnavailableError } from './errors/wechat-unavailable-error.js';
import { startOfNextChinaDay, startOfNextMinute } from './quota-windows.js';

// the prototype, not a constructor signature: some error classes build through static factories
type ErrorClass = { readonly prototype: Error };

/** The policy of docs/send-policy.md, written out independently of the table under test. */
const POLICY: [errcode: number, endpoint: WechatEndpoint, cls: ErrorClass, category: WechatErrorCategory][] =
  [
    [-1, 'subscribe_send', WechatUnavailableError, 'retryable'],
    [-1, 'token', WechatUnavailableError, 'retryable'],
    [40001, 'template_send', StaleTokenError, 'stale_token'],
    [40001, 'subscribe_send', StaleTokenError, 'stale_token'],
    [40014, 'subscribe_send', StaleTokenError, 'stale_token'],
    [41001, 'template_send', StaleTokenError, 'stale_token'],
    [42001, 'subscribe_send', StaleTokenError, 'stale_token'],
    [40001, 'token', WechatMisconfigurationError, 'unrecoverable'],
    [40001, 'stable_token', WechatMisconfigurationError, 'unrecoverable'],
    [40001, 'jscode2session', WechatMisconfigurationError, 'unrecoverable'],
    [41028, 'template_send', CreditDeadError, 'credit_dead'],
    [41029, 'template_send', CreditDeadError, 'credit_dead'],
    [43101, 'subscribe_send', CreditDeadError, 'credit_dead'],
    [40003, 'subscribe_send', InvalidRequestError, 'unrecoverable'],
    [40037, 'template_send', InvalidRequestError, 'unrecoverable'],
    [41030, 'subscribe_send', InvalidRequestError, 'unrecoverable'],
    [47003, 'subscribe_send', InvalidRequestError, 'unrecoverable'],
    [48001, 'subscribe_send', InvalidRequestError, 'unrecoverable'],
    [40002, 'token', InvalidRequestError, 'unrecoverable'],
    [45103, 'template_send', ApiRetiredError, 'unrecoverable'],
    [45109, 'template_send', ApiRetiredError, 'unrecoverable'],
    [40029, 'jscode2session', InvalidLoginCodeError, 'unrecoverable'],
    [40163, 'jscode2session', InvalidLoginCodeError, 'unrecoverable'],
    [40226, 'jscode2session', InvalidLoginCodeError, 'unrecoverable'],
    [40013, 'token', WechatMisconfigurationError, 'unrecoverable'],
    [40125, 'stable_token', WechatMisconfigurationError, 'unrecoverable'],
    [40164, 'token', WechatMisconfigurationError, 'unrecoverable'],
    [89501, 'token', WechatMisconfigurationError, 'unrecoverable'],
    [89503, 'token', WechatMisconfigurationError, 'unrecoverable'],
    [89506, 'stable_token', WechatMisconfigurationError, 'unrecoverable'],
    [89507, 'stable_token', WechatMisconfigurationError, 'unrecoverable'],
    [40243, 'token', WechatMisconfigurationError, 'unrecoverable'],
    [43108, 'subscribe_send', WechatUnavailableError, 'retryable'],
    [43107, 'subscribe_send', SendingBannedError, 'unrecoverable'],
    [45168, 'subscribe_send', InvalidRequestError, 'unrecoverable'],
    [76021, 'quota_get', InvalidRequestError, 'unrecoverable'],
    [76022, 'quota_get', InvalidRequestError, 'unrecoverable'],
    [45009, 'subscribe_send', QuotaExceededError, 'quota'],
    [45009, 'token', QuotaExceededError, 'quota'],
    [45011, 'jscode2session', QuotaExceededError, 'quota'],
  ];

const MISCONFIGURATION = new Set([40013, 40125, 40164, 89503, 89501, 89506, 89507, 40243]);

const NOW = new Date('2026-05-04T03:02:01.500Z');

describe('errorForErrcode', () => {
  it.each(POLICY)('%i on %s becomes %o (%s)', (errcode, endpoint, cls, category) => {
    const error = errorForErrcode(endpoint, errcode, 'msg', NOW);
    expect(error).toBeInstanceOf(cls);
    expect(error.category).toBe(category);
    expect(error.errcode).toBe(errcode);
    expect(error.endpoint).toBe(endpoint);
    expect(error.code).toMatch(/^[a-z]+(?:_[a-z0-9]+)*$/);
    expect(error.name).toBe(error.constructor.name);
    expect(isWechatError(error)).toBe(true);
  });

  it('covers every errcode of docs/wechat-platform.md, and the table agrees with the classes', () => {
    const documented = [...new Set(POLICY.map(([errcode]) => errcode))].sort((a, b) => a - b);
    expect(
      Object.keys(WECHAT_ERRCODES)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(documented);
    for (const [code, entry] of Object.entries(WECHAT_ERRCODES)) {
      const error = errorForErrcode('subscribe_send', Number(code), undefined, NOW);
      expect([error.category, error.code]).toEqual([entry.category, entry.code]);
    }
  });

  it('flags misconfiguration exactly for the setup errcodes, and 40001 only where a secret is sent', () => {
    for (const [errcode, endpoint] of POLICY) {
      const expected =
        MISCONFIGURATION.has(errcode) ||
        (errcode === 40001 && endpoint !== 'template_send' && endpoint !== 'subscribe_send');
      expect([errcode, endpoint, isMisconfiguration(errorForErrcode(endpoint, errcode, undefined))]).toEqual([
        errcode,
        endpoint,
        expected,
      ]);
    }
    expect(describeErrcode('token', 40001)?.code).toBe('wrong_secret');
    expect(describeErrcode('template_send', 40001)?.code).toBe('invalid_credential');
  });

  it('keeps an unknown errcode as unrecoverable', () => {
    const error = errorForErrcode('subscribe_send', 99999, 'something new');
    expect(error).toBeInstanceOf(UnknownErrcodeError);
    expect(error).toMatchObject({
      category: 'unrecoverable',
      errcode: 99999,
      errmsg: 'something new',
      code: 'unknown_errcode',
    });
  });

  it('names subscribe messages as the replacement of a retired API', () => {
    for (const errcode of [45103, 45109]) {
      expect(errorForErrcode('template_send', errcode, undefined).message).toMatch(/subscribe messages/);
    }
  });

  it('marks template-level request errors, which pause a broadcast, apart from user-level ones', () => {
    const level = (errcode: number) =>
      (errorForErrcode('subscribe_send', errcode, undefined) as InvalidRequestError).templateLevel;
    expect([40037, 41030, 47003, 48001, 45168].map(level)).toEqual([true, true, true, true, true]);
    expect([40003, 40002].map(level)).toEqual([false, false]);
  });

  it('dates quota windows: the next minute for 45011, 00:00 China time for 45009', () => {
    const minute = errorForErrcode('subscribe_send', 45011, undefined, NOW) as QuotaExceededError;
    expect([minute.window, minute.retryAt.toISOString()]).toEqual(['per_minute', '2026-05-04T03:03:00.000Z']);
    const day = errorForErrcode('subscribe_send', 45009, undefined, NOW) as QuotaExceededError;
    // 03:02 UTC is 11:02 in China; the China day ends at 16:00 UTC
    expect([day.window, day.retryAt.toISOString()]).toEqual(['daily', '2026-05-04T16:00:00.000Z']);
  });
});

describe('quota windows', () => {
  it('starts the next China day at 16:00 UTC, also right around China midnight', () => {
    expect(startOfNextChinaDay(new Date('2026-01-01T15:59:59.999Z')).toISOString()).toBe(
      '2026-01-01T16:00:00.000Z',
    );
    expect(startOfNextChinaDay(new Date('2026-01-01T16:00:00.000Z')).toISOString()).toBe(
      '2026-01-02T16:00:00.000Z',
    );
    expect(startOfNextChinaDay(new Date('2026-01-01T23:30:00.000Z')).toISOString()).toBe(
      '2026-01-02T16:00:00.000Z',
    );
  });

  it('starts the next minute strictly after now', () => {
    expect(startOfNextMinute(new Date('2026-01-01T00:00:00.000Z')).toISOString()).toBe(
      '2026-01-01T00:01:00.000Z',
    );
    expect(startOfNextMinute(new Date('2026-01-01T00:00:59.999Z')).toISOString()).toBe(
      '2026-01-01T00:01:00.000Z',
    );
  });
});

describe('predicates', () => {
  it('sort errors by the reaction they call for', () => {
    const cases = [
      [WechatUnavailableError.busy('token', undefined), 'retryable'],
      [new RequestNotSentError('token', 'ECONNREFUSED'), 'retryable'],
      [errorForErrcode('subscribe_send', 42001, undefined), 'stale'],
      [errorForErrcode('template_send', 41029, undefined), 'dead'],
      [errorForErrcode('template_send', 45011, undefined), 'quota'],
      [new OutcomeUnknownError('subscribe_send', 'reply_timeout', 'no reply'), 'unknown'],
      [errorForErrcode('template_send', 40037, undefined), 'unrecoverable'],
    ] as const;
    for (const [error, expected] of cases) {
      const verdicts = {
        retryable: isRetryable(error),
        stale: isStaleToken(error),
        dead: isCreditDead(error),
        quota: isQuotaExceeded(error),
        unknown: isOutcomeUnknown(error),
        unrecoverable: isUnrecoverable(error),
      };
      expect(
        Object.entries(verdicts)
          .filter(([, v]) => v)
          .map(([k]) => k),
      ).toEqual([expected]);
    }
  });

  it('allow resending after an unknown outcome except for a subscribe send', () => {
    expect(new OutcomeUnknownError('template_send', 'connection_lost', 'x').safeToResend).toBe(true);
    expect(new OutcomeUnknownError('token', 'connection_lost', 'x').safeToResend).toBe(true);
    expect(new OutcomeUnknownError('subscribe_send', 'connection_lost', 'x').safeToResend).toBe(false);
  });
});
