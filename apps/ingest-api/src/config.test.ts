import { ConfigError } from '@minapush/config';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const minimal = { WECHAT_APPS: '[{"appId":"wxa","secret":"s-123"}]', SESSION_SECRET: 'x'.repeat(40) };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(minimal);
    expect(config).toMatchObject({
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/minapush',
      redis: 'redis://127.0.0.1:6379',
      wechatApiBaseUrl: 'https://api.weixin.qq.com',
      host: '127.0.0.1',
      port: 3000,
      logLevel: 'info',
      queuePrefix: 'minapush',
      apiKeys: [],
      admin: undefined,
      weakSessionSecret: false,
      loginRateLimitPerMinute: 600,
      trustProxy: false,
      housekeeping: { retentionDays: 30 },
    });
    expect(config.apps).toEqual([
      { appId: 'wxa', secret: 's-123', tokenMode: 'stable', sendRatePerSecond: 500 },
    ]);
  });

  it('keeps RETENTION_DAYS of history for POST /v1/housekeeping/run, at least one', () => {
    expect(loadConfig({ ...minimal, RETENTION_DAYS: '7' }).housekeeping).toEqual({ retentionDays: 7 });
    expect(() => loadConfig({ ...minimal, RETENTION_DAYS: '0' })).toThrow(/RETENTION_DAYS: .*at least 1 day/);
  });

  it('listens where HOST says', () => {
    expect(loadConfig({ ...minimal, HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it('needs WECHAT_APPS and SESSION_SECRET, and says how to fix each without echoing values', () => {
    try {
      loadConfig({ API_KEYS: 'k1,k2', PORT: 'eighty' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toMatch(/WECHAT_APPS: .*npm start/);
      expect(message).toMatch(/SESSION_SECRET: .*openssl rand/);
      expect(message).toMatch(/PORT/);
      expect(message).not.toContain('k1');
    }
  });

  it('splits API_KEYS, enables admin only with both credentials, and flags a short session secret', () => {
    const config = loadConfig({
      ...minimal,
      API_KEYS: ' a , ,b ',
      ADMIN_USERNAME: 'ops',
      SESSION_SECRET: 'short',
    });
    expect(config.apiKeys).toEqual(['a', 'b']);
    expect(config.admin).toBeUndefined();
    expect(config.weakSessionSecret).toBe(true);
    expect(loadConfig({ ...minimal, ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'pw' }).admin).toEqual({
      username: 'ops',
      password: 'pw',
      readOnly: true,
    });
  });

  it('keeps the admin read-only unless ADMIN_READ_ONLY=false, and refuses other values', () => {
    const admin = { ...minimal, ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'pw' };
    expect(loadConfig({ ...admin, ADMIN_READ_ONLY: 'false' }).admin?.readOnly).toBe(false);
    expect(loadConfig({ ...admin, ADMIN_READ_ONLY: 'true' }).admin?.readOnly).toBe(true);
    expect(() => loadConfig({ ...admin, ADMIN_READ_ONLY: 'no' })).toThrow(/ADMIN_READ_ONLY/);
  });

  it('runs on a Redis Cluster when REDIS_CLUSTER_NODES is set, with the queue prefix as a hash tag', () => {
    const config = loadConfig({
      ...minimal,
      REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis://10.0.0.2:7001',
      QUEUE_PREFIX: 'shop-a',
    });
    expect(config.redis).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      tls: false,
    });
    expect(config.queuePrefix).toBe('{shop-a}');
  });

  it('reads the login rate limit and which proxies to trust, and refuses a trust that anyone could spoof', () => {
    expect(loadConfig({ ...minimal, SESSION_RATE_LIMIT_PER_MINUTE: '0' }).loginRateLimitPerMinute).toBe(0);
    expect(loadConfig({ ...minimal, TRUST_PROXY: 'off' }).trustProxy).toBe(false);
    expect(loadConfig({ ...minimal, TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ ...minimal, TRUST_PROXY: 'loopback, 10.0.0.0/8,::1' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      '::1',
    ]);
    for (const spoofable of ['true', '10.0.0.0/33', 'nginx']) {
      expect(() => loadConfig({ ...minimal, TRUST_PROXY: spoofable })).toThrow(/TRUST_PROXY/);
    }
    expect(() => loadConfig({ ...minimal, SESSION_RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(
      /SESSION_RATE_LIMIT_PER_MINUTE/,
    );
  });
});
