import { ConfigError } from '@minapush/config';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const minimal = { WECHAT_APPS: '[{"appId":"wxa","secret":"s-123"}]' };

describe('loadConfig', () => {
  it('takes a lease of at least twice the WeChat timeout', () => {
    expect(loadConfig({ ...minimal, MESSAGE_LEASE_MS: '10000', WECHAT_TIMEOUT_MS: '5000' }).leaseMs).toBe(
      10_000,
    );
    expect(loadConfig(minimal)).toMatchObject({ leaseMs: 60_000, wechatTimeoutMs: 5_000 });
  });

  it('refuses a lease that would never let a call leave, and says how to fix it', () => {
    // the default WECHAT_TIMEOUT_MS is 5000: a 5 s lease is never "more than a call's timeout left"
    expect(() => loadConfig({ ...minimal, MESSAGE_LEASE_MS: '5000' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...minimal, MESSAGE_LEASE_MS: '5000' })).toThrow(
      /MESSAGE_LEASE_MS: must be at least twice WECHAT_TIMEOUT_MS \(5000 ms\).*raise it to 10000/,
    );
  });

  it('syncs the subscribe templates every 10 minutes by default; TEMPLATE_SYNC_CRON sets when', () => {
    expect(loadConfig(minimal).templateSync).toEqual({ cron: '*/10 * * * *' });
    expect(loadConfig({ ...minimal, TEMPLATE_SYNC_CRON: '*/2 * * * *' }).templateSync).toEqual({
      cron: '*/2 * * * *',
    });
    expect(() => loadConfig({ ...minimal, TEMPLATE_SYNC_CRON: 'often' })).toThrow(/TEMPLATE_SYNC_CRON/);
  });

  it('runs housekeeping at 03:00 China time and keeps 30 days by default; both can be set', () => {
    expect(loadConfig(minimal).housekeeping).toEqual({ cron: '0 3 * * *', retentionDays: 30 });
    expect(
      loadConfig({ ...minimal, HOUSEKEEPING_CRON: '30 4 * * 1', RETENTION_DAYS: '90' }).housekeeping,
    ).toEqual({
      cron: '30 4 * * 1',
      retentionDays: 90,
    });
  });

  it('refuses a pattern that is not cron, and a retention under a day, saying what to write', () => {
    expect(() => loadConfig({ ...minimal, HOUSEKEEPING_CRON: 'every night' })).toThrow(
      /HOUSEKEEPING_CRON: not a cron pattern .*"0 3 \* \* \*"/,
    );
    expect(() => loadConfig({ ...minimal, HOUSEKEEPING_CRON: '61 3 * * *' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...minimal, RETENTION_DAYS: '0' })).toThrow(/RETENTION_DAYS/);
  });
});
